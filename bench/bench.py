#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Side-by-side benchmark of host transports with stock dpdk-testpmd.

Prints a table; it is not a test and asserts nothing. Every transport runs
as two testpmd processes on the two cores (A: -l 0,1; B: --lcores 0@1,1@0):

  ivshmem2      net_ivshmem2, default (copy) RX
  ivshmem2-zc   net_ivshmem2, zero-copy RX (zero-copy=yes on both peers)
  memif         net_memif, copy mode
  memif-zc      net_memif, client zero-copy (zero-copy=yes on B)
  vhost         vhost-user (A) <-> virtio-user (B)

Modes: "uni" = B txonly -> A rxonly, rate = A's RX; "bidir" = io forwarding
on both, each side starting with "start tx_first 16", rate = A RX + B RX.
Repetitions are interleaved (rep 1 of every transport, then rep 2, ...)
because two-process figures swing between runs on a shared host; the table
shows median, min and max. Also: the single-process net_null ceiling, a
ping-pong round trip (ivshmem2-pktcheck ping/pong, one frame in flight) and
the syscalls counted by strace while polling.

    /usr/bin/python3 bench/bench.py                  # everything, 3 reps
    /usr/bin/python3 bench/bench.py --quick          # 1 rep, short windows
    /usr/bin/python3 bench/bench.py --transports ivshmem2,memif --sizes 64

Results: bench/results/bench-<UTC time>.md (and .png with matplotlib).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import os
import re
import runpy
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

REPO = Path(__file__).resolve().parents[1]
runpy.run_path(str(REPO / "scripts" / "pythonpath.py"))

from framework.config import NodeConfig  # noqa: E402
from framework.ivshmem2.group import Ivshmem2Group  # noqa: E402
from framework.ivshmem2.pktcheck import Pktcheck  # noqa: E402
from framework.ivshmem2.strace import count_syscalls  # noqa: E402
from framework.ivshmem2.traffic import start_one_way, stop_one_way  # noqa: E402
from framework.params.testpmd import SimpleForwardingModes  # noqa: E402
from framework.remote_session.testpmd_shell import TestPmdShell  # noqa: E402
from framework.testbed_model.node import SutNode  # noqa: E402
from framework.testbed_model.virtual_device import VirtualDevice  # noqa: E402

RESULTS = REPO / "bench" / "results"
TX_FIRST_BURSTS = 16


def log(msg: str) -> None:
    """Progress on stderr, so stdout carries only the tables."""
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


@dataclass
class Transport:
    """How to start the two peers of one transport."""

    name: str
    describe: str
    vdevs: Callable[["Bench"], Tuple[List[VirtualDevice], List[VirtualDevice]]]
    eal_a: List[str] = field(default_factory=list)
    eal_b: List[str] = field(default_factory=list)
    needs_server: bool = False
    load_pmd: bool = False


def _ivshmem2(zc: bool):
    def vdevs(bench: "Bench"):
        extra = {"zero-copy": "yes"} if zc else {}
        return [bench.group.vdev(**extra)], [bench.group.vdev(**extra)]
    return vdevs


def _memif(zc: bool):
    def vdevs(bench: "Bench"):
        sock = bench.node.workdir / "memif.sock"
        client = f"net_memif0,role=client,socket={sock}" + (",zero-copy=yes" if zc else "")
        return ([VirtualDevice(f"net_memif0,role=server,socket={sock}")],
                [VirtualDevice(client)])
    return vdevs


def _vhost(bench: "Bench"):
    sock = bench.node.workdir / "vhost.sock"
    return ([VirtualDevice(f"net_vhost0,iface={sock},queues=1")],
            [VirtualDevice(f"net_virtio_user0,path={sock},queues=1")])


TRANSPORTS = [
    Transport("ivshmem2", "net_ivshmem2, copy RX (default)", _ivshmem2(False),
              needs_server=True, load_pmd=True),
    Transport("ivshmem2-zc", "net_ivshmem2, zero-copy RX", _ivshmem2(True),
              needs_server=True, load_pmd=True),
    Transport("memif", "net_memif, copy mode", _memif(False)),
    Transport("memif-zc", "net_memif, client zero-copy", _memif(True),
              eal_b=["--single-file-segments"]),
    Transport("vhost", "vhost-user <-> virtio-user", _vhost,
              eal_a=["--single-file-segments"], eal_b=["--single-file-segments"]),
]


@dataclass
class Sample:
    transport: str
    mode: str
    size: int
    mpps: float


class Bench:
    """Runs the interleaved repetitions and keeps the samples."""

    def __init__(self, args):
        self.args = args
        self.node = SutNode(NodeConfig(
            name="bench", lcores=[0, 1], eal_memory=args.eal_memory.split(),
            mbufs=args.mbufs, startup_timeout=120, command_timeout=60, log_level="error"))
        self.group: Optional[Ivshmem2Group] = None
        self.samples: List[Sample] = []
        self.errors: List[str] = []

    # --- one transport pair ---
    def start_pair(self, t: Transport):
        if t.needs_server:
            self.group = Ivshmem2Group(self.node)
        va, vb = t.vdevs(self)
        a = TestPmdShell(self.node, va, slot=0, name=f"{t.name}-a", load_pmd=t.load_pmd,
                         eal_args=t.eal_a).start_application()
        b = TestPmdShell(self.node, vb, slot=1, name=f"{t.name}-b", load_pmd=t.load_pmd,
                         eal_args=t.eal_b).start_application()
        for s in (a, b):
            if not s.wait_link_status_up(0, timeout=60):
                raise RuntimeError(f"{s.name}: port 0 link not up within 60 s")
        return a, b

    def stop_pair(self) -> None:
        # memif testpmd often segfaults on shutdown: exit codes are ignored.
        self.node.kill_all()
        self.group = None

    @contextlib.contextmanager
    def attempt(self, what: str):
        """Run one measurement: a failure is recorded as a result, not raised,
        and whatever it started is stopped."""
        try:
            yield
        except Exception as e:  # noqa: BLE001 - one transport failing is a result
            msg = f"{what}: {type(e).__name__}: {str(e)[-600:]}"
            self.errors.append(msg)
            log(msg)
        finally:
            self.stop_pair()

    def measure(self, a: TestPmdShell, b: TestPmdShell, mode: str, size: int) -> float:
        """Mpps received (uni: by A; bidir: by A and B together)."""
        for s in (a, b):
            s.send_command(f"set txpkts {size}")
        if mode == "uni":
            start_one_way(a, b)
        else:
            a.set_forward_mode(SimpleForwardingModes.io)
            b.set_forward_mode(SimpleForwardingModes.io)
            a.start_tx_first(TX_FIRST_BURSTS)
            b.start_tx_first(TX_FIRST_BURSTS)
        time.sleep(self.args.warmup)
        a0, b0, t0 = a.show_port_stats(0).rx_packets, b.show_port_stats(0).rx_packets, \
            time.monotonic()
        time.sleep(self.args.seconds)
        a1, b1, t1 = a.show_port_stats(0).rx_packets, b.show_port_stats(0).rx_packets, \
            time.monotonic()
        b.stop()
        a.stop()
        frames = (a1 - a0) + ((b1 - b0) if mode == "bidir" else 0)
        return frames / (t1 - t0) / 1e6

    def run_throughput(self) -> None:
        todo = [t for t in TRANSPORTS if t.name in self.args.transports]
        for rep in range(1, self.args.reps + 1):
            for t in todo:
                log(f"rep {rep}/{self.args.reps}: {t.name}: starting the two testpmd peers")
                with self.attempt(f"rep {rep}: {t.name}"):
                    a, b = self.start_pair(t)
                    for mode in self.args.modes:
                        for size in self.args.sizes:
                            mpps = self.measure(a, b, mode, size)
                            self.samples.append(Sample(t.name, mode, size, mpps))
                            log(f"rep {rep}: {t.name:12s} {mode:5s} {size:5d} B: "
                                f"{mpps:7.2f} Mpps")
            self.run_null_ceiling(rep)

    # --- net_null ceiling ---
    def run_null_ceiling(self, rep: int) -> None:
        """One process, io forwarding between two net_null ports (no second process)."""
        for size in self.args.sizes:
            vdevs = [VirtualDevice(f"net_null0,size={size}"),
                     VirtualDevice(f"net_null1,size={size}")]
            with self.attempt(f"net_null {size}"):
                s = TestPmdShell(self.node, vdevs, slot=0, name="null",
                                 load_pmd=False).start_application()
                s.set_forward_mode(SimpleForwardingModes.io)
                s.start()
                time.sleep(self.args.warmup)
                r0 = s.show_port_stats(0).rx_packets + s.show_port_stats(1).rx_packets
                t0 = time.monotonic()
                time.sleep(self.args.seconds)
                r1 = s.show_port_stats(0).rx_packets + s.show_port_stats(1).rx_packets
                mpps = (r1 - r0) / (time.monotonic() - t0) / 1e6
                s.stop()
                for mode in self.args.modes:
                    self.samples.append(Sample("net_null", mode, size, mpps))
                log(f"rep {rep}: net_null (1 process, io)  {size:5d} B: {mpps:7.2f} Mpps")

    # --- latency ---
    def run_latency(self) -> Dict[str, dict]:
        """pktcheck pong on A, ping (one frame in flight) on B, 64 B frames."""
        res: Dict[str, dict] = {}
        for t in [t for t in TRANSPORTS if t.name in self.args.transports]:
            log(f"latency: {t.name}")
            with self.attempt(f"latency {t.name}"):
                if t.needs_server:
                    self.group = Ivshmem2Group(self.node)
                va, vb = t.vdevs(self)
                pong = Pktcheck(self.node, va, ["--mode", "pong", "--timeout", "120",
                                                "--progress", "0"],
                                slot=0, name=f"pong-{t.name}", load_pmd=t.load_pmd,
                                eal_args=t.eal_a).start_application()
                time.sleep(2)
                ping = Pktcheck(self.node, vb, ["--mode", "ping", "--frames",
                                                str(self.args.pings), "--timeout", "100",
                                                "--progress", "0", "--link-timeout", "60"],
                                slot=1, name=f"ping-{t.name}", load_pmd=t.load_pmd,
                                eal_args=t.eal_b).start_application()
                r = ping.wait(150)
                pong.interrupt()
                pong.wait(30)
                p = r.data.get("ping", {})
                p["ok"] = r.ok
                res[t.name] = p
                log(f"latency: {t.name}: p50 {p.get('p50_us', 0):.2f} us "
                    f"p99 {p.get('p99_us', 0):.2f} us ({p.get('answered')} answered)")
        return res

    # --- syscalls ---
    def run_syscalls(self) -> Dict[str, dict]:
        """strace -c -f on both peers for a few seconds of uni 64 B traffic."""
        res: Dict[str, dict] = {}
        for t in [t for t in TRANSPORTS if t.name in self.args.transports]:
            log(f"syscalls: {t.name} (strace -c -f, {self.args.strace_seconds} s)")
            with self.attempt(f"syscalls {t.name}"):
                a, b = self.start_pair(t)
                b.send_command("set txpkts 64")
                start_one_way(a, b)
                time.sleep(1)
                r0 = a.show_port_stats(0).rx_packets
                counts = count_syscalls([a.pid, b.pid], self.args.strace_seconds)
                frames = a.show_port_stats(0).rx_packets - r0
                stop_one_way(a, b, settle=0)
                calls = [c.calls for c in counts]
                res[t.name] = {"frames": frames, "rx_calls": calls[0], "tx_calls": calls[1],
                               "rx_top": counts[0].top(), "tx_top": counts[1].top()}
                log(f"syscalls: {t.name}: receiver {calls[0]}, sender {calls[1]} for "
                    f"{frames} frames")
        return res


# --- report ---
def summarize(samples: List[Sample]) -> Dict[Tuple[str, str, int], Tuple[float, float, float]]:
    groups: Dict[Tuple[str, str, int], List[float]] = {}
    for s in samples:
        groups.setdefault((s.transport, s.mode, s.size), []).append(s.mpps)
    return {k: (min(v), statistics.median(v), max(v)) for k, v in groups.items()}


def tables(bench: Bench, stats, latency, syscalls) -> str:
    args = bench.args
    names = [t.name for t in TRANSPORTS if t.name in args.transports]
    out: List[str] = []
    mode_text = {"uni": "unidirectional (B txonly -> A rxonly; Mpps received by A)",
                 "bidir": f"bidirectional (io forwarding both sides, start tx_first "
                          f"{TX_FIRST_BURSTS}; Mpps = A RX + B RX)"}
    for mode in args.modes:
        for size in args.sizes:
            out.append(f"\n### {size} B, {mode_text[mode]}\n")
            head = ["transport", "Mpps median", "min", "max", "Gbit/s"] + \
                [f"x {n}" for n in names]
            out.append("| " + " | ".join(head) + " |")
            out.append("|" + "---|" * len(head))
            for n in names + ["net_null"]:
                k = (n, mode, size)
                if k not in stats:
                    out.append(f"| {n} | failed | | | |" + " |" * len(names))
                    continue
                lo, med, hi = stats[k]
                gbps = med * size * 8 / 1e3
                ratios = []
                for other in names:
                    o = stats.get((other, mode, size))
                    ratios.append(f"{med / o[1]:.2f}" if o and o[1] > 0 else "-")
                label = "net_null (1 process, io, ceiling)" if n == "net_null" else n
                out.append(f"| {label} | {med:.2f} | {lo:.2f} | {hi:.2f} | {gbps:.1f} | "
                           + " | ".join(ratios) + " |")
    if latency:
        out += _per_transport_table(
            "Ping-pong round trip, 64 B, one frame in flight (ivshmem2-pktcheck ping -> pong)",
            ["p50 us", "p90 us", "p99 us", "min us", "max us", "answered"], names, latency,
            lambda p: [*(f"{p.get(k, 0):.2f}" for k in ("p50_us", "p90_us", "p99_us",
                                                         "min_us", "max_us")),
                       f"{p.get('answered', 0)}/{p.get('sent', 0)}"])
    if syscalls:
        out += _per_transport_table(
            f"Syscalls while polling (strace -c -f on each testpmd, {args.strace_seconds} s "
            f"of uni 64 B traffic)",
            ["frames", "receiver syscalls", "sender syscalls", "per frame", "receiver top",
             "sender top"], names, syscalls,
            lambda s: [str(s["frames"]), str(s["rx_calls"]), str(s["tx_calls"]),
                       f"{(s['rx_calls'] + s['tx_calls']) / max(s['frames'], 1):.2e}",
                       s["rx_top"], s["tx_top"]])
    return "\n".join(out) + "\n"


def _per_transport_table(title: str, head: List[str], names: List[str], data: Dict[str, dict],
                         cells: Callable[[dict], List[str]]) -> List[str]:
    """A Markdown table, one row per transport; "failed" where @data has no entry."""
    out = [f"\n### {title}\n", "| transport | " + " | ".join(head) + " |",
           "|---|" + "---|" * len(head)]
    for n in names:
        row = cells(data[n]) if data.get(n) else ["failed"] + [""] * (len(head) - 1)
        out.append(f"| {n} | " + " | ".join(row) + " |")
    return out


def header(bench: Bench) -> str:
    a = bench.args
    cpu = ""
    try:
        cpu = re.search(r"model name\s*:\s*(.*)", Path("/proc/cpuinfo").read_text()).group(1)
    except (OSError, AttributeError):
        pass
    return (f"# ivshmem2 benchmark, {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC\n\n"
            f"Host: {os.uname().nodename}, {os.cpu_count()} CPUs ({cpu}), "
            f"load average before: {a.loadavg}.\n"
            f"Stock dpdk-testpmd, two processes (A: -l 0,1; B: --lcores 0@1,1@0), EAL "
            f"`{a.eal_memory}`, {a.reps} interleaved repetitions of {a.seconds} s after "
            f"{a.warmup} s warm-up; frame sizes as testpmd txpkts (no FCS); Gbit/s = "
            f"Mpps x size x 8. \"x T\" = this row's median / T's median.\n"
            f"Two-process figures on a shared 2-vCPU host vary between runs; compare rows "
            f"within one run.\n")


def plot(stats, args, path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    # net_null (one process) would dwarf the bars; its ceiling goes in the title.
    names = [t.name for t in TRANSPORTS if t.name in args.transports]
    cases = [(m, s) for m in args.modes for s in args.sizes]
    fig, axes = plt.subplots(1, len(cases), figsize=(4 * len(cases), 4), squeeze=False)
    for ax, (mode, size) in zip(axes[0], cases):
        meds = [stats.get((n, mode, size), (0, 0, 0)) for n in names]
        ax.bar(range(len(names)), [m[1] for m in meds],
               yerr=[[m[1] - m[0] for m in meds], [m[2] - m[1] for m in meds]], capsize=3)
        ax.set_xticks(range(len(names)), names, rotation=45, ha="right")
        ceiling = stats.get(("net_null", mode, size))
        ax.set_title(f"{mode} {size} B" + (f" (net_null {ceiling[1]:.0f})" if ceiling else ""))
        ax.set_ylabel("Mpps")
    fig.tight_layout()
    fig.savefig(path)
    return True


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--transports", default=",".join(t.name for t in TRANSPORTS),
                   help="comma list of: " + ", ".join(t.name for t in TRANSPORTS))
    p.add_argument("--sizes", default="64,1518")
    p.add_argument("--modes", default="uni,bidir")
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--seconds", type=float, default=3.0, help="measurement window")
    p.add_argument("--warmup", type=float, default=1.0)
    p.add_argument("--pings", type=int, default=20000)
    p.add_argument("--strace-seconds", type=float, default=3.0)
    p.add_argument("--no-latency", action="store_true")
    p.add_argument("--no-syscalls", action="store_true")
    p.add_argument("--eal-memory", default="--in-memory",
                   help="EAL memory options (default --in-memory: hugepages, no files)")
    p.add_argument("--mbufs", type=int, default=32768)
    p.add_argument("--quick", action="store_true", help="1 rep, 1 s windows, 5000 pings")
    p.add_argument("--out", type=Path, default=None, help="Markdown file to write")
    a = p.parse_args(argv)
    a.transports = a.transports.split(",")
    unknown = set(a.transports) - {t.name for t in TRANSPORTS}
    if unknown:
        p.error(f"unknown transports: {', '.join(sorted(unknown))}")
    a.sizes = [int(s) for s in a.sizes.split(",")]
    a.modes = a.modes.split(",")
    if set(a.modes) - {"uni", "bidir"}:
        p.error("--modes: uni and/or bidir")
    if a.quick:
        a.reps, a.seconds, a.warmup, a.pings, a.strace_seconds = 1, 1.0, 0.5, 5000, 2.0
    a.loadavg = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return a


def main(argv=None) -> int:
    args = parse_args(argv)
    bench = Bench(args)
    stamp = datetime.datetime.utcnow().strftime("%Y%m%d-%H%M")
    out = args.out or RESULTS / f"bench-{stamp}.md"
    log(f"load average {args.loadavg}; transports {', '.join(args.transports)}; "
        f"{args.reps} reps x {len(args.modes) * len(args.sizes)} cases")
    try:
        bench.run_throughput()
        latency = {} if args.no_latency else bench.run_latency()
        syscalls = {} if args.no_syscalls else bench.run_syscalls()
    finally:
        bench.node.close()
    stats = summarize(bench.samples)
    text = header(bench) + tables(bench, stats, latency, syscalls)
    if bench.errors:
        text += "\n### Errors\n\n" + "\n".join(f"- {e}" for e in bench.errors) + "\n"
    print(text)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    log(f"wrote {out}")
    if plot(stats, args, out.with_suffix(".png")):
        log(f"wrote {out.with_suffix('.png')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

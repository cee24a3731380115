# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""The measurement engine: interleaved repetitions of testpmd pairs.

Rep-major: repetition 1 runs every transport once, then repetition 2, ...,
each repetition in an order rotated by one, so drift of a shared host spreads
over every transport alike. One testpmd pair per transport per repetition
(a second pair for jumbo sizes), every workload and size measured on it:
set the size, start, warm up, read port stats, wait the window, read again,
stop. Results go into a plain dict, the perf.json of report.py.
"""

from __future__ import annotations

import contextlib
import re
import sys
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import ivshmem2_paths

from . import fw, metadata, topology
from .stats import Sample, rotated
from .transports import TRANSPORTS, WORKLOADS, Transport, applicable

TX_FIRST_BURSTS = 16
JUMBO = 2048  # sizes above this need big mbufs and MTU: a separate pair
JUMBO_MTU = 9000
JUMBO_MBUFS = 16384
CYCLES_RE = re.compile(r"CPU cycles/packet=([\d.]+) \(\w+ cycles=(\d+) / total \w+ "
                       r"packets=(\d+)\) at (\d+) MHz")


def log(msg: str) -> None:
    """Progress on stderr, so stdout carries only tables."""
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


@dataclass
class Config:
    """Everything a run depends on (also written to perf.json "parameters")."""

    transports: List[str] = field(default_factory=lambda: ["ivshmem2", "memif"])
    workloads: List[str] = field(default_factory=lambda: ["uni", "bidi"])
    sizes: List[int] = field(default_factory=lambda: [64, 1518])
    reps: int = 5
    window_s: float = 5.0
    warmup_s: float = 1.0
    cpus: Tuple[int, int] = (1, 0)     # forwarding CPU of peer A, of peer B
    baseline: str = "memif"
    descriptors: int = 1024
    burst: int = 32
    mbufs: int = 32768
    eal_memory: List[str] = field(default_factory=lambda: ["--in-memory"])
    latency: bool = False
    latency_window_s: float = 3.0
    latency_pings: int = 20000
    latency_load: float = 0.5
    syscalls: bool = False
    syscalls_window_s: float = 3.0
    profile: str = ""

    def validate(self) -> None:
        bad = [t for t in self.transports if t not in TRANSPORTS]
        if bad:
            raise ValueError(f"unknown transports {bad}; known: {', '.join(TRANSPORTS)}")
        bad = [w for w in self.workloads if w not in WORKLOADS]
        if bad:
            raise ValueError(f"unknown workloads {bad}; known: {', '.join(WORKLOADS)}")
        if any(s < 60 or s > 9000 for s in self.sizes):
            raise ValueError("frame sizes must be 60..9000")
        if self.reps < 1 or self.window_s <= 0 or self.warmup_s < 0:
            raise ValueError("reps >= 1, window > 0, warm-up >= 0")

    def parameters(self) -> List[dict]:
        p = [("transports", self.transports), ("workloads", self.workloads),
             ("frame_sizes", self.sizes), ("repetitions", self.reps),
             ("window_s", self.window_s), ("warmup_s", self.warmup_s),
             ("order", "rep-major, transports rotated by one per repetition"),
             ("forwarding_cpus", {"a": self.cpus[0], "b": self.cpus[1]}),
             ("baseline", self.baseline), ("descriptors", self.descriptors),
             ("burst", self.burst), ("mbufs", self.mbufs),
             ("tx_first_bursts", TX_FIRST_BURSTS), ("eal_memory", self.eal_memory),
             ("latency", self.latency), ("latency_window_s", self.latency_window_s),
             ("latency_load", self.latency_load), ("syscalls", self.syscalls),
             ("profile", self.profile),
             ("testpmd_args", testpmd_args(self, False).to_args())]
        return [{"name": k, "value": v} for k, v in p]


def testpmd_args(cfg: Config, jumbo: bool) -> "fw.TestPmdParams":
    """Options of every testpmd (interactive)."""
    params = fw.TestPmdParams(
        total_num_mbufs=cfg.mbufs,
        other_args=[f"--txd={cfg.descriptors}", f"--rxd={cfg.descriptors}",
                    f"--burst={cfg.burst}", "--record-core-cycles"])
    if jumbo:
        # One mbuf per frame; the MTU is raised per port after start (set_mtu),
        # since --max-pkt-len makes some PMDs (net_memif) refuse to configure.
        # Fewer, bigger mbufs: 16384 x 9.3 KB per process is already 150 MB.
        params.mbuf_size = 9344
        params.total_num_mbufs = min(cfg.mbufs, JUMBO_MBUFS)
    return params


def parse_cycles(stop_output: str) -> Optional[Tuple[float, int]]:
    """(cycles/packet, TSC MHz) from testpmd's `stop` with --record-core-cycles."""
    m = CYCLES_RE.search(stop_output)
    return (float(m.group(1)), int(m.group(4))) if m else None


class Engine:
    """Runs one Config; result() is the perf.json dict."""

    def __init__(self, cfg: Config):
        cfg.validate()
        self.cfg = cfg
        self.node = fw.make_node(cfg.cpus[0], cfg.cpus[1], cfg.eal_memory, cfg.mbufs)
        self.samples: List[Sample] = []
        self.errors: List[str] = []
        self.warnings: List[str] = []
        self._shells: list = []  # the running pair, for error messages
        self.placements: List[dict] = []
        self.latency: Dict[str, dict] = {}
        self.syscalls: Dict[str, dict] = {}
        self.tsc_mhz = 0
        self.meta: dict = {}
        self.line_probe = ivshmem2_paths.C2C
        if not self.line_probe.exists():
            log(f"{self.line_probe} not built: no cache-line transfer times in this run")

    def _line_ns(self) -> List[float]:
        """The forwarding CPUs' line transfer time now (peers stopped), as a list."""
        ns = topology.line_transfer_ns(self.line_probe, *self.cfg.cpus)
        return [] if ns is None else [round(ns, 1)]

    # --- peers ---
    def _start(self, t: Transport, jumbo: bool, size: int = 64):
        """(A, B) shells of @t with links up; B is None for a single process."""
        group = fw.Ivshmem2Group(self.node, **t.server) if t.needs_server else None
        app = testpmd_args(self.cfg, jumbo)
        if t.single_process:
            vdevs = [fw.vdev(f"net_null{i}", {"size": size}) for i in (0, 1)]
            a = fw.TestPmdShell(self.node, vdevs, slot=0, name="null", load_pmd=False,
                                app_params=app).start_application()
            self._shells = [a]
            return a, None
        va, vb = t.vdevs(self.node, group)
        a = fw.TestPmdShell(self.node, va, slot=0, name=f"{t.name}-a", load_pmd=t.load_pmd,
                            eal_args=t.eal_a, app_params=app).start_application()
        self._shells = [a]
        b = fw.TestPmdShell(self.node, vb, slot=1, name=f"{t.name}-b", load_pmd=t.load_pmd,
                            eal_args=t.eal_b, app_params=app).start_application()
        self._shells = [a, b]
        for s in (a, b):
            if not s.wait_link_status_up(0, timeout=60):
                raise fw.DTSError(f"{s.name}: port 0 link not up within 60 s")
        if jumbo:
            for s in (a, b):
                self._set_mtu(s, 0)
        return a, b

    def _set_mtu(self, s, port: int) -> None:
        """Best effort: MTU 9000 (frames above the MTU are dropped by some
        PMDs; the received frame size is checked per window anyway)."""
        out = s.send_command(f"port config mtu {port} {JUMBO_MTU}")
        if "rror" in out or "fail" in out.lower():
            log(f"{s.name}: port config mtu {port} {JUMBO_MTU}: {out.strip()[:200]}")

    @contextlib.contextmanager
    def _attempt(self, what: str):
        """A failure is recorded as a result, not raised; the peers are stopped."""
        try:
            yield
        except Exception as e:  # noqa: BLE001 - one transport failing is a result
            text = str(e)
            text = text if len(text) <= 900 else text[:450] + " [...] " + text[-450:]
            dead = [f"{sh.name} exited with {sh.proc.returncode}" for sh in self._shells
                    if sh.proc is not None and sh.proc.poll() is not None]
            msg = f"{what}: {type(e).__name__}: " + (f"[{'; '.join(dead)}] " if dead else "") \
                + text
            self.errors.append(msg)
            log(msg)
        finally:
            self._shells = []
            # memif testpmd often segfaults on shutdown: exit codes are ignored.
            self.node.kill_all()

    # --- one window ---
    def _rx(self, s, port: int = 0) -> int:
        return s.show_port_stats(port).rx_packets

    def _tx(self, s, port: int = 0) -> int:
        return s.show_port_stats(port).tx_packets

    def _check_placement(self, t: Transport, a, b) -> None:
        if any(p["transport"] == t.name for p in self.placements):
            return
        pa = topology.check_placement(a.pid, self.cfg.cpus[0])
        entry = {"transport": t.name, "a": pa}
        if b is not None:
            entry["b"] = topology.check_placement(b.pid, self.cfg.cpus[1])
        entry["ok"] = pa["ok"] and (b is None or entry["b"]["ok"])
        self.placements.append(entry)
        if not entry["ok"]:
            log(f"placement: {t.name}: forwarding lcores not where asked: {entry}")

    def _cpp_tsc(self, packets: int, dt: float) -> Optional[float]:
        hz = (self.tsc_mhz or self.meta.get("cpu_mhz", 0)) * 1e6
        return hz * dt / packets if packets > 0 and hz > 0 else None

    def _cycles(self, out: str) -> Optional[float]:
        c = parse_cycles(out)
        if c is None:
            return None
        self.tsc_mhz = self.tsc_mhz or c[1]
        return c[0]

    def _measure_pair(self, t: Transport, a, b, workload: str, size: int, rep: int,
                      pos: int) -> Sample:
        cfg = self.cfg
        for s in (a, b):
            s.send_command(f"set txpkts {size}")
        line_ns = self._line_ns()
        if workload == "uni":
            a.set_forward_mode("rxonly")
            b.set_forward_mode("txonly")
            a.start()
            b.start()
        else:
            mode = "io" if workload == "bidi" else "mac"
            a.set_forward_mode(mode)
            b.set_forward_mode(mode)
            a.start_tx_first(TX_FIRST_BURSTS)
            b.start_tx_first(TX_FIRST_BURSTS)
        time.sleep(cfg.warmup_s)
        sa0, sb0 = a.show_port_stats(0), b.show_port_stats(0)
        t0 = time.monotonic()
        time.sleep(cfg.window_s)
        sa1, sb1 = a.show_port_stats(0), b.show_port_stats(0)
        dt = time.monotonic() - t0
        a0, b0, bt0 = sa0.rx_packets, sb0.rx_packets, sb0.tx_packets
        a1, b1, bt1 = sa1.rx_packets, sb1.rx_packets, sb1.tx_packets
        got = (sa1.rx_bytes - sa0.rx_bytes) / (a1 - a0) if a1 > a0 else 0.0
        self._check_placement(t, a, b)
        out_b = b.stop()
        if workload == "uni":
            time.sleep(0.2)
        out_a = a.stop()
        if workload != "uni":
            self._drain(a, b)
        line_ns += self._line_ns()
        ra, rb = a1 - a0, b1 - b0
        frames = ra + (rb if workload != "uni" else 0)
        cpp_t = {k: v for k, v in (("a", self._cycles(out_a)), ("b", self._cycles(out_b)))
                 if v is not None}
        b_work = bt1 - bt0 if workload == "uni" else rb
        cpp_c = {k: v for k, v in (("a", self._cpp_tsc(ra, dt)), ("b", self._cpp_tsc(b_work, dt)))
                 if v is not None}
        smp = Sample(rep, pos, t.name, workload, size, frames / dt / 1e6, dt, ra, rb,
                     cpp_t, cpp_c, round(got, 1), line_ns)
        if got and abs(got - size) > 1:
            # Truncated, padded or mixed frames: kept, but said in the report.
            msg = (f"rep {rep}: {t.name}/{workload}/{size}B: peer A received frames of "
                   f"{got:.1f} B on average (port stats), not {size} B")
            self.warnings.append(msg)
            log(msg)
        return smp

    @staticmethod
    def _drain(a, b) -> None:
        """Frames of this size still circulate after io/mac forwarding:
        receive and drop them so the next case starts with empty rings."""
        for s in (a, b):
            s.set_forward_mode("rxonly")
            s.start()
        time.sleep(0.3)
        for s in (b, a):
            s.stop()

    def _measure_null(self, t: Transport, s, workload: str, size: int, rep: int,
                      pos: int) -> Sample:
        s.set_forward_mode("mac" if workload == "mac" else "io")
        s.start()
        time.sleep(self.cfg.warmup_s)
        r0 = self._rx(s, 0) + self._rx(s, 1)
        t0 = time.monotonic()
        time.sleep(self.cfg.window_s)
        r1 = self._rx(s, 0) + self._rx(s, 1)
        dt = time.monotonic() - t0
        self._check_placement(t, s, None)
        out = s.stop()
        cpp_t = {"a": c for c in [self._cycles(out)] if c is not None}
        cpp_c = {"a": c for c in [self._cpp_tsc(r1 - r0, dt)] if c is not None}
        return Sample(rep, pos, t.name, workload, size, (r1 - r0) / dt / 1e6, dt, r1 - r0, 0,
                      cpp_t, cpp_c)

    def _record(self, smp: Sample) -> None:
        self.samples.append(smp)
        cpp = smp.cpp_testpmd.get("a")
        log(f"rep {smp.rep}: {smp.transport:11s} {smp.workload:4s} {smp.size:5d} B: "
            f"{smp.mpps:7.2f} Mpps" + (f", A {cpp:.0f} cycles/packet" if cpp else "")
            + (f", line {' -> '.join(f'{x:.0f}' for x in smp.line_ns)} ns"
               if smp.line_ns else ""))

    # --- the run ---
    def run_transport(self, t: Transport, rep: int, pos: int) -> None:
        cfg = self.cfg
        if t.single_process:
            for size in cfg.sizes:
                with self._attempt(f"rep {rep}: {t.name} {size} B"):
                    s, _ = self._start(t, size > JUMBO, size)
                    for w in cfg.workloads:
                        self._record(self._measure_null(t, s, w, size, rep, pos))
            return
        for jumbo in (False, True):
            sizes = [s for s in cfg.sizes if (s > JUMBO) == jumbo]
            if not sizes:
                continue
            with self._attempt(f"rep {rep}: {t.name}" + (" (jumbo)" if jumbo else "")):
                a, b = self._start(t, jumbo)
                for w in [w for w in cfg.workloads if applicable(t, w)]:
                    for size in sizes:
                        self._record(self._measure_pair(t, a, b, w, size, rep, pos))

    def run(self) -> dict:
        cfg = self.cfg
        self.meta = metadata.collect(*cfg.cpus)
        t_start = time.monotonic()
        log(f"{cfg.reps} reps x {len(cfg.transports)} transports x "
            f"{len(cfg.workloads) * len(cfg.sizes)} cases, {cfg.window_s} s windows after "
            f"{cfg.warmup_s} s warm-up; forwarding CPUs A {cfg.cpus[0]}, B {cfg.cpus[1]}")
        try:
            for rep in range(1, cfg.reps + 1):
                order = rotated(cfg.transports, rep)
                log(f"rep {rep}/{cfg.reps}: order {', '.join(order)}")
                for pos, name in enumerate(order):
                    self.run_transport(TRANSPORTS[name], rep, pos)
            if cfg.latency:
                self.run_latency()
            if cfg.syscalls:
                self.run_syscalls()
        finally:
            self.node.close()
        self.meta["ended"] = metadata.utcnow()
        self.meta["duration_s"] = round(time.monotonic() - t_start, 1)
        self.meta["tsc_mhz"] = self.tsc_mhz
        self.meta["lcores"]["verified"] = (all(p["ok"] for p in self.placements)
                                          if self.placements else None)
        self.meta["lcores"]["checks"] = self.placements
        from . import report  # noqa: PLC0415 - report imports plotting lazily
        result = report.build(self.cfg, self.meta, self.samples, self.latency, self.errors,
                              self.warnings)
        result["syscalls"] = self.syscalls
        return result

    # --- latency ---
    def _ping(self, t: Transport, args: List[str], timeout: float) -> dict:
        group = fw.Ivshmem2Group(self.node, **t.server) if t.needs_server else None
        va, vb = t.vdevs(self.node, group)
        pong = fw.Pktcheck(self.node, va, ["--mode", "pong", "--timeout", str(timeout + 60),
                                           "--progress", "0"],
                           slot=0, name=f"pong-{t.name}", load_pmd=t.load_pmd,
                           eal_args=t.eal_a).start_application()
        time.sleep(2)
        ping = fw.Pktcheck(self.node, vb, ["--mode", "ping", "--progress", "0",
                                           "--link-timeout", "60", "--timeout",
                                           str(timeout + 30), *args],
                           slot=1, name=f"ping-{t.name}", load_pmd=t.load_pmd,
                           eal_args=t.eal_b).start_application()
        r = ping.wait(timeout + 90)
        pong.interrupt()
        pong.wait(30)
        self.node.kill_all()
        p = dict(r.data.get("ping", {}))
        p["ok"] = r.ok
        if not r.data:
            raise fw.DTSError(f"ping over {t.name}: no result:\n{r.output[-1500:]}")
        return p

    def run_latency(self) -> None:
        """Per transport: idle (one frame in flight), the highest open-loop
        rate pktcheck reaches, then @latency_load of it (ivshmem2-pktcheck
        ping -> pong, 64 B)."""
        cfg = self.cfg
        for name in cfg.transports:
            t = TRANSPORTS[name]
            if not t.latency:
                continue
            res: Dict[str, dict] = {}
            with self._attempt(f"latency {name}"):
                res["idle"] = self._ping(t, ["--frames", str(cfg.latency_pings)],
                                         cfg.latency_window_s * 3)
                w = str(cfg.latency_window_s)
                top = self._ping(t, ["--rate", "1e9", "--duration", w, "--allow-loss"],
                                 cfg.latency_window_s)
                res["max"] = top
                answered_pps = top.get("answered", 0) / cfg.latency_window_s
                rate = max(1000.0, answered_pps * cfg.latency_load)
                res["load"] = self._ping(t, ["--rate", f"{rate:.0f}", "--duration", w,
                                             "--allow-loss"], cfg.latency_window_s)
                res["load"]["load_fraction"] = cfg.latency_load
                log(f"latency {name}: idle p50 {res['idle'].get('p50_us', 0):.2f} us; "
                    f"max {answered_pps / 1e6:.2f} Mpps; at {rate / 1e6:.2f} Mpps "
                    f"p50 {res['load'].get('p50_us', 0):.2f} us "
                    f"p99 {res['load'].get('p99_us', 0):.2f} us")
            self.latency[name] = res


    # --- syscalls ---
    def run_syscalls(self) -> None:
        """strace -c -f on both peers during uni 64 B traffic: syscalls per frame."""
        cfg = self.cfg
        for name in cfg.transports:
            t = TRANSPORTS[name]
            if t.single_process or not applicable(t, "uni"):
                continue
            with self._attempt(f"syscalls {name}"):
                a, b = self._start(t, False)
                b.send_command("set txpkts 64")
                a.set_forward_mode("rxonly")
                b.set_forward_mode("txonly")
                a.start()
                b.start()
                time.sleep(1)
                r0 = self._rx(a)
                counts = fw.count_syscalls([a.pid, b.pid], cfg.syscalls_window_s)
                frames = self._rx(a) - r0
                b.stop()
                a.stop()
                calls = [c.calls for c in counts]
                self.syscalls[name] = {"seconds": cfg.syscalls_window_s, "frames": frames,
                                       "receiver_calls": calls[0], "sender_calls": calls[1],
                                       "receiver_top": counts[0].top(),
                                       "sender_top": counts[1].top()}
                log(f"syscalls {name}: receiver {calls[0]}, sender {calls[1]} for {frames} frames")


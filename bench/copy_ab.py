#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Alternating A/B of two builds of net_ivshmem2 with CPU cycles per packet.

Like bench/ab.sh (rep 1 of A, rep 1 of B, rep 2 of A, ...; stock testpmd, two
processes on the two cores, "uni" = B txonly -> A rxonly, "bidir" = io
forwarding both ways after "start tx_first 16"), but every testpmd runs with
--record-core-cycles and the table gives testpmd's own CPU cycles/packet
(busy cycles of the forwarding lcore / packets it received; for the sender of
"uni", / packets it sent), besides Mpps. Each (build, rep) is a fresh pair of
testpmd processes and a fresh server.

    /usr/bin/python3 bench/copy_ab.py BUILD_A BUILD_B [--reps 5] [--sizes 64,1518]
        [--modes uni,bidir] [--seconds 5] [--env-b IVSHMEM2_COPY=memcpy]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
TX_FIRST_BURSTS = 16
CYCLES_RE = re.compile(r"CPU cycles/packet=([0-9.]+) \(total cycles=(\d+) / total (\w+) packets=(\d+)\)")


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def cycles(stop_output: str) -> float:
    m = CYCLES_RE.search(stop_output)
    return float(m.group(1)) if m else float("nan")


def one(args) -> int:
    """Measure one build (IVSHMEM2_BUILD_DIR): one JSON line per (mode, size)."""
    sys.path[:0] = [str(REPO / "dts"), str(REPO / "tests" / "lib")]
    from framework.config import NodeConfig
    from framework.ivshmem2 import Ivshmem2Group
    from framework.node import SutNode
    from framework.testpmd_shell import TestPmdShell, start_one_way

    node = SutNode(NodeConfig(name="copyab", lcores=[0, 1], eal_memory=["--in-memory"],
                              mbufs=32768, startup_timeout=120, command_timeout=60,
                              log_level="error"))
    try:
        group = Ivshmem2Group(node)
        app = ["--record-core-cycles"]
        a = TestPmdShell(node, [group.vdev()], slot=0, name="copyab-a", app_args=app)
        b = TestPmdShell(node, [group.vdev()], slot=1, name="copyab-b", app_args=app)
        a.wait_link(0, True, timeout=60)
        b.wait_link(0, True, timeout=60)
        for mode in args.modes:
            for size in args.sizes:
                for s in (a, b):
                    s.send_command(f"set txpkts {size}")
                if mode == "uni":
                    start_one_way(a, b)
                else:
                    a.set_forward_mode("io")
                    b.set_forward_mode("io")
                    a.start_forwarding(tx_first=TX_FIRST_BURSTS)
                    b.start_forwarding(tx_first=TX_FIRST_BURSTS)
                time.sleep(args.warmup)
                a0, b0 = a.show_port_stats(0).rx_packets, b.show_port_stats(0).rx_packets
                t0 = time.monotonic()
                time.sleep(args.seconds)
                a1, b1 = a.show_port_stats(0).rx_packets, b.show_port_stats(0).rx_packets
                t1 = time.monotonic()
                out_b = b.stop_forwarding()
                out_a = a.stop_forwarding()
                frames = (a1 - a0) + ((b1 - b0) if mode == "bidir" else 0)
                print(json.dumps({"mode": mode, "size": size,
                                  "mpps": frames / (t1 - t0) / 1e6,
                                  "cyc_a": cycles(out_a), "cyc_b": cycles(out_b)}),
                      flush=True)
    finally:
        node.kill_all()
        node.close()
    return 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("build_a", type=Path, nargs="?")
    p.add_argument("build_b", type=Path, nargs="?")
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--sizes", default="64,1518")
    p.add_argument("--modes", default="uni,bidir")
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--warmup", type=float, default=1.0)
    p.add_argument("--env-a", action="append", default=[], help="VAR=value for build A")
    p.add_argument("--env-b", action="append", default=[], help="VAR=value for build B")
    p.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    args.sizes = [int(s) for s in args.sizes.split(",")]
    args.modes = args.modes.split(",")
    if args.one:
        return one(args)

    samples = []
    for rep in range(1, args.reps + 1):
        for label, build, extra in (("A", args.build_a, args.env_a),
                                    ("B", args.build_b, args.env_b)):
            env = dict(os.environ, IVSHMEM2_BUILD_DIR=str(build.resolve()))
            env.update(kv.split("=", 1) for kv in extra)
            load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
            log(f"rep {rep}/{args.reps}: build {label} ({build}), load {load}")
            cmd = [sys.executable, __file__, "--one", "--sizes",
                   ",".join(map(str, args.sizes)), "--modes", ",".join(args.modes),
                   "--seconds", str(args.seconds), "--warmup", str(args.warmup)]
            proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
            if proc.returncode != 0:
                log(f"build {label} rep {rep} failed: {proc.stderr[-1500:]}")
                continue
            for line in proc.stdout.splitlines():
                r = json.loads(line)
                r.update(build=label, rep=rep)
                samples.append(r)
                log(f"  {label} {r['mode']:5s} {r['size']:5d} B: {r['mpps']:6.2f} Mpps, "
                    f"cycles/pkt A {r['cyc_a']:.0f} B {r['cyc_b']:.0f}")

    print(f"A = {args.build_a} {' '.join(args.env_a)}".rstrip())
    print(f"B = {args.build_b} {' '.join(args.env_b)}".rstrip())
    print("Mpps per rep (in run order), medians, B/A; cycles/packet = testpmd "
          "--record-core-cycles medians (uni: rx side / tx side; bidir: the two io sides)\n")
    print("| mode | size | A Mpps reps | B Mpps reps | A median | B median | B/A "
          "| B/A per rep, median | A cyc/pkt | B cyc/pkt |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for mode in args.modes:
        for size in args.sizes:
            def pick(lbl, key):
                return [r[key] for r in samples
                        if r["build"] == lbl and r["mode"] == mode and r["size"] == size]
            va, vb = pick("A", "mpps"), pick("B", "mpps")
            if not va or not vb:
                continue
            ma, mb = statistics.median(va), statistics.median(vb)
            # Neighbours in time see the same load: the ratio within a rep is steadier.
            paired = [rb["mpps"] / ra["mpps"] for ra in samples for rb in samples
                      if ra["build"] == "A" and rb["build"] == "B" and ra["rep"] == rb["rep"]
                      and ra["mode"] == rb["mode"] == mode and ra["size"] == rb["size"] == size]

            def cyc(lbl):
                x, y = statistics.median(pick(lbl, "cyc_a")), statistics.median(pick(lbl, "cyc_b"))
                return f"{x:.0f} / {y:.0f}"
            print(f"| {mode} | {size} | {' '.join(f'{v:.2f}' for v in va)} "
                  f"| {' '.join(f'{v:.2f}' for v in vb)} | {ma:.2f} | {mb:.2f} | {mb / ma:.3f} "
                  f"| {statistics.median(paired):.3f} | {cyc('A')} | {cyc('B')} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

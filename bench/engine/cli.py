# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""The command line of bench/bench.py (also used by demo.sh, ab.sh, dts/run-perf.sh)."""

from __future__ import annotations

import argparse
import datetime
import sys
from pathlib import Path
from typing import List, Optional

from . import expect, report
from .runner import Config, Engine, log
from .transports import SIZES, TRANSPORTS, WORKLOADS

REPO = Path(__file__).resolve().parents[2]
RESULTS = REPO / "bench" / "results"


def _list(text: str) -> List[str]:
    return [x for x in text.split(",") if x]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="bench.py",
        description="Interleaved throughput (and latency) of host transports with stock "
                    "dpdk-testpmd; writes perf.json, perf.md, perf.png (perf-latency.png).")
    g = p.add_argument_group("what to measure (a --profile sets these; flags override)")
    g.add_argument("--profile", help="a profile of --conf (e.g. test, full)")
    g.add_argument("--conf", type=Path, default=expect.DEFAULT_CONF,
                   help="profiles and expectations (default dts/conf/ivshmem2_perf.yaml)")
    g.add_argument("--transports", help="comma list of: " + ", ".join(TRANSPORTS))
    g.add_argument("--workloads", "--modes", dest="workloads",
                   help="comma list of: " + ", ".join(WORKLOADS) + " (bidir = bidi)")
    g.add_argument("--sizes", help="frame sizes, e.g. " + ",".join(map(str, SIZES)))
    g.add_argument("--reps", type=int, help="interleaved repetitions (default 5)")
    g.add_argument("--seconds", "--window", dest="window", type=float,
                   help="measurement window in s (default 5)")
    g.add_argument("--warmup", type=float, help="warm-up before each window in s (default 1)")
    g.add_argument("--cpus", help="A,B: CPUs of peer A's and peer B's forwarding lcore "
                                  "(default 1,0)")
    g.add_argument("--baseline", help="transport the ratio column compares with "
                                      "(default memif)")
    g.add_argument("--latency", action=argparse.BooleanOptionalAction, default=None,
                   help="also ping-pong latency, idle and at 50 %% of max (default off)")
    g.add_argument("--latency-seconds", type=float)
    g.add_argument("--syscalls", action="store_true",
                   help="also count syscalls (strace -c -f) of both peers during uni 64 B")
    g.add_argument("--descriptors", type=int)
    g.add_argument("--burst", type=int)
    g.add_argument("--eal-memory", default="--in-memory",
                   help="EAL memory options (default --in-memory: hugepages, no files)")
    g.add_argument("--mbufs", type=int, default=32768)
    g.add_argument("--quick", action="store_true", help="1 rep, 1 s windows, 0.5 s warm-up")
    o = p.add_argument_group("output and judging")
    o.add_argument("--report", type=Path, metavar="DIR",
                   help="directory for perf.json/md/png (default bench/results/<UTC time>)")
    o.add_argument("--no-plots", action="store_true")
    o.add_argument("--expect", action="store_true",
                   help="verdicts against the profile's expectations (report only)")
    o.add_argument("--render", type=Path, metavar="JSON",
                   help="no run: re-render perf.md and the PNGs from a perf.json "
                        "(with --expect: judge it first)")
    o.add_argument("--make-expectations", type=Path, metavar="JSON",
                   help="no run: write the medians of a perf.json into --conf as profile "
                        "--profile's expectations")
    o.add_argument("--tolerance", type=float, default=0.5,
                   help="tolerance for --make-expectations (fraction, default 0.5)")
    return p


def config_from(a) -> Config:
    cfg = Config()
    if a.profile:
        expect.apply_profile(cfg, expect.profile(expect.load(a.conf), a.profile), a.profile)
    if a.quick:
        cfg.reps, cfg.window_s, cfg.warmup_s, cfg.latency_window_s = 1, 1.0, 0.5, 1.0
    if a.transports:
        cfg.transports = _list(a.transports)
    if a.workloads:
        cfg.workloads = ["bidi" if w == "bidir" else w for w in _list(a.workloads)]
    if a.sizes:
        cfg.sizes = [int(s) for s in _list(a.sizes)]
    for src, dst in (("reps", "reps"), ("window", "window_s"), ("warmup", "warmup_s"),
                     ("baseline", "baseline"), ("latency", "latency"),
                     ("latency_seconds", "latency_window_s"), ("descriptors", "descriptors"),
                     ("burst", "burst")):
        v = getattr(a, src)
        if v is not None:
            setattr(cfg, dst, v)
    if a.cpus:
        c = [int(x) for x in _list(a.cpus)]
        if len(c) != 2:
            raise ValueError("--cpus A,B: two CPU numbers")
        cfg.cpus = (c[0], c[1])
    cfg.syscalls = cfg.syscalls or a.syscalls
    cfg.eal_memory = a.eal_memory.split()
    cfg.mbufs = a.mbufs
    cfg.validate()
    return cfg


def _expectations(a, result: dict) -> None:
    prof_name = a.profile or next((p["value"] for p in result["parameters"]
                                   if p["name"] == "profile"), "")
    if not prof_name:
        raise ValueError("--expect needs --profile (or a run made with one)")
    prof = expect.profile(expect.load(a.conf), prof_name)
    report.judge(result, expect.expectations(prof), f"{a.conf}:{prof_name}")


def main(argv: Optional[List[str]] = None) -> int:
    a = parser().parse_args(argv)
    try:
        if a.make_expectations:
            if not a.profile:
                raise ValueError("--make-expectations needs --profile")
            result = report.load(a.make_expectations)
            entries = expect.make_expectations(report.rows_of(result), a.tolerance)
            m = result.get("metadata", {})
            par = {x["name"]: x["value"] for x in result.get("parameters", [])}
            source = (f"medians of the run of {m.get('started')} ({par.get('repetitions')} reps "
                      f"x {par.get('window_s')} s) on {m.get('cpu_model')} "
                      f"({len(m.get('cpus_online', []))} CPUs), commit "
                      f"{m.get('project', {}).get('commit', '?')[:12]}")
            n = expect.write_expectations(a.conf, a.profile, entries, source)
            log(f"wrote {n} expectations into {a.conf} profile {a.profile}")
            return 0
        if a.render:
            result = report.load(a.render)
            if a.expect:
                _expectations(a, result)
            outdir = a.report or a.render.parent
        else:
            cfg = config_from(a)
            outdir = a.report or RESULTS / datetime.datetime.utcnow().strftime("%Y%m%d-%H%M%S")
            result = Engine(cfg).run()
            if a.expect:
                _expectations(a, result)
    except ValueError as e:
        print(f"bench.py: {e}", file=sys.stderr)
        return 2
    files = report.write(result, outdir, plots=not a.no_plots)
    print(report.markdown(result))
    for f in files.values():
        log(f"wrote {f}")
    return 0

# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""perf.json (Open Lab style), perf.md and the PNG plots of one run.

perf.json:
  {"status": "PASS" | "FAIL",
   "performance": [{"name": "ivshmem2/uni/64B", "value": <median>, "unit": "Mpps",
                    "delta": <(median - expected) / expected, or null>, ...row fields}],
   "parameters": [{"name": ..., "value": ...}],
   "metadata": {cpu_model, kernel, dpdk_version, project, lcores, duration_s, ...},
   "samples": [every window], "latency": {transport: {idle, max, load}},
   "errors": [...], "warnings": [...]}
status is FAIL when a case failed to run or a verdict is FAIL.
Everything else (markdown, plots, verdicts) is derived from that dict, so
bench.py --render / --expect work on a stored perf.json.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, List, Optional

from . import expect
from .stats import Row, Sample, summarize, summarize_by_state
from .transports import TRANSPORTS, WORKLOADS, applicable, skip_reason

UNIT = "Mpps"


# Fewer frames than this in a window (any transport manages millions): a stall.
STALL_FRAMES = 1000


def _name(r: Row) -> str:
    return f"{r.transport}/{r.workload}/{r.size}B"


def build(cfg, meta: dict, samples: List[Sample], latency: Dict[str, dict],
          errors: List[str], warnings: Optional[List[str]] = None) -> dict:
    rows = summarize(samples, cfg.baseline)
    result = {
        "status": "PASS",
        "performance": [],
        "parameters": cfg.parameters(),
        "metadata": meta,
        "samples": [s.to_dict() for s in samples],
        "latency": latency,
        "errors": list(errors),
        "warnings": list(warnings or []),
        "skipped": [],
    }
    _fill_performance(result, rows, {})
    # A window in which (almost) nothing moved is a stall, not a slow figure.
    for smp in samples:
        if smp.rx_a + smp.rx_b < STALL_FRAMES:
            result["errors"].append(
                f"{smp.transport}/{smp.workload}/{smp.size}B rep {smp.rep}: "
                f"{smp.rx_a + smp.rx_b} frames in the {smp.window_s:.1f} s window: stalled")
    # A case asked for but never measured is an error too.
    have = {r.key for r in rows}
    for t in cfg.transports:
        for w in cfg.workloads:
            if t in TRANSPORTS and not applicable(TRANSPORTS[t], w):
                result["skipped"].append(skip_reason(TRANSPORTS[t], w))
                continue
            for s in cfg.sizes:
                if (t, w, s) not in have:
                    result["errors"].append(f"{t}/{w}/{s}B: no sample")
    result["status"] = _status(result)
    return result


def _param(result: dict, name: str, default=None):
    for p in result.get("parameters", []):
        if p.get("name") == name:
            return p.get("value")
    return default


def rows_of(result: dict) -> List[Row]:
    return summarize([Sample(**s) for s in result.get("samples", [])],
                     _param(result, "baseline"))


def _fill_performance(result: dict, rows: List[Row], exp: expect.Expectations) -> None:
    base = _param(result, "baseline")
    perf = []
    for r in rows:
        e = exp.get(r.key)
        v, delta = expect.verdict(r.median, e)
        d = r.to_dict()
        d.pop("values")
        perf.append({"name": _name(r), "value": round(float(r.median), 3), "unit": UNIT,
                     "delta": None if delta is None else round(delta, 4),
                     **{k: (round(x, 4) if isinstance(x, float) else x) for k, x in d.items()},
                     "baseline": base, "expected": e[0] if e else None,
                     "tolerance": e[1] if e else None, "verdict": v})
    result["performance"] = perf


def _status(result: dict) -> str:
    if result.get("errors"):
        return "FAIL"
    if any(p.get("verdict") == expect.FAIL for p in result["performance"]):
        return "FAIL"
    return "PASS"


def judge(result: dict, exp: expect.Expectations, source: str = "") -> dict:
    """Verdicts of @result against @exp (in place; also returned)."""
    _fill_performance(result, rows_of(result), exp)
    result["metadata"]["expectations"] = source
    result["status"] = _status(result)
    return result


# --- markdown ---
def _f(x: Optional[float], fmt: str = "{:.2f}") -> str:
    return "-" if x is None else fmt.format(x)


def header_lines(result: dict) -> List[str]:
    m = result["metadata"]
    lc = m.get("lcores", {})
    proj = m.get("project", {})
    commit = proj.get("commit", "?")[:12] + (" (dirty)" if proj.get("dirty") else "")
    shared = lc.get("shared_physical_core")
    shared_txt = {True: "the SAME physical core (hyperthreads or one CPU)",
                  False: "different physical cores", None: "unknown cores"}[shared]
    verified = lc.get("verified")
    checks = "; ".join(
        f"{c['transport']}: A ran on {c['a'].get('last_cpu')}"
        + (f", B on {c['b'].get('last_cpu')}" if "b" in c else "")
        for c in lc.get("checks", []))
    ver_txt = {True: "verified (each peer's forwarding thread pinned to and running on its CPU)",
               False: "NOT as asked", None: "not checked"}[verified]
    p = {x["name"]: x["value"] for x in result["parameters"]}
    return [
        f"# ivshmem2 performance, {m.get('started', '?')}",
        "",
        f"- CPU: {m.get('cpu_model')} ({len(m.get('cpus_online', []))} online CPUs), "
        f"kernel {m.get('kernel')}, DPDK {m.get('dpdk_version')}, TSC {m.get('tsc_mhz')} MHz",
        f"- project commit {commit} ({proj.get('branch', '')}), run took "
        f"{m.get('duration_s')} s, load average before {m.get('loadavg_before')}",
        f"- forwarding lcores: peer A on CPU {lc.get('cpu_a')}, peer B on CPU "
        f"{lc.get('cpu_b')}: {shared_txt}; placement {ver_txt}"
        + (f" ({checks})" if checks else ""),
        f"- method: stock dpdk-testpmd, two processes, {p.get('repetitions')} interleaved "
        f"repetitions (rep-major, order rotated), {p.get('window_s')} s windows after "
        f"{p.get('warmup_s')} s warm-up, {p.get('descriptors')} descriptors, burst "
        f"{p.get('burst')}; median/min/max over repetitions, spread = (max - min) / median, "
        f"x {p.get('baseline')} = median / {p.get('baseline')}'s median; x best other "
        f"(net_ivshmem2 rows) = median / the best median of the other transports"
        + (f"; profile `{p.get('profile')}`" if p.get("profile") else ""),
        "- cycles/packet: `testpmd` = --record-core-cycles at `stop` (warm-up + window), "
        "`TSC` = TSC Hz x window / packets of that lcore (a polling lcore is 100 % busy); "
        "of the receiver A for uni, the mean of both peers otherwise",
    ] + _line_lines(result) + [
        f"- status: **{result.get('status')}**",
    ]


def _line_lines(result: dict) -> List[str]:
    """The header's line about the cache-line transfer probe, if the run has one."""
    ns = [x for s in result.get("samples", []) for x in s.get("line_ns", [])]
    if not ns:
        return []
    return [f"- line ns: one-way cache-line transfer between the two forwarding CPUs "
            f"(ivshmem2-c2c, peers stopped, before and after each window), median (min-max) "
            f"over a row's windows; this run {min(ns):.0f}-{max(ns):.0f} ns. A shared-memory "
            f"transport moves such lines for every packet: where the host moved the vCPUs "
            f"between cores that share a cache and cores that do not, this figure and the "
            f"rows swing together"]


def markdown(result: dict) -> str:
    out = header_lines(result)
    perf = result["performance"]
    base = _param(result, "baseline")
    with_verdicts = any(x.get("expected") is not None for x in perf)
    with_best = any(x.get("vs_best_other") is not None for x in perf)
    with_line = any(x.get("line_ns") is not None for x in perf)
    for w in [w for w in WORKLOADS if any(x["workload"] == w for x in perf)]:
        out += ["", f"## {w}: {WORKLOADS[w]}", ""]
        head = ["size", "transport", "median Mpps", "min", "max", "spread", f"x {base}",
                "Gbit/s", "cyc/pkt testpmd", "cyc/pkt TSC", "n"]
        if with_best:
            head.insert(7, "x best other")
        if with_line:
            head.insert(len(head) - 1, "line ns")
        if with_verdicts:
            head += ["expected", "verdict"]
        out += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for x in sorted((x for x in perf if x["workload"] == w),
                        key=lambda x: (x["size"], list(TRANSPORTS).index(x["transport"])
                                       if x["transport"] in TRANSPORTS else 99)):
            cells = [f"{x['size']}", x["transport"], f"{x['median']:.2f}",
                     f"{x['min']:.2f}", f"{x['max']:.2f}", f"{x['spread'] * 100:.0f} %",
                     _f(x.get("ratio")), f"{x['gbps']:.1f}", _f(x.get("cpp_testpmd"), "{:.0f}"),
                     _f(x.get("cpp_tsc"), "{:.0f}"), str(x["n"])]
            if with_best:
                cells.insert(7, _f(x.get("vs_best_other")))
            if with_line:
                cells.insert(len(cells) - 1, "-" if x.get("line_ns") is None else
                             f"{x['line_ns']:.0f} ({x['line_ns_min']:.0f}-"
                             f"{x['line_ns_max']:.0f})")
            if with_verdicts:
                cells += [_f(x.get("expected")),
                          x["verdict"] + (f" ({x['delta'] * 100:+.0f} %)"
                                          if x.get("delta") is not None else "")]
            out.append("| " + " | ".join(cells) + " |")
    out += _by_state(result)
    lat = result.get("latency") or {}
    if lat:
        out += ["", "## Latency: ivshmem2-pktcheck ping -> pong, 64 B, round trip", "",
                "idle = one frame in flight; max = open-loop as fast as pktcheck sends; "
                "load = open-loop at the fraction of max given (round trip from the TSC "
                "each frame carries, queueing included).", "",
                "| transport | load | asked pps | sent pps | answered | p50 us | p90 us | "
                "p99 us | max us |", "|---|---|---|---|---|---|---|---|---|"]
        for t, res in lat.items():
            for k in ("idle", "max", "load"):
                p = res.get(k)
                if not p:
                    continue
                label = {"idle": "idle", "max": "max",
                         "load": f"{p.get('load_fraction', 0.5) * 100:.0f} % of max"}[k]
                out.append(f"| {t} | {label} | {p.get('rate_pps', 0):.0f} | "
                           f"{p.get('sent_pps', 0):.0f} | {p.get('answered', 0)} | "
                           f"{p.get('p50_us', 0):.2f} | {p.get('p90_us', 0):.2f} | "
                           f"{p.get('p99_us', 0):.2f} | {p.get('max_us', 0):.2f} |")
    sc = result.get("syscalls") or {}
    if sc:
        out += ["", "## Syscalls while polling (strace -c -f on each peer, uni 64 B)", "",
                "| transport | seconds | frames | receiver | sender | per frame | receiver top "
                "| sender top |", "|---|---|---|---|---|---|---|---|"]
        for t, x in sc.items():
            per = (x["receiver_calls"] + x["sender_calls"]) / max(x["frames"], 1)
            out.append(f"| {t} | {x['seconds']} | {x['frames']} | {x['receiver_calls']} | "
                       f"{x['sender_calls']} | {per:.2e} | {x['receiver_top']} | "
                       f"{x['sender_top']} |")
    if result.get("errors"):
        out += ["", "## Errors", ""] + [f"- {e}" for e in result["errors"]]
    if result.get("skipped"):
        out += ["", "## Not run", ""] + [f"- {e}" for e in result["skipped"]]
    if result.get("warnings"):
        out += ["", "## Warnings", ""] + [f"- {e}" for e in result["warnings"]]
    return "\n".join(out) + "\n"


def _by_state(result: dict) -> List[str]:
    """Each case again per line transfer state: only windows whose two
    probes fell in one state; ratios within that state."""
    by = summarize_by_state([Sample(**s) for s in result.get("samples", [])],
                            _param(result, "baseline"))
    if not by:
        return []
    out = ["", "## By line transfer state", "",
           "The windows again, grouped by the state of the machine around them: the "
           "probes before and after a window both in one cluster of line transfer times "
           "(windows whose probes disagree are left out). Ratios compare transports in "
           "the same state.", ""]
    head = ["state (line ns)", "workload", "size", "transport", "n", "median Mpps", "min",
            "max", "x best other", "cyc/pkt testpmd"]
    out += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for (lo, hi), rows in by:
        for r in sorted(rows, key=lambda r: (list(WORKLOADS).index(r.workload)
                                              if r.workload in WORKLOADS else 99, r.size,
                                              list(TRANSPORTS).index(r.transport)
                                              if r.transport in TRANSPORTS else 99)):
            out.append(f"| {lo:.0f}-{hi:.0f} | {r.workload} | {r.size} | {r.transport} | "
                       f"{r.n} | {r.median:.2f} | {r.min:.2f} | {r.max:.2f} | "
                       f"{_f(r.vs_best_other)} | {_f(r.cpp_testpmd, '{:.0f}')} |")
    return out


def write(result: dict, outdir: Path, plots: bool = True) -> Dict[str, Path]:
    """perf.json, perf.md and (with matplotlib) perf.png, perf-line.png (with
    line transfer times), perf-latency.png (with latency)."""
    from . import plot  # noqa: PLC0415 - matplotlib only when plotting

    outdir.mkdir(parents=True, exist_ok=True)
    files = {"json": outdir / "perf.json", "md": outdir / "perf.md"}
    files["json"].write_text(json.dumps(result, indent=1) + "\n")
    files["md"].write_text(markdown(result))
    if plots:
        if plot.throughput(result, outdir / "perf.png"):
            files["png"] = outdir / "perf.png"
        if plot.line_state(result, outdir / "perf-line.png"):
            files["line_png"] = outdir / "perf-line.png"
        if result.get("latency") and plot.latency(result, outdir / "perf-latency.png"):
            files["latency_png"] = outdir / "perf-latency.png"
    return files


def load(path: Path) -> dict:
    return json.loads(Path(path).read_text())

# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""PNG plots of a perf.json dict (matplotlib, Agg backend)."""

from __future__ import annotations

from pathlib import Path

from .stats import Sample, line_states, window_state
from .transports import TRANSPORTS, WORKLOADS


def _plt():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    return plt


def throughput(result: dict, path: Path) -> bool:
    """Median Mpps vs frame size per transport (bars = min..max), one panel per workload."""
    plt = _plt()
    perf = result.get("performance", [])
    if plt is None or not perf:
        return False
    workloads = [w for w in WORKLOADS if any(p["workload"] == w for p in perf)]
    fig, axes = plt.subplots(1, len(workloads), figsize=(6 * len(workloads), 4.5),
                             squeeze=False)
    for ax, w in zip(axes[0], workloads):
        for t in [t for t in TRANSPORTS if any(p["transport"] == t for p in perf)]:
            pts = sorted((p for p in perf if p["transport"] == t and p["workload"] == w),
                         key=lambda p: p["size"])
            if not pts:
                continue
            xs = [p["size"] for p in pts]
            med = [p["median"] for p in pts]
            err = [[p["median"] - p["min"] for p in pts], [p["max"] - p["median"] for p in pts]]
            style = {"color": "0.5", "linestyle": "--"} if t == "null" else \
                {"color": f"C{list(TRANSPORTS).index(t)}"}
            ax.errorbar(xs, med, yerr=err, marker="o", capsize=3, label=t, **style)
        ax.set_xscale("log")
        ax.set_yscale("log")
        sizes = sorted({p["size"] for p in perf})
        ax.set_xticks(sizes, [str(s) for s in sizes])
        ax.set_xlabel("frame size (bytes)")
        ax.set_ylabel("Mpps (median, bars min..max)")
        ax.set_title(w)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    m = result.get("metadata", {})
    fig.suptitle(f"{m.get('cpu_model', '')}, DPDK {m.get('dpdk_version', '')}, "
                 f"{m.get('started', '')}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def line_state(result: dict, path: Path) -> bool:
    """Every window's Mpps against the line transfer time around it (the
    mean of the probes before and after), one panel per case: how much of a
    row's spread is the machine's state rather than the transport."""
    plt = _plt()
    samples = [s for s in result.get("samples", []) if s.get("line_ns")]
    if plt is None or not samples:
        return False
    states = line_states([Sample(**s) for s in samples])
    cases = sorted({(s["workload"], s["size"]) for s in samples},
                   key=lambda c: (list(WORKLOADS).index(c[0]) if c[0] in WORKLOADS else 99, c[1]))
    cols = min(len(cases), 4)
    rows = (len(cases) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4.5 * cols, 3.8 * rows), squeeze=False)
    handles = {}
    for ax, (w, size) in zip(axes.flat, cases):
        for t in [t for t in TRANSPORTS if any(s["transport"] == t for s in samples)]:
            pts = [s for s in samples if (s["transport"], s["workload"], s["size"]) ==
                   (t, w, size)]
            if not pts:
                continue
            xs = [sum(s["line_ns"]) / len(s["line_ns"]) for s in pts]
            # Open markers: the probes before and after the window disagreed.
            solid = [window_state(Sample(**s), states) is not None for s in pts]
            color = f"C{list(TRANSPORTS).index(t)}"
            handles[t] = ax.scatter([x for x, k in zip(xs, solid) if k],
                                    [s["mpps"] for s, k in zip(pts, solid) if k], color=color,
                                    label=t, s=24)
            ax.scatter([x for x, k in zip(xs, solid) if not k],
                       [s["mpps"] for s, k in zip(pts, solid) if not k], s=24,
                       facecolors="none", edgecolors=color)
        ax.set_xscale("log")
        ax.set_xticks([10, 20, 50, 100, 200], ["10", "20", "50", "100", "200"])
        ax.set_xlabel("line transfer between the CPUs (ns)")
        ax.set_ylabel("Mpps")
        ax.set_title(f"{w} {size} B", fontsize=10)
        ax.grid(True, alpha=0.3)
    for ax in list(axes.flat)[len(cases):]:
        ax.set_visible(False)
    fig.suptitle("each window against the cache-line transfer time around it "
                 "(open: the state changed around the window)", fontsize=9)
    fig.tight_layout(rect=(0, 0, 0.88, 1))
    fig.legend([handles[t] for t in TRANSPORTS if t in handles],
               [t for t in TRANSPORTS if t in handles], loc="center right", fontsize=8)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def latency(result: dict, path: Path) -> bool:
    """Round-trip distribution (share of frames per histogram bucket), idle
    and under load, one panel per transport."""
    plt = _plt()
    lat = {t: v for t, v in (result.get("latency") or {}).items() if v}
    if plt is None or not lat:
        return False
    fig, axes = plt.subplots(1, len(lat), figsize=(5 * len(lat), 4), squeeze=False)
    for ax, (t, res) in zip(axes[0], lat.items()):
        for key, label in (("idle", "idle (1 in flight)"), ("load", "load")):
            p = res.get(key)
            if not p or not p.get("hist", {}).get("buckets"):
                continue
            if key == "load":
                label = (f"{p.get('load_fraction', 0.5) * 100:.0f} % of max "
                         f"({p.get('sent_pps', 0) / 1e6:.2f} Mpps)")
            b = p["hist"]["buckets"]
            total = sum(c for _, _, c in b) or 1
            xs = [lo / 1e3 for lo, _, _ in b] + [b[-1][1] / 1e3]
            ys = [c / total for _, _, c in b]
            ax.stairs(ys, xs, label=f"{label}, p50 {p.get('p50_us', 0):.2f} us")
        ax.set_xscale("log")
        ax.set_xlabel("round trip (us)")
        ax.set_ylabel("share of frames")
        ax.set_title(t)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True

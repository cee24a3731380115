# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Summary statistics over interleaved repetitions."""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field
from typing import Dict, Iterable, List, Optional, Tuple

Key = Tuple[str, str, int]  # transport, workload, frame size


@dataclass
class Sample:
    """One measurement window of one case in one repetition."""

    rep: int
    position: int           # place of the transport in this rep's order (0 = first)
    transport: str
    workload: str
    size: int
    mpps: float
    window_s: float
    rx_a: int = 0           # frames received by peer A in the window
    rx_b: int = 0           # frames received by peer B in the window
    cpp_testpmd: Dict[str, float] = field(default_factory=dict)  # peer -> cycles/packet
    cpp_tsc: Dict[str, float] = field(default_factory=dict)      # peer -> cycles/packet
    rx_frame_bytes: float = 0.0  # mean size of the frames A received (port stats)
    # one-way cache-line transfer between the forwarding CPUs (ns), before and after the window
    line_ns: List[float] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Row:
    """The summary of one case over its repetitions."""

    transport: str
    workload: str
    size: int
    n: int
    median: float
    min: float
    max: float
    spread: float           # (max - min) / median
    ratio: Optional[float]  # median / the baseline transport's median, same case
    cpp_testpmd: Optional[float]  # median cycles/packet, testpmd --record-core-cycles
    cpp_tsc: Optional[float]      # median cycles/packet, TSC Hz x window / packets
    values: List[float]
    # net_ivshmem2 rows: median / the best median of the other transports
    # (net_null, a one-process ceiling, excluded), same case
    vs_best_other: Optional[float] = None
    # median line transfer between the forwarding CPUs over the windows (ns), min, max
    line_ns: Optional[float] = None
    line_ns_min: Optional[float] = None
    line_ns_max: Optional[float] = None

    @property
    def key(self) -> Key:
        return (self.transport, self.workload, self.size)

    @property
    def gbps(self) -> float:
        return self.median * self.size * 8 / 1e3

    def to_dict(self) -> dict:
        d = asdict(self)
        d["gbps"] = round(self.gbps, 3)
        return d


def spread(values: List[float]) -> float:
    """(max - min) / median; 0 for one value or a zero median."""
    if not values:
        return 0.0
    med = statistics.median(values)
    return (max(values) - min(values)) / med if med > 0 else 0.0


def _receiver_cpp(per_peer: Dict[str, float], workload: str) -> Optional[float]:
    """The figure of the receiving lcore (uni: A), else the mean of both peers."""
    if not per_peer:
        return None
    if workload == "uni" and "a" in per_peer:
        return per_peer["a"]
    return sum(per_peer.values()) / len(per_peer)


def _median_or_none(values: Iterable[Optional[float]]) -> Optional[float]:
    v = [x for x in values if x is not None and x > 0]
    return statistics.median(v) if v else None


def summarize(samples: List[Sample], baseline: Optional[str] = None) -> List[Row]:
    """One Row per (transport, workload, size), in first-seen order."""
    groups: Dict[Key, List[Sample]] = {}
    for s in samples:
        groups.setdefault((s.transport, s.workload, s.size), []).append(s)
    rows: List[Row] = []
    for (t, w, size), ss in groups.items():
        vals = [s.mpps for s in ss]
        med = statistics.median(vals)
        rows.append(Row(t, w, size, len(vals), med, min(vals), max(vals), spread(vals), None,
                        _median_or_none(_receiver_cpp(s.cpp_testpmd, w) for s in ss),
                        _median_or_none(_receiver_cpp(s.cpp_tsc, w) for s in ss), vals))
        lines = [x for s in ss for x in s.line_ns]
        if lines:
            rows[-1].line_ns = statistics.median(lines)
            rows[-1].line_ns_min, rows[-1].line_ns_max = min(lines), max(lines)
    if baseline:
        base = {(r.workload, r.size): r.median for r in rows if r.transport == baseline}
        for r in rows:
            b = base.get((r.workload, r.size))
            r.ratio = r.median / b if b else None
    for r in rows:
        if not r.transport.startswith("ivshmem2"):
            continue
        others = [o.median for o in rows if (o.workload, o.size) == (r.workload, r.size)
                  and not o.transport.startswith("ivshmem2") and o.transport != "null"]
        if others and max(others) > 0:
            r.vs_best_other = r.median / max(others)
    return rows


# Line transfer times more than this factor apart belong to different states.
LINE_STATE_GAP = 1.8


def line_states(samples: List[Sample]) -> List[Tuple[float, float]]:
    """The run's line transfer states: (lowest, highest ns) of each cluster
    of the probes, split where one value is LINE_STATE_GAP times the next
    lower one (on the 2-vCPU VM: ~14 ns, one physical core; ~33 ns, cores
    that share a cache; ~160 ns, cores that do not). Lowest first."""
    ns = sorted(x for s in samples for x in s.line_ns if x > 0)
    states: List[Tuple[float, float]] = []
    for x in ns:
        if states and x <= states[-1][1] * LINE_STATE_GAP:
            states[-1] = (states[-1][0], x)
        else:
            states.append((x, x))
    return states


def window_state(s: Sample, states: List[Tuple[float, float]]) -> Optional[int]:
    """Index of the state both probes of window @s fell in; None if they
    differ (the state changed around the window) or there is no probe."""
    idx = {i for x in s.line_ns for i, (lo, hi) in enumerate(states) if lo <= x <= hi}
    return idx.pop() if len(idx) == 1 and s.line_ns else None


def summarize_by_state(samples: List[Sample], baseline: Optional[str] = None
                       ) -> List[Tuple[Tuple[float, float], List[Row]]]:
    """summarize() of the windows of each line transfer state (windows whose
    probes disagree left out); empty when the run saw fewer than two states."""
    states = line_states(samples)
    if len(states) < 2:
        return []
    out = []
    for i, st in enumerate(states):
        ss = [s for s in samples if window_state(s, states) == i]
        if ss:
            out.append((st, summarize(ss, baseline)))
    return out


def rotated(items: List[str], rep: int) -> List[str]:
    """The order of @items in repetition @rep (1-based): rotated by rep - 1,
    so every transport runs first, second, ... equally often."""
    if not items:
        return []
    k = (rep - 1) % len(items)
    return items[k:] + items[:k]

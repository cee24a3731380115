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


def rotated(items: List[str], rep: int) -> List[str]:
    """The order of @items in repetition @rep (1-based): rotated by rep - 1,
    so every transport runs first, second, ... equally often."""
    if not items:
        return []
    k = (rep - 1) % len(items)
    return items[k:] + items[:k]

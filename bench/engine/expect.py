# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Profiles and expected rates (dts/conf/ivshmem2_perf.yaml) and verdicts.

A verdict compares a case's median with its expected Mpps: PASS when
median >= expected x (1 - tolerance), FAIL below, NO-EXPECTATION when the
profile has no figure for the case. Verdicts go into the report only; no
test asserts a rate (two-process rates swing on shared hosts).
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Optional, Tuple

import yaml

REPO = Path(__file__).resolve().parents[2]
DEFAULT_CONF = REPO / "dts" / "conf" / "ivshmem2_perf.yaml"

PASS, FAIL, NONE = "PASS", "FAIL", "NO-EXPECTATION"

# Keys of a profile that map onto runner.Config fields.
PROFILE_KEYS = {"transports": "transports", "workloads": "workloads", "sizes": "sizes",
                "reps": "reps", "window_s": "window_s", "warmup_s": "warmup_s",
                "baseline": "baseline", "latency": "latency",
                "latency_window_s": "latency_window_s", "syscalls": "syscalls", "descriptors": "descriptors",
                "burst": "burst"}


def load(path: Path = DEFAULT_CONF) -> dict:
    data = yaml.safe_load(Path(path).read_text()) or {}
    if "profiles" not in data:
        raise ValueError(f"{path}: no 'profiles'")
    return data


def profile(data: dict, name: str) -> dict:
    try:
        return data["profiles"][name]
    except KeyError:
        raise ValueError(f"no profile '{name}' (have: {', '.join(data['profiles'])})") from None


def apply_profile(cfg, prof: dict, name: str) -> None:
    """Set the Config fields a profile names."""
    for key, attr in PROFILE_KEYS.items():
        if key in prof:
            v = prof[key]
            if key in ("transports", "workloads"):
                # YAML reads a bare null as None: the transport is "null".
                v = ["null" if x is None else str(x) for x in v]
            setattr(cfg, attr, list(v) if isinstance(v, list) else v)
    cfg.profile = name


Expectations = Dict[Tuple[str, str, int], Tuple[float, float]]


def expectations(prof: dict, default_tolerance: float = 0.5) -> Expectations:
    """(transport, workload, size) -> (expected Mpps, tolerance)."""
    tol = float(prof.get("tolerance", default_tolerance))
    out: Expectations = {}
    for e in prof.get("expectations", []) or []:
        out[(str(e["transport"]), str(e["workload"]), int(e["size"]))] = (
            float(e["mpps"]), float(e.get("tolerance", tol)))
    return out


def verdict(median: float, expected: Optional[Tuple[float, float]]) -> Tuple[str, Optional[float]]:
    """(verdict, delta) where delta = (median - expected) / expected."""
    if expected is None or expected[0] <= 0:
        return NONE, None
    mpps, tol = expected
    delta = (median - mpps) / mpps
    return (PASS if median >= mpps * (1 - tol) else FAIL), delta


def make_expectations(rows, tolerance: float) -> List[dict]:
    """Expectation entries from measured rows (their medians)."""
    return [{"transport": r.transport, "workload": r.workload, "size": r.size,
             "mpps": round(r.median, 2), "tolerance": tolerance} for r in rows]


def write_expectations(path: Path, name: str, entries: List[dict], source: str) -> int:
    """Replace profile @name's expectations in the YAML at @path, keeping the
    rest of the profile; only cases the profile measures are kept (when it
    names transports/workloads/sizes). Comments other than HEADER are lost."""
    data = load(path)
    prof = data["profiles"].setdefault(name, {})

    def wanted(e: dict) -> bool:
        for key, field in (("transports", "transport"), ("workloads", "workload"),
                           ("sizes", "size")):
            if key in prof and e[field] not in [("null" if x is None else x)
                                                for x in prof[key]]:
                return False
        return True

    prof["expectations"] = [e for e in entries if wanted(e)]
    prof["expectations_from"] = source
    Path(path).write_text(HEADER + yaml.safe_dump(data, sort_keys=False, width=100,
                                                  default_flow_style=None))
    return len(prof["expectations"])


HEADER = """\
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
#
# Performance profiles of bench/engine (dts/test_plans/ivshmem2_perf_test_plan.rst).
# A profile sets what is measured; its expectations are the expected median Mpps
# per case with a tolerance (fraction): verdict PASS when median >= mpps x (1 - tolerance).
# Verdicts are written into the report only; nothing asserts a rate.
#   bench/bench.py --profile full --expect          run and judge
#   bench/bench.py --make-expectations RUN/perf.json --profile full --tolerance 0.5
# (rewrites this file from a run's medians; comments other than this header are lost).
"""

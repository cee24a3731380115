# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""One real tiny run of bench/bench.py: 1 rep, 1 s, net_ivshmem2 and
net_memif at 64 B one way; the engine's JSON holds both with Mpps > 0 and
the line transfer times around each window."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

import ivshmem2_paths

pytestmark = pytest.mark.pmd

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench.py"


def test_bench_smoke(tmp_path):
    if not ivshmem2_paths.PMD.exists():
        pytest.skip(f"{ivshmem2_paths.PMD} not built")
    p = subprocess.run(
        [sys.executable, str(BENCH), "--reps", "1", "--seconds", "1", "--warmup", "0.5",
         "--transports", "ivshmem2,memif", "--workloads", "uni", "--sizes", "64",
         "--eal-memory", "--no-huge -m 512", "--mbufs", "16384", "--report", str(tmp_path)],
        capture_output=True, text=True, timeout=300, check=False)
    assert p.returncode == 0, p.stderr[-3000:]
    r = json.loads((tmp_path / "perf.json").read_text())
    assert r["status"] == "PASS", r["errors"]
    by = {x["name"]: x for x in r["performance"]}
    assert set(by) == {"ivshmem2/uni/64B", "memif/uni/64B"}
    assert all(x["value"] > 0 and x["unit"] == "Mpps" for x in by.values())
    assert r["metadata"]["dpdk_version"] and r["metadata"]["cpu_model"]
    assert r["metadata"]["lcores"]["verified"] is True
    # ivshmem2-c2c ran before and after every window (it is built with the PMD).
    assert all(len(x["line_ns"]) == 2 and all(ns > 0 for ns in x["line_ns"])
               for x in r["samples"]), r["samples"]
    assert "line ns" in (tmp_path / "perf.md").read_text()
    assert (tmp_path / "perf.md").exists() and (tmp_path / "perf.png").exists()
    assert "ivshmem2" in p.stdout and "memif" in p.stdout

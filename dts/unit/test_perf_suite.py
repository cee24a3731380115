# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""TestSuite_ivshmem2_perf over the transports of its profiles, with the engine
replaced by one that returns a sample per case: a transport the profile runs
but has no expectation for is reported NO-EXPECTATION and does not fail the
suite; its n/a cases are listed as not run, not as missing."""

import importlib.util
import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from engine import expect, report
from engine.stats import Sample
from engine.transports import TRANSPORTS, applicable
from framework.exception import VerifyError

SUITE = Path(__file__).resolve().parents[1] / "tests" / "TestSuite_ivshmem2_perf.py"

META = {"cpu_model": "Test CPU", "kernel": "6.1", "dpdk_version": "22.11.11",
        "project": {"commit": "abc", "branch": "t", "dirty": False}, "started": "t0",
        "cpus_online": [0, 1], "tsc_mhz": 2000, "duration_s": 1.0, "loadavg_before": "0",
        "lcores": {"cpu_a": 1, "cpu_b": 0, "shared_physical_core": False, "verified": True,
                   "checks": []}}


def _suite_module():
    spec = importlib.util.spec_from_file_location("perf_suite_under_test", SUITE)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


class _FakeEngine:
    """One sample per case the engine would run: the expected Mpps, or 1."""

    def __init__(self, cfg):
        self.cfg = cfg

    def run(self):
        c = self.cfg
        exp = expect.expectations(expect.profile(expect.load(), c.profile))
        samples = [Sample(1, 0, t, w, s, exp.get((t, w, s), (1.0, 0))[0], 1.0, 1000, 1000)
                   for t in c.transports for w in c.workloads for s in c.sizes
                   if applicable(TRANSPORTS[t], w)]
        return report.build(c, json.loads(json.dumps(META)), samples, {}, [])


def _verify(cond, msg):
    if not cond:
        raise VerifyError(msg)


@pytest.fixture
def suite(monkeypatch, tmp_path):
    mod = _suite_module()
    monkeypatch.setattr(mod, "Engine", _FakeEngine)
    monkeypatch.setenv("DTS_OUTPUT_DIR", str(tmp_path))
    node = SimpleNamespace(config=SimpleNamespace(lcores=[0, 1], eal_memory=["--in-memory"],
                                                  mbufs=32768))
    return mod, SimpleNamespace(sut_node=node, verify=_verify)


def test_full_profile_enumerates_the_pool_transport(suite, monkeypatch):
    mod, self = suite
    monkeypatch.setenv("DTS_PERF_PROFILE", "full")
    cfg = mod.TestIvshmem2Perf._config(self)
    assert "ivshmem2-pool" in cfg.transports
    assert all(t in TRANSPORTS for t in cfg.transports)


def test_case_without_expectation_is_reported_not_failed(suite, monkeypatch, tmp_path):
    mod, self = suite
    monkeypatch.setenv("DTS_PERF_PROFILE", "full")
    self._config = lambda: mod.TestIvshmem2Perf._config(self)
    self._write = lambda result, sub: mod.TestIvshmem2Perf._write(self, result, sub)
    mod.TestIvshmem2Perf.test_perf_throughput(self)  # raises VerifyError on a failure

    r = json.loads((tmp_path / "ivshmem2_perf" / "throughput" / "perf.json").read_text())
    assert r["status"] == "PASS", r["errors"]
    pool = [p for p in r["performance"] if p["transport"] == "ivshmem2-pool"]
    assert {(p["workload"], p["size"]) for p in pool} == {
        (w, s) for w in ("bidi", "mac") for s in (64, 128, 256, 512, 1024, 1518, 9000)}
    assert all(p["verdict"] == expect.NONE and p["expected"] is None for p in pool)
    # The transports with expectations are judged as before.
    memif = [p for p in r["performance"] if p["transport"] == "memif"]
    assert memif and all(p["verdict"] == expect.PASS for p in memif)
    assert "ivshmem2-pool/uni: n/a (txonly allocates from testpmd's pool)" in r["skipped"]
    md = (tmp_path / "ivshmem2_perf" / "throughput" / "perf.md").read_text()
    assert "| 64 | ivshmem2-pool | 1.00 |" in md
    # ivshmem2-pool-zc has no expectation either: bidi only (uni n/a, mac writes into
    # its partner's read-only buffers).
    pool_zc = [p for p in r["performance"] if p["transport"] == "ivshmem2-pool-zc"]
    assert {(p["workload"], p["size"]) for p in pool_zc} == {
        ("bidi", s) for s in (64, 128, 256, 512, 1024, 1518, 9000)}
    assert md.count("NO-EXPECTATION") == len(pool) + len(pool_zc)

# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Performance of net_ivshmem2 beside net_memif, by bench/engine
(dts/test_plans/ivshmem2_perf_test_plan.rst).

The suite runs the engine with profile `test` of dts/conf/ivshmem2_perf.yaml
(DTS_PERF_PROFILE selects another) and writes perf.json, perf.md and the
PNGs to dts/output/ivshmem2_perf/ (DTS_OUTPUT_DIR overrides), each case with
its verdict against the profile's expected Mpps and tolerance. Verdicts are
in the report only: a case fails when traffic did not flow or the engine
could not measure, never on a rate (two-process rates swing on shared hosts).
"""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

from engine import expect, metadata, report
from engine.runner import Config, Engine
from framework.test_suite import TestSuite, perf_test
from framework.testbed_model.capability import requires
from framework.testbed_model.topology import TopologyType


def _outdir() -> Path:
    return Path(os.environ.get("DTS_OUTPUT_DIR", REPO / "dts" / "output")) / "ivshmem2_perf"


@requires(topology_type=TopologyType.no_link)
class TestIvshmem2Perf(TestSuite):
    """Throughput per profile case (verdicts in the report), latency idle and loaded.

    The engine starts its own servers and peers on the node's lcores."""

    pytest_marks = ("pmd",)

    def _config(self) -> Config:
        name = os.environ.get("DTS_PERF_PROFILE", "test")
        self.profile_name = name
        self.profile = expect.profile(expect.load(), name)
        cfg = Config()
        expect.apply_profile(cfg, self.profile, name)
        node = self.sut_node.config
        cfg.cpus = (node.lcores[1], node.lcores[0])
        cfg.eal_memory = list(node.eal_memory)
        cfg.mbufs = node.mbufs
        return cfg

    def _write(self, result: dict, sub: str) -> Path:
        report.judge(result, expect.expectations(self.profile),
                     f"dts/conf/ivshmem2_perf.yaml:{self.profile_name}")
        out = _outdir() / sub
        report.write(result, out)
        print("\n" + report.markdown(result))
        print(f"report: {out}/perf.json, perf.md")
        return out

    @perf_test
    def test_perf_throughput(self) -> None:
        """Every case of the profile (transports x workloads x sizes).

        Steps:
            bench/engine: interleaved repetitions, testpmd pairs, warm-up, window.
        Verify:
            Every case measured with frames flowing (Mpps > 0); the verdicts
            against the expectations are written to the report, not asserted.
        """
        cfg = self._config()
        cfg.latency = False
        result = Engine(cfg).run()
        self._write(result, "throughput")
        self.verify(not result["errors"], f"engine errors: {result['errors']}")
        for p in result["performance"]:
            self.verify(p["value"] > 0, f"{p['name']}: no frames")
        self.verify(result["metadata"]["lcores"]["verified"] is not False,
                    f"forwarding lcores not where asked: {result['metadata']['lcores']}")

    @perf_test
    def test_perf_latency(self) -> None:
        """Round trip over net_ivshmem2, idle and at 50 % of the highest rate.

        Steps:
            pktcheck pong on A; ping on B: one frame in flight, then open-loop
            as fast as it sends, then at half that rate.
        Verify:
            Every phase answered frames and its histogram holds them all; the
            figures are in the report.
        """
        cfg = self._config()
        cfg.transports, cfg.latency, cfg.latency_window_s = ["ivshmem2"], True, 1.0
        cfg.latency_pings = 5000
        eng = Engine(cfg)
        eng.meta = metadata.collect(*cfg.cpus)
        try:
            eng.run_latency()
        finally:
            eng.node.close()
        cfg.workloads = []  # latency only: no throughput cases expected
        result = report.build(cfg, eng.meta, [], eng.latency, eng.errors, eng.warnings)
        self._write(result, "latency")
        self.verify(not eng.errors, f"engine errors: {eng.errors}")
        lat = eng.latency.get("ivshmem2", {})
        for phase in ("idle", "max", "load"):
            p = lat.get(phase, {})
            self.verify(p.get("answered", 0) > 0, f"{phase}: nothing answered: {p}")
            hist = sum(c for _, _, c in p.get("hist", {}).get("buckets", []))
            self.verify(hist == p["answered"], f"{phase}: histogram holds {hist} of "
                        f"{p['answered']} round trips")

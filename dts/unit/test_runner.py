# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""The runner (dts/conftest.py) reports what suites do: a failed verify() fails
the case, an exception is an error, unmet @requires skip, and results.json and
results_summary.txt say the same. Runs a suite of its own in a pytest subprocess."""

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

DTS_DIR = Path(__file__).resolve().parents[1]

SUITE = '''
from framework.test_suite import TestSuite, func_test, perf_test
from framework.testbed_model.capability import requires
from framework.testbed_model.topology import TopologyType


@requires(topology_type=TopologyType.no_link)
class TestRunnerCheck(TestSuite):
    def set_up_test_case(self):
        self.calls = getattr(self, "calls", 0) + 1

    @func_test
    def test_verify_fails(self):
        self.verify(1 == 2, "one is not two")

    @func_test
    def test_raises(self):
        raise RuntimeError("boom")

    @func_test
    def test_passes(self):
        self.verify(self.calls == 3, f"set_up_test_case ran {self.calls} times")

    @perf_test
    def test_perf_not_selected(self):
        pass

    @requires(topology_type=TopologyType.two_links)
    @func_test
    def test_needs_two_links(self):
        pass


class TestRunnerNoRequires(TestSuite):
    @func_test
    def test_default_topology(self):
        pass
'''

CONF = '''
test_runs:
  - func: true
    perf: false
    test_suites: [runner_check]
    system_under_test_node: {node_name: localhost, vdevs: []}
nodes:
  - name: localhost
    lcores: "0,1"
'''


def test_runner_reports_results(tmp_path):
    suites = Path(tempfile.mkdtemp(prefix=".unit-suites-", dir=DTS_DIR))
    try:
        (suites / "TestSuite_runner_check.py").write_text(SUITE)
        (tmp_path / "conf.yaml").write_text(CONF)
        env = {"DTS_CONF": str(tmp_path / "conf.yaml"), "DTS_SUITES_DIR": str(suites),
               "PATH": "/usr/bin:/bin"}
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rA",
             str(suites / "TestSuite_runner_check.py"), f"--junitxml={tmp_path / 'r.xml'}"],
            cwd=DTS_DIR.parent, env=env, capture_output=True, text=True, timeout=120,
            check=False)
    finally:
        shutil.rmtree(suites, ignore_errors=True)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "2 failed, 1 passed, 2 skipped" in out, out
    assert "DTS verify failed: TestRunnerCheck.test_verify_fails: one is not two" in out, out
    assert "test_perf_not_selected" not in out, out
    data = json.loads((tmp_path / "r-dts" / "results.json").read_text())
    cases = {c["test_case_name"]: c for s in data["test_runs"][0]["test_suites"]
             for c in s["test_cases"]}
    assert {n: c["result"] for n, c in cases.items()} == {
        "test_verify_fails": "FAIL", "test_raises": "ERROR", "test_passes": "PASS",
        "test_needs_two_links": "SKIP", "test_default_topology": "SKIP"}
    assert cases["test_verify_fails"]["message"] == "one is not two"
    assert "two_links" in cases["test_default_topology"]["message"]
    assert data["result"] == "ERROR" and data["summary"]["PASS_RATE"] == 33.33
    summary = (tmp_path / "r-dts" / "results_summary.txt").read_text()
    assert "FAIL: runner_check.test_verify_fails: one is not two" in summary
    assert "ERROR: runner_check.test_raises: boom" in summary

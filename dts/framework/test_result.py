# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Record DTS results and write them as results.json and results_summary.txt.

As upstream, results nest: DTSResult > TestRunResult > TestSuiteResult >
TestCaseResult, each case ending in one Result. dts/conftest.py records a
result per case from pytest's reports and writes both files at the end of
the session into the output directory: <junit dir>/<junit name>-dts/ next
to --junitxml, else <build dir>/dts-output/.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Dict, List, Optional


class Result(Enum):
    """The outcome of a test case (upstream's values)."""

    PASS = "PASS"
    SKIP = "SKIP"
    BLOCK = "BLOCK"
    FAIL = "FAIL"
    ERROR = "ERROR"


@dataclass
class TestCaseResult:
    """One case: its result, how long it took, why it did not pass."""

    __test__ = False  # not a pytest class despite its name

    test_case_name: str
    result: Result
    duration: float = 0.0
    message: str = ""

    def to_dict(self) -> dict:
        d = {"test_case_name": self.test_case_name, "result": self.result.value,
             "duration_s": round(self.duration, 3)}
        if self.message:
            d["message"] = self.message
        return d


@dataclass
class TestSuiteResult:
    """One suite and its cases in the order they ran."""

    __test__ = False  # not a pytest class despite its name

    test_suite_name: str
    test_cases: List[TestCaseResult] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"test_suite_name": self.test_suite_name,
                "test_cases": [c.to_dict() for c in self.test_cases]}


@dataclass
class TestRunResult:
    """One entry of conf.yaml's test_runs."""

    __test__ = False  # not a pytest class despite its name

    sut_node: str
    topology: str
    func: bool
    perf: bool
    vdevs: List[str] = field(default_factory=list)
    test_suites: Dict[str, TestSuiteResult] = field(default_factory=dict)

    def add(self, suite: str, case: TestCaseResult) -> None:
        self.test_suites.setdefault(suite, TestSuiteResult(suite)).test_cases.append(case)

    def cases(self) -> List[TestCaseResult]:
        return [c for s in self.test_suites.values() for c in s.test_cases]

    def to_dict(self) -> dict:
        return {"sut_node": self.sut_node, "topology": self.topology, "func": self.func,
                "perf": self.perf, "vdevs": self.vdevs,
                "summary": summary(self.cases()),
                "test_suites": [s.to_dict() for s in self.test_suites.values()]}


def summary(cases: List[TestCaseResult]) -> Dict[str, object]:
    """Count per Result, plus the pass rate of the cases that were not skipped."""
    counts: Dict[str, object] = {r.value: 0 for r in Result}
    for c in cases:
        counts[c.result.value] += 1  # type: ignore[operator]
    ran = len(cases) - counts[Result.SKIP.value]  # type: ignore[operator]
    counts["PASS_RATE"] = round(100.0 * counts[Result.PASS.value] / ran, 2) if ran else 0.0
    return counts


class DTSResult:
    """Every test run of one session."""

    def __init__(self, dpdk_version: str = ""):
        self.dpdk_version = dpdk_version
        self.start = time.time()
        self.test_runs: List[TestRunResult] = []

    def add_test_run(self, run: TestRunResult) -> TestRunResult:
        self.test_runs.append(run)
        return run

    def cases(self) -> List[TestCaseResult]:
        return [c for r in self.test_runs for c in r.cases()]

    def result(self) -> Result:
        """The worst result of any case (PASS when every case passed or was skipped)."""
        order = [Result.ERROR, Result.FAIL, Result.BLOCK]
        got = {c.result for c in self.cases()}
        return next((r for r in order if r in got), Result.PASS)

    def to_dict(self) -> dict:
        return {"dpdk_version": self.dpdk_version,
                "start": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.start)),
                "duration_s": round(time.time() - self.start, 3),
                "result": self.result().value,
                "summary": summary(self.cases()),
                "test_runs": [r.to_dict() for r in self.test_runs]}

    def summary_text(self) -> str:
        """results_summary.txt: the counts, then one line per case that did not pass."""
        lines = [f"DPDK version: {self.dpdk_version or 'unknown'}"]
        for key, value in summary(self.cases()).items():
            lines.append(f"{key:<10} = {value}")
        for run in self.test_runs:
            for suite in run.test_suites.values():
                for c in suite.test_cases:
                    if c.result not in (Result.PASS, Result.SKIP):
                        first = c.message.strip().splitlines()[0] if c.message.strip() else ""
                        lines.append(f"{c.result.value}: {suite.test_suite_name}."
                                     f"{c.test_case_name}: {first}")
        return "\n".join(lines) + "\n"

    def write(self, output_dir: Path) -> Optional[Path]:
        """Write results.json and results_summary.txt into @output_dir."""
        if not self.cases():
            return None
        output_dir.mkdir(parents=True, exist_ok=True)
        (output_dir / "results.json").write_text(json.dumps(self.to_dict(), indent=4) + "\n")
        (output_dir / "results_summary.txt").write_text(self.summary_text())
        return output_dir

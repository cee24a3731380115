# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Run the DTS suites of dts/tests inside the project's single pytest run.

pytest is only the runner: every decorated case of every TestSuite_<name>.py
listed in dts/conf.yaml becomes one pytest item named
dts/tests/TestSuite_<name>.py::Test<Name>::<case>. The suite's
set_up_suite/tear_down_suite run as the setup/teardown of its collector
node, set_up_test_case/tear_down_test_case around each case, and a failed
self.verify() is reported with its message. A case whose @requires the
testbed cannot meet (topology, NIC capabilities) is skipped with the reason.
Processes a case started are killed after it even if a hook fails.

Results: every case's Result goes into framework.test_result, written at the
end of the session as results.json and results_summary.txt into
<junit dir>/<junit name>-dts/ (with --junitxml) or <build dir>/dts-output/.
"""

from __future__ import annotations

import importlib.util
import inspect
import os
import subprocess
import sys
from pathlib import Path
from typing import Optional

import pytest

import ivshmem2_paths
from framework import config as dts_config
from framework.exception import DTSError, VerifyError
from framework.test_result import DTSResult, Result, TestCaseResult, TestRunResult
from framework.test_suite import TestCaseType, TestSuite
from framework.testbed_model.capability import unmet_requirement
from framework.testbed_model.node import SutNode
from framework.testbed_model.topology import Topology, TopologyType

DTS_DIR = Path(__file__).resolve().parent
# Where the TestSuite_<name>.py files are (dts/unit/test_runner.py points it
# at suites of its own, which must be below dts/ for these hooks to see them).
SUITES_DIR = Path(os.environ.get("DTS_SUITES_DIR", DTS_DIR / "tests")).resolve()

# framework/test_suite.py would match python_files; it is not a test module.
collect_ignore = ["framework"]

_run_config = None
_results: Optional[DTSResult] = None
_test_run: Optional[TestRunResult] = None


def _config():
    global _run_config
    if _run_config is None:
        _run_config = dts_config.load()
    return _run_config


def _dpdk_version() -> str:
    try:
        return subprocess.run(["pkg-config", "--modversion", "libdpdk"], capture_output=True,
                              text=True, check=False, timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def _test_run_result() -> TestRunResult:
    global _results, _test_run
    if _test_run is None:
        conf = _config()
        _results = DTSResult(_dpdk_version())
        _test_run = _results.add_test_run(TestRunResult(
            sut_node=conf.node.name, topology=TopologyType.no_link.name, func=conf.func,
            perf=conf.perf, vdevs=list(conf.vdevs)))
    return _test_run


def pytest_collect_file(file_path: Path, parent):
    if (file_path.suffix == ".py" and file_path.name.startswith("TestSuite_")
            and file_path.parent == SUITES_DIR):
        suite = file_path.stem[len("TestSuite_"):]
        wanted = _config().test_suites
        if wanted and suite not in wanted:
            return None
        return DtsSuiteFile.from_parent(parent, path=file_path)
    return None


class DtsSuiteFile(pytest.File):
    """A TestSuite_<name>.py file."""

    def collect(self):
        name = f"dts_suite_{self.path.stem}"
        spec = importlib.util.spec_from_file_location(name, self.path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, TestSuite) and cls is not TestSuite and cls.__module__ == name:
                yield DtsSuite.from_parent(self, name=cls.__name__, suite_class=cls,
                                           suite_name=self.path.stem[len("TestSuite_"):])


class DtsSuite(pytest.Collector):
    """One TestSuite class; its set-up and tear-down are this node's."""

    def __init__(self, *, suite_class, suite_name: str, **kw):
        super().__init__(**kw)
        self.suite_class = suite_class
        self.suite_name = suite_name
        self.suite = None
        self.node_obj = None

    def collect(self):
        conf = _config()
        topology = Topology(TopologyType.no_link)
        for case_name, fn in self.suite_class.get_test_cases():
            kind = fn.test_type
            if (kind == TestCaseType.FUNCTIONAL and not conf.func) or \
                    (kind == TestCaseType.PERFORMANCE and not conf.perf):
                continue
            item = DtsCase.from_parent(self, name=case_name)
            item.add_marker(kind.value)
            for mark in getattr(self.suite_class, "pytest_marks", ()):
                item.add_marker(mark)
            why = unmet_requirement(topology, self.suite_class, fn)
            if why:
                item.add_marker(pytest.mark.skip(reason=why))
            yield item

    def setup(self):
        self.node_obj = SutNode(_config().node)
        self.suite = self.suite_class(self.node_obj)
        try:
            self.suite.set_up_suite()
        except BaseException:
            self.node_obj.close()
            raise

    def teardown(self):
        try:
            if self.suite is not None:
                self.suite.tear_down_suite()
        finally:
            if self.node_obj is not None:
                self.node_obj.close()


class DtsCase(pytest.Item):
    """One decorated test case of a suite."""

    def runtest(self):
        suite = self.parent.suite
        node = self.parent.node_obj
        try:
            suite.set_up_test_case()
            getattr(suite, self.name)()
        finally:
            try:
                suite.tear_down_test_case()
            finally:
                node.kill_all()

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, VerifyError):
            return (f"DTS verify failed: {self.parent.name}.{self.name}: {excinfo.value}")
        if isinstance(excinfo.value, DTSError):
            return f"DTS error in {self.parent.name}.{self.name}: {excinfo.value}"
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        # The line of the case (0-based): a skip is reported at it.
        fn = getattr(self.parent.suite_class, self.name)
        line = inspect.getsourcelines(fn)[1] - 1
        return self.path, line, f"{self.parent.name}::{self.name}"


def _phase_result(call) -> Result:
    if call.excinfo is None:
        return Result.PASS
    if call.excinfo.errisinstance(pytest.skip.Exception):
        return Result.SKIP
    if call.when == "call" and call.excinfo.errisinstance((VerifyError, AssertionError)):
        return Result.FAIL
    return Result.ERROR


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    yield
    if not isinstance(item, DtsCase):
        return
    phases = item.stash.setdefault(_PHASES, [])
    message = ""
    if call.excinfo is not None:
        message = str(call.excinfo.value)
    phases.append((call.when, _phase_result(call), call.duration, message))
    if call.when != "teardown":
        return
    # The case's result: the first phase that did not pass decides.
    result, msg = Result.PASS, ""
    for _, r, _, m in phases:
        if r != Result.PASS:
            result, msg = r, m
            break
    duration = sum(d for _, _, d, _ in phases)
    _test_run_result().add(item.parent.suite_name,
                           TestCaseResult(item.name, result, duration, msg))


_PHASES = pytest.StashKey[list]()


def _output_dir(config) -> Path:
    xml = getattr(config.option, "xmlpath", None)
    if xml:
        xml = Path(xml)
        return xml.parent / f"{xml.stem}-dts"
    return ivshmem2_paths.BUILD / "dts-output"


def pytest_sessionfinish(session, exitstatus):
    if _results is None:
        return
    out = _results.write(_output_dir(session.config))
    if out is not None:
        tr = session.config.pluginmanager.get_plugin("terminalreporter")
        if tr is not None:
            tr.write_line(f"DTS results: {out}/results.json, {out}/results_summary.txt")


def pytest_configure(config):
    config.addinivalue_line("markers", "func: DTS functional test case")
    config.addinivalue_line("markers",
                            "perf: DTS performance test case (prints, never asserts speed)")

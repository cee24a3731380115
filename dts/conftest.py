# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Run the DTS suites of dts/tests inside the project's single pytest run.

Every decorated case of every TestSuite_<name>.py listed in dts/conf.yaml
becomes one pytest item named dts/tests/TestSuite_<name>.py::Test<Name>::<case>.
The suite's set_up_suite/tear_down_suite run as the setup/teardown of its
collector node, set_up_test_case/tear_down_test_case around each case, and
a failed self.verify() is reported with its message. Processes a case
started are killed after it even if a hook fails.
"""

from __future__ import annotations

import importlib.util
import inspect
import sys
from pathlib import Path

import pytest

DTS_DIR = Path(__file__).resolve().parent
REPO = DTS_DIR.parent
for p in (DTS_DIR, REPO / "tests" / "lib"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from framework import config as dts_config  # noqa: E402
from framework.exception import DTSError, VerifyError  # noqa: E402
from framework.node import SutNode  # noqa: E402
from framework.test_suite import FUNC, PERF, TestSuite  # noqa: E402

# framework/test_suite.py would match python_files; it is not a test module.
collect_ignore = ["framework"]

_run_config = None


def _config():
    global _run_config
    if _run_config is None:
        _run_config = dts_config.load()
    return _run_config


def pytest_collect_file(file_path: Path, parent):
    if (file_path.suffix == ".py" and file_path.name.startswith("TestSuite_")
            and file_path.parent == DTS_DIR / "tests"):
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
                yield DtsSuite.from_parent(self, name=cls.__name__, suite_class=cls)


class DtsSuite(pytest.Collector):
    """One TestSuite class; its set-up and tear-down are this node's."""

    def __init__(self, *, suite_class, **kw):
        super().__init__(**kw)
        self.suite_class = suite_class
        self.suite = None
        self.node_obj = None

    def collect(self):
        conf = _config()
        for case_name, fn in self.suite_class.get_test_cases():
            kind = fn.dts_test_type
            if (kind == FUNC and not conf.func) or (kind == PERF and not conf.perf):
                continue
            item = DtsCase.from_parent(self, name=case_name)
            item.add_marker(kind)
            for mark in getattr(self.suite_class, "pytest_marks", ()):
                item.add_marker(mark)
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
        return self.path, None, f"{self.parent.name}::{self.name}"


def pytest_configure(config):
    config.addinivalue_line("markers", "func: DTS functional test case")
    config.addinivalue_line("markers",
                            "perf: DTS performance test case (prints, never asserts speed)")

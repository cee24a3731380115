# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""TestSuite base class and the test case decorators @func_test and @perf_test."""

from __future__ import annotations

import inspect
from enum import Enum
from typing import Callable, List, Optional, Tuple, TypeVar

from framework.exception import VerifyError
from framework.testbed_model.node import SutNode
from framework.testbed_model.topology import Topology

F = TypeVar("F", bound=Callable[..., None])


class TestCaseType(Enum):
    """The kinds of test cases (conf.yaml's func/perf select them)."""

    __test__ = False  # not a pytest class despite its name

    FUNCTIONAL = "func"
    PERFORMANCE = "perf"


def func_test(fn: F) -> F:
    """Mark a method as a functional test case."""
    fn.test_type = TestCaseType.FUNCTIONAL  # type: ignore[attr-defined]
    return fn


def perf_test(fn: F) -> F:
    """Mark a method as a performance test case (prints figures, asserts no speed)."""
    fn.test_type = TestCaseType.PERFORMANCE  # type: ignore[attr-defined]
    return fn


class TestSuite:
    """Base of every suite in dts/tests/TestSuite_<name>.py.

    The runner creates one instance per suite, calls set_up_suite() once,
    then for each case set_up_test_case(), the case, tear_down_test_case(),
    and finally tear_down_suite(). Processes started through self.sut_node
    are killed after each case even when a hook fails.

    What the cases need of the testbed is declared with
    framework.testbed_model.capability.requires; without it a suite needs
    the default topology (two links to a traffic generator), which this
    testbed does not have, so its cases are skipped.
    """

    #: Collected by dts/conftest.py, not by pytest's own class collector.
    __test__ = False

    #: When True, a failure in this suite stops the run (upstream semantics).
    is_blocking: bool = False

    def __init__(self, sut_node: SutNode, topology: Optional[Topology] = None):
        self.sut_node = sut_node
        self.topology = topology or sut_node.topology

    # Hooks: override as needed.
    def set_up_suite(self) -> None:
        """Run once before the first case."""

    def tear_down_suite(self) -> None:
        """Run once after the last case."""

    def set_up_test_case(self) -> None:
        """Run before every case."""

    def tear_down_test_case(self) -> None:
        """Run after every case, also when it failed."""

    def verify(self, condition: object, failure_description: str) -> None:
        """Fail the case with @failure_description unless @condition is true."""
        if not condition:
            raise VerifyError(failure_description)

    @classmethod
    def get_test_cases(cls, test_type: Optional[TestCaseType] = None
                       ) -> List[Tuple[str, Callable]]:
        """The decorated cases in source order, optionally of one type."""
        cases = []
        for name, fn in inspect.getmembers(cls, inspect.isfunction):
            kind = getattr(fn, "test_type", None)
            if isinstance(kind, TestCaseType) and (test_type is None or kind == test_type):
                cases.append((name, fn))
        cases.sort(key=lambda c: inspect.getsourcelines(c[1])[1])
        return cases

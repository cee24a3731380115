# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""TestSuite base class and the test case decorators."""

from __future__ import annotations

import inspect
from typing import Callable, List, Optional, Tuple, TypeVar

from framework.exception import VerifyError
from framework.node import SutNode

F = TypeVar("F", bound=Callable[..., None])

FUNC = "func"
PERF = "perf"


def func_test(fn: F) -> F:
    """Mark a method as a functional test case."""
    fn.dts_test_type = FUNC  # type: ignore[attr-defined]
    return fn


def perf_test(fn: F) -> F:
    """Mark a method as a performance test case (prints figures, asserts no speed)."""
    fn.dts_test_type = PERF  # type: ignore[attr-defined]
    return fn


class TestSuite:
    """Base of every suite in dts/tests/TestSuite_<name>.py.

    The runner creates one instance per suite, calls set_up_suite() once,
    then for each case set_up_test_case(), the case, tear_down_test_case(),
    and finally tear_down_suite(). Processes started through self.sut_node
    are killed after each case even when a hook fails.
    """

    #: Collected by dts/conftest.py, not by pytest's own class collector.
    __test__ = False

    #: When True, a failure in this suite stops the run (upstream semantics).
    is_blocking: bool = False

    def __init__(self, sut_node: SutNode):
        self.sut_node = sut_node

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
    def get_test_cases(cls, test_type: Optional[str] = None) -> List[Tuple[str, Callable]]:
        """The decorated cases in source order, optionally of one type."""
        cases = []
        for name, fn in inspect.getmembers(cls, inspect.isfunction):
            kind = getattr(fn, "dts_test_type", None)
            if kind and (test_type is None or kind == test_type):
                cases.append((name, fn))
        cases.sort(key=lambda c: inspect.getsourcelines(c[1])[1])
        return cases

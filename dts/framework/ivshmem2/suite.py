# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Base of the net_ivshmem2 suites: a fresh group per case and testpmd peers on it."""

from __future__ import annotations

from typing import Sequence

from framework.ivshmem2 import Ivshmem2Group
from framework.test_suite import TestSuite
from framework.testpmd_shell import TestPmdShell


class Ivshmem2Suite(TestSuite):
    """Every case gets its own server (self.group) with max_peers peers."""

    pytest_marks = ("pmd",)
    max_peers = 2

    def set_up_test_case(self) -> None:
        self.group = Ivshmem2Group(self.sut_node, max_peers=self.max_peers)

    def peer(self, slot: int = 0, name: str = "testpmd", app_args: Sequence[str] = (),
             **devargs: object) -> TestPmdShell:
        """An interactive testpmd on this case's group (devargs: mac=..., peer=...)."""
        return TestPmdShell(self.sut_node, [self.group.vdev(**devargs)], slot=slot,
                            name=name, app_args=app_args)

# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Base of the net_ivshmem2 suites: a fresh group per case and testpmd peers on it."""

from __future__ import annotations

from framework.ivshmem2.group import Ivshmem2Group
from framework.remote_session.testpmd_shell import TestPmdShell
from framework.test_suite import TestSuite
from framework.testbed_model.capability import requires
from framework.testbed_model.topology import TopologyType


@requires(topology_type=TopologyType.no_link)
class Ivshmem2Suite(TestSuite):
    """Every case gets its own server (self.group) with max_peers peers.

    NO_LINK: the traffic comes from other DPDK processes on the node,
    joined through the group's shared memory.
    """

    pytest_marks = ("pmd",)
    max_peers = 2

    def set_up_test_case(self) -> None:
        self.group = Ivshmem2Group(self.sut_node, max_peers=self.max_peers)

    def peer(self, slot: int = 0, name: str = "testpmd", devargs: dict | None = None,
             **app_params: object) -> TestPmdShell:
        """A testpmd (not started yet: use it in a with block) on this case's
        group; @devargs for the vdev (mac=..., peer=..., zero-copy=...),
        @app_params for testpmd (rx_queues=2, max_pkt_len=9014, ...)."""
        return TestPmdShell(self.sut_node, [self.group.vdev(**(devargs or {}))], slot=slot,
                            name=name, **app_params)

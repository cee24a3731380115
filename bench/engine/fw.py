# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""The engine's only door into dts/framework.

Every name the engine, bench.py and the perf suite
(dts/tests/TestSuite_ivshmem2_perf.py) take from the DTS framework is
imported here and nowhere else, so a move
of the framework (e.g. to upstream DTS module paths) is ported in this one
file. BenchNode is the one extension: explicit lcore placement per peer.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Dict, List

REPO = Path(__file__).resolve().parents[2]
for _p in (REPO / "dts", REPO / "tests" / "lib"):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

from framework.config import NodeConfig  # noqa: E402
from framework.exception import DTSError, ShellError  # noqa: E402
from framework.ivshmem2 import Ivshmem2Group  # noqa: E402
from framework.node import SutNode  # noqa: E402
from framework.pktcheck import Pktcheck  # noqa: E402
from framework.strace import count_syscalls  # noqa: E402
from framework.test_suite import TestSuite, perf_test  # noqa: E402
from framework.testpmd_shell import TestPmdShell  # noqa: E402
from framework.virtual_device import VirtualDevice  # noqa: E402

__all__ = ["BenchNode", "DTSError", "Ivshmem2Group", "NodeConfig", "Pktcheck", "ShellError",
           "SutNode", "TestSuite", "count_syscalls", "perf_test", "TestPmdShell", "VirtualDevice", "make_node"]


class BenchNode(SutNode):
    """A SutNode whose peers' lcores are placed explicitly.

    @placement maps a slot (0 = peer A, 1 = peer B) to the EAL lcore
    arguments of that peer; lcore 1 is the forwarding lcore, lcore 0 the
    (mostly sleeping) main lcore.
    """

    def __init__(self, config: NodeConfig, placement: Dict[int, List[str]]):
        super().__init__(config)
        self.placement = placement

    def lcore_args(self, slot: int) -> List[str]:
        return list(self.placement.get(slot % 2, super().lcore_args(slot)))


def make_node(cpu_a: int, cpu_b: int, eal_memory: List[str], mbufs: int,
              log_level: str = "error") -> BenchNode:
    """A node with peer A forwarding on @cpu_a and peer B on @cpu_b
    (each peer's main lcore on the other peer's CPU). Single-lcore tools
    (pktcheck) of slot 0/1 run on @cpu_a/@cpu_b."""
    config = NodeConfig(name="bench", lcores=[cpu_a, cpu_b], eal_memory=list(eal_memory),
                        mbufs=mbufs, startup_timeout=120, command_timeout=60,
                        log_level=log_level)
    placement = {0: ["--lcores", f"0@{cpu_b},1@{cpu_a}"],
                 1: ["--lcores", f"0@{cpu_a},1@{cpu_b}"]}
    return BenchNode(config, placement)

# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""The engine's only door into dts/framework.

Every name the engine takes from the DTS framework is imported here and
nowhere else, so a move of the framework is ported in this one file (the
perf suite, a DTS suite itself, imports the framework directly). BenchNode
is the one extension: explicit lcore placement per peer.
"""

from __future__ import annotations

from typing import Dict, List

from framework.config import NodeConfig
from framework.exception import DTSError, ShellError
from framework.ivshmem2.group import Ivshmem2Group
from framework.ivshmem2.pktcheck import Pktcheck
from framework.ivshmem2.strace import count_syscalls
from framework.params.testpmd import SimpleForwardingModes, TestPmdParams
from framework.remote_session.testpmd_shell import TestPmdShell
from framework.testbed_model.node import SutNode
from framework.testbed_model.virtual_device import VirtualDevice

__all__ = ["BenchNode", "DTSError", "Ivshmem2Group", "NodeConfig", "Pktcheck", "ShellError",
           "SimpleForwardingModes", "SutNode", "TestPmdParams", "TestPmdShell", "VirtualDevice",
           "count_syscalls", "make_node", "vdev"]


def vdev(name: str, devargs: Dict[str, object]) -> VirtualDevice:
    """VirtualDevice("name,key=value,...") from a name and its devargs."""
    return VirtualDevice(",".join([name] + [f"{k}={v}" for k, v in devargs.items()]))


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

# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Testbed topologies: how many links join the SUT node to a traffic generator."""

from __future__ import annotations

from enum import IntEnum


class TopologyType(IntEnum):
    """The links a test case needs between the SUT and a traffic generator node.

    As upstream: a case or suite that does not say otherwise needs the
    default (two links). This testbed has no traffic generator, so it offers
    no_link only: every suite that runs here is decorated with
    @requires(topology_type=TopologyType.no_link); traffic comes from a
    second DPDK process on the same node, through virtual devices.
    """

    #: No traffic generator: the SUT talks to itself (vdevs, loopback).
    no_link = 0
    #: One physical link between the SUT node and the TG node.
    one_link = 1
    #: Two physical links between the SUT node and the TG node.
    two_links = 2

    @classmethod
    def default(cls) -> "TopologyType":
        """What a case needs when it does not say (upstream: two links)."""
        return cls.two_links


class Topology:
    """The topology the testbed offers (here always no_link: no TG node, no ports)."""

    def __init__(self, type: TopologyType = TopologyType.no_link):  # noqa: A002 - upstream name
        self.type = type

    def supports(self, required: TopologyType) -> bool:
        """Can a case that needs @required run on this topology?"""
        return required <= self.type

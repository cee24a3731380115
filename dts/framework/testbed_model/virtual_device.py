# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""A DPDK virtual device given to EAL with --vdev."""

from __future__ import annotations


class VirtualDevice:
    """One --vdev argument, e.g. VirtualDevice("net_ring0") or
    VirtualDevice("net_memif0,role=server,socket=/run/m.sock").

    Attributes:
        name: the whole --vdev string: driver name (with instance number)
            and its comma-separated devargs.
    """

    def __init__(self, name: str):
        self.name = str(name)

    @property
    def driver(self) -> str:
        """The device name without devargs ("net_memif0")."""
        return self.name.split(",", 1)[0]

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"VirtualDevice({self.name!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, VirtualDevice) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)

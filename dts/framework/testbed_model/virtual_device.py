# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""A DPDK virtual device given to EAL with --vdev."""

from __future__ import annotations

from typing import Dict, Optional


class VirtualDevice:
    """A --vdev argument: a name such as "net_ivshmem2" plus devargs."""

    def __init__(self, name: str, args: Optional[Dict[str, object]] = None):
        self.name = name
        self.args = dict(args or {})

    def __str__(self) -> str:
        return ",".join([self.name] + [f"{k}={v}" for k, v in self.args.items()])

    def __repr__(self) -> str:
        return f"VirtualDevice({str(self)!r})"

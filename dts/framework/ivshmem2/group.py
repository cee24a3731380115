# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""An ivshmem2 group for the suites: the real server plus net_ivshmem2 vdevs."""

from __future__ import annotations

import re
import signal
from pathlib import Path
from typing import Optional

from framework.node import SutNode
from framework.virtual_device import VirtualDevice
from ivshmem2_server import Server

PMD_NAME = "net_ivshmem2"
NET_H = Path(__file__).resolve().parents[2] / "include" / "ivshmem2" / "net.h"


def net_protocol() -> int:
    """The ring protocol number, read from include/ivshmem2/net.h (its one definition)."""
    m = re.search(r"#define\s+IVSHMEM2_NET_PROTOCOL\s+(0x[0-9a-fA-F]+)", NET_H.read_text())
    if not m:
        raise RuntimeError(f"IVSHMEM2_NET_PROTOCOL not found in {NET_H}")
    return int(m.group(1), 16)


class Ivshmem2Group:
    """A running ivshmem2-server; hands out vdevs that join its group.

    The server is stopped by the node's cleanup even when a case fails.
    """

    _count = 0

    def __init__(self, node: SutNode, max_peers: int = 2, *, vectors: int = 9,
                 size: str = "64M", output_size: str = "16M",
                 protocol: Optional[int] = None, info: bool = False):
        Ivshmem2Group._count += 1
        self.node = node
        self.socket_path = node.workdir / f"iv2-{Ivshmem2Group._count}.sock"
        # info=True: also the read-only info socket (ivshmem2-server -I).
        self.info_path = node.workdir / f"iv2-{Ivshmem2Group._count}.info" if info else None
        self.server = Server(self.socket_path, max_peers=max_peers, vectors=vectors, size=size,
                             output_size=output_size, info_socket=self.info_path,
                             protocol=net_protocol() if protocol is None else protocol)
        node.on_cleanup(self.server.cleanup)

    def vdev(self, index: int = 0, **devargs: object) -> VirtualDevice:
        """net_ivshmem2<index>,socket=<server socket>[,key=value...]."""
        args = {"socket": self.socket_path}
        args.update({k.replace("_", "-"): v for k, v in devargs.items()})
        return VirtualDevice(f"{PMD_NAME}{index}", args)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        self.server.stop(sig)

    def start(self) -> None:
        self.server.start()

    def restart(self, sig: int = signal.SIGTERM) -> None:
        """Stop the server with @sig and start it again on the same socket."""
        self.stop(sig)
        self.start()

    def log(self) -> str:
        return self.server.log()

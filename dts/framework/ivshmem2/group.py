# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""An ivshmem2 group for the suites: the real server (a BlockingApp) plus net_ivshmem2 vdevs."""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
from pathlib import Path
from typing import Optional

from framework.remote_session.blocking_app import BlockingApp, BlockingAppError
from framework.testbed_model.node import SutNode
from framework.testbed_model.virtual_device import VirtualDevice
from ivshmem2_server import server_binary, socket_listening

PMD_NAME = "net_ivshmem2"
NET_H = Path(__file__).resolve().parents[3] / "include" / "ivshmem2" / "net.h"


def net_protocol() -> int:
    """The ring protocol number, read from include/ivshmem2/net.h (its one definition)."""
    m = re.search(r"#define\s+IVSHMEM2_NET_PROTOCOL\s+(0x[0-9a-fA-F]+)", NET_H.read_text())
    if not m:
        raise RuntimeError(f"IVSHMEM2_NET_PROTOCOL not found in {NET_H}")
    return int(m.group(1), 16)


class Ivshmem2Server(BlockingApp):
    """ivshmem2-server in the foreground (-F); ready when its socket listens.

    The binary is the build's (IVSHMEM2_SERVER names another one);
    IVSHMEM2_SERVER_WRAPPER, if set, is a command prefix (e.g. strace).
    """

    def __init__(self, node: SutNode, socket_path: Path, *, max_peers: int, vectors: int,
                 size: str, output_size: str, protocol: int,
                 info_path: Optional[Path] = None, name: str = "ivshmem2-server"):
        self.socket_path = socket_path
        self.info_path = info_path
        params = ["-F", "-S", socket_path, "-n", max_peers, "-V", vectors, "-l", size,
                  "-o", output_size, "-P", hex(protocol), "--log-level", "info"]
        if info_path is not None:
            params += ["-I", info_path]
        super().__init__(node, server_binary(), name, params,
                         command_prefix=shlex.split(os.environ.get("IVSHMEM2_SERVER_WRAPPER",
                                                                   "")))

    def start_application(self, end_token: Optional[str] = None, ready=None,
                          timeout: Optional[float] = 30.0) -> "Ivshmem2Server":
        super().start_application(end_token,
                                  ready or (lambda: socket_listening(self.socket_path)), timeout)
        return self

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> Optional[int]:
        """Send @sig and wait for the exit; an exit that takes longer than
        @timeout (the server ignored @sig) is an error."""
        if self.alive():
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.close(signal.SIGKILL)
                raise BlockingAppError(f"server ignored signal {sig}:\n{self.output()}") \
                    from None
        return self.close()


class Ivshmem2Group:
    """A running ivshmem2-server; hands out vdevs that join its group.

    The server is stopped (SIGTERM) by the node's cleanup even when a case fails.
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
        self.server = Ivshmem2Server(node, self.socket_path, max_peers=max_peers,
                                     vectors=vectors, size=size, output_size=output_size,
                                     protocol=net_protocol() if protocol is None else protocol,
                                     info_path=self.info_path,
                                     name=f"ivshmem2-server-{Ivshmem2Group._count}")
        node.on_cleanup(lambda: self.server.close(signal.SIGTERM, timeout=10))
        self.server.start_application()

    def vdev(self, index: int = 0, **devargs: object) -> VirtualDevice:
        """net_ivshmem2<index>,socket=<server socket>[,key=value...]; a
        devarg's "_" becomes "-" (zero_copy="yes" is zero-copy=yes)."""
        args = {"socket": self.socket_path}
        args.update({k.replace("_", "-"): v for k, v in devargs.items()})
        return VirtualDevice(",".join([f"{PMD_NAME}{index}"]
                                      + [f"{k}={v}" for k, v in args.items()]))

    def stop(self, sig: int = signal.SIGTERM) -> None:
        self.server.stop(sig)

    def start(self) -> None:
        self.server.start_application()

    def restart(self, sig: int = signal.SIGTERM) -> None:
        """Stop the server with @sig and start it again on the same socket."""
        self.stop(sig)
        self.start()

    def log(self) -> str:
        return self.server.output()

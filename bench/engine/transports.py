# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""The transports the engine compares, and how to start their two peers."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Tuple

from . import fw


@dataclass
class Transport:
    """How to start peer A and peer B of one transport.

    vdevs(node, group) returns (A's vdevs, B's vdevs); @group is a running
    ivshmem2 group when needs_server, else None. single_process: one testpmd
    with both vdevs as ports 0 and 1 (net_null, the one-lcore ceiling).
    """

    name: str
    describe: str
    vdevs: Callable[[object, object], Tuple[list, list]]
    eal_a: List[str] = field(default_factory=list)
    eal_b: List[str] = field(default_factory=list)
    needs_server: bool = False
    load_pmd: bool = False
    single_process: bool = False
    latency: bool = True  # pktcheck ping/pong can run over it
    writable_rx: bool = True  # received frames may be rewritten in place (mac forwarding)


def _ivshmem2(zc: bool):
    def vdevs(node, group):
        extra = {"zero-copy": "yes"} if zc else {}
        return [group.vdev(**extra)], [group.vdev(**extra)]
    return vdevs


_socket_count = itertools.count()


def _socket(node, name: str):
    """A fresh socket path per pair: a killed peer leaves its socket file."""
    return node.workdir / f"{name}-{next(_socket_count)}.sock"


def _memif(zc: bool):
    def vdevs(node, group):
        sock = _socket(node, "memif")
        client = {"role": "client", "socket": sock}
        if zc:
            client["zero-copy"] = "yes"
        return ([fw.vdev("net_memif0", {"role": "server", "socket": sock})],
                [fw.vdev("net_memif0", client)])
    return vdevs


def _vhost(node, group):
    sock = _socket(node, "vhost")
    return ([fw.vdev("net_vhost0", {"iface": sock, "queues": 1})],
            [fw.vdev("net_virtio_user0", {"path": sock, "queues": 1})])


def _null(node, group):
    # size= follows the frame size; the engine sets it per case (see runner).
    return ([fw.vdev("net_null0", {}), fw.vdev("net_null1", {})], [])


TRANSPORTS: Dict[str, Transport] = {t.name: t for t in [
    Transport("ivshmem2", "net_ivshmem2 (vdev, ivshmem2-server), copy RX", _ivshmem2(False),
              needs_server=True, load_pmd=True),
    # Zero-copy RX hands out read-only buffers in the peer's section: mac
    # forwarding would fault (doc/guides/nics/ivshmem2.rst), so it is skipped.
    Transport("ivshmem2-zc", "net_ivshmem2, zero-copy RX (zero-copy=yes on both peers)",
              _ivshmem2(True), needs_server=True, load_pmd=True, writable_rx=False),
    Transport("memif", "net_memif, copy mode", _memif(False)),
    Transport("memif-zc", "net_memif, client zero-copy (zero-copy=yes on B)", _memif(True),
              eal_b=["--single-file-segments"]),
    Transport("vhost", "vhost-user (A) <-> virtio-user (B)", _vhost,
              eal_a=["--single-file-segments"], eal_b=["--single-file-segments"]),
    Transport("null", "net_null x2 in one testpmd (one lcore, no second process: a ceiling)",
              _null, single_process=True, latency=False),
]}

WORKLOADS = {
    "uni": "B txonly -> A rxonly; Mpps received by A",
    "bidi": "io forwarding on both peers after `start tx_first 16` on each; Mpps = A RX + B RX",
    "mac": "mac forwarding on both peers after `start tx_first 16` on each; "
           "Mpps = A RX + B RX",
}

SIZES = [64, 128, 256, 512, 1024, 1518, 9000]

WRITES_RX = {"mac"}  # workloads that rewrite received frames in place


def applicable(t: Transport, workload: str) -> bool:
    """Whether @workload can run over @t (see Transport.writable_rx)."""
    return t.writable_rx or workload not in WRITES_RX


def skip_reason(t: Transport, workload: str) -> str:
    return (f"{t.name}/{workload}: not run: {t.name} receives into read-only buffers and "
            f"{workload} forwarding rewrites frames in place")

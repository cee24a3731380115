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
    # Options of its ivshmem2-server (Ivshmem2Group keywords) beside the defaults.
    server: Dict[str, str] = field(default_factory=dict)
    # Workloads that measure nothing of this transport: workload -> why.
    not_applicable: Dict[str, str] = field(default_factory=dict)


def _ivshmem2(**devargs):
    return _ivshmem2_pair(devargs, devargs)


def _ivshmem2_pair(devargs_a: dict, devargs_b: dict):
    def vdevs(node, group):
        return [group.vdev(**devargs_a)], [group.vdev(**devargs_b)]
    return vdevs


# ivshmem2-pool: each port's n-mbuf pool lies in its own output section, in
# what the rings leave free. At -o 16M -n 2 the rings (4 queue pairs of 1024
# slots of 2112 B) take 8.3 MiB and leave 7.7 MiB, 3700 buffers of 2176 B:
# too tight for 1024 in the peer's ring, 1024 on the rx side, tx_first bursts
# and lcore caches. At -o 32M the rings take 16.5 MiB (8 queue pairs) and
# leave 15.5 MiB, 7400 buffers: 4096 fit with 40 % to spare.
POOL_MBUFS = 4096
POOL_SERVER = {"size": "128M", "output_size": "32M"}


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
    Transport("ivshmem2", "net_ivshmem2 (vdev, ivshmem2-server), copy RX", _ivshmem2(),
              needs_server=True, load_pmd=True),
    # Zero-copy RX hands out read-only buffers in the peer's section: mac
    # forwarding would fault (doc/guides/nics/ivshmem2.rst), so it is skipped.
    Transport("ivshmem2-zc", "net_ivshmem2, zero-copy RX (zero-copy=yes on both peers)",
              _ivshmem2(zero_copy="yes"), needs_server=True, load_pmd=True, writable_rx=False),
    # RX into the port's own pool: io/mac forwarding retransmits without a copy.
    Transport("ivshmem2-pool",
              f"net_ivshmem2, zero-copy TX from the port's pool (tx-pool={POOL_MBUFS} on both "
              f"peers, server -o {POOL_SERVER['output_size']})",
              _ivshmem2(tx_pool=POOL_MBUFS), needs_server=True, load_pmd=True,
              server=POOL_SERVER,
              not_applicable={"uni": "txonly allocates from testpmd's pool"}),
    # A's rx fills its pool; B's zero-copy rx forwards A's frames back as
    # RETURN entries, which A's rx takes back in the mbufs they left in: a
    # round trip costs no copy (memif-zc: one, on its server side).
    Transport("ivshmem2-pool-zc",
              f"net_ivshmem2, tx-pool={POOL_MBUFS} on A, zero-copy RX on B (B sends A's frames "
              f"back, A takes them back, no copy; server -o {POOL_SERVER['output_size']})",
              _ivshmem2_pair(dict(tx_pool=POOL_MBUFS), dict(zero_copy="yes")),
              needs_server=True, load_pmd=True, server=POOL_SERVER, writable_rx=False,
              not_applicable={"uni": "txonly allocates from testpmd's pool"}),
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
    """Whether @workload is run over @t (Transport.writable_rx, .not_applicable)."""
    if workload in t.not_applicable:
        return False
    return t.writable_rx or workload not in WRITES_RX


def skip_reason(t: Transport, workload: str) -> str:
    if workload in t.not_applicable:
        return f"{t.name}/{workload}: n/a ({t.not_applicable[workload]})"
    return (f"{t.name}/{workload}: not run: {t.name} receives into read-only buffers and "
            f"{workload} forwarding rewrites frames in place")

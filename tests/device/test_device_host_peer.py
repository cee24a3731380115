# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""A QEMU peer and a host peer (tests/lib/ivshmem2_peer.py) in one group of
the real ivshmem2-server: doorbells, state changes and memory both ways."""

import time

import pytest

import ivshmem2_wire as w
from device_harness import GroupConfig
from device_qtest import Msix
from ivshmem2_peer import Peer

pytestmark = pytest.mark.qemu

VECTORS = 4
CONFIG = GroupConfig(peers=2, vectors=VECTORS, size="1M", output="256K", protocol=0x0001)


def host_fired(host, vector, timeout=0.05) -> bool:
    """Whether the host peer's @vector fired (never blocks: the eventfd's
    O_NONBLOCK flag is shared with QEMU, which toggles it when receiving it)."""
    try:
        return host.wait_vector(vector, timeout=timeout) > 0
    except TimeoutError:
        return False


def eventually(action, check, timeout=10.0):
    """Repeat @action until @check() holds: the QEMU peer learns of a new peer
    asynchronously, so its first doorbells may go to a peer it does not know."""
    deadline = time.monotonic() + timeout
    while True:
        action()
        if check():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


@pytest.fixture
def qemu_and_host(start_group, start_peer):
    group = start_group(CONFIG)
    qt, pci = start_peer(group.socket, name="qemu-peer")
    msix = Msix(pci)
    msix.enable()
    bar0 = pci.bars[0]
    qt.writel(bar0 + w.REG_INT_CONTROL, 1)
    host = Peer(group.socket)
    host.wait_ready()
    host.wait_peer(0)
    yield group, qt, pci, msix, host
    host.close()


def test_ids_and_layout_agree(qemu_and_host):
    _, qt, pci, _, host = qemu_and_host
    bar0 = pci.bars[0]
    assert qt.readl(bar0 + w.REG_ID) == 0 and host.id == 1
    assert qt.readl(bar0 + w.REG_MAX_PEERS) == host.init.max_peers
    cap = pci.find_cap(0x09)
    assert pci.cfg_read64(cap + w.CAP_OFF_RW_SECTION_SZ) == host.layout.rw_section_size
    assert pci.cfg_read64(cap + w.CAP_OFF_OUTPUT_SECTION_SZ) == host.layout.output_section_size
    assert pci.probe_bar(2)[0] == host.shm_size
    assert pci.cfg_read32(0x08) >> 8 == 0xFF0000 | host.init.protocol


def test_doorbells_both_ways(qemu_and_host):
    _, qt, pci, msix, host = qemu_and_host
    bar0 = pci.bars[0]
    for v in range(VECTORS):
        assert eventually(lambda: qt.writel(bar0 + w.REG_DOORBELL, w.doorbell(host.id, v)),
                          lambda: host_fired(host, v)), f"QEMU -> host vector {v}"
    for v in range(VECTORS):
        host.ring(0, v)
        assert msix.wait_fired(v), f"host -> QEMU vector {v}"


def test_state_changes_both_ways(qemu_and_host):
    _, qt, pci, msix, host = qemu_and_host
    bar0, bar2 = pci.bars[0], pci.bars[2]
    host.set_state(2)
    assert msix.wait_fired(0)
    assert qt.readl(bar2 + 4 * host.id) == 2
    # the QEMU peer must know the host peer before its state interrupt can reach it
    assert eventually(lambda: qt.writel(bar0 + w.REG_DOORBELL, w.doorbell(host.id, 1)),
                      lambda: host_fired(host, 1))
    qt.writel(bar0 + w.REG_STATE, 3)
    assert host.wait_vector(0) == 1
    assert host.state(0) == 3


def test_memory_is_shared(qemu_and_host):
    _, qt, pci, _, host = qemu_and_host
    bar2 = pci.bars[2]
    lay = host.layout
    qt.memwrite(bar2 + lay.rw_section_offset + 8, b"qemu rw")
    assert host.read(lay.rw_section_offset + 8, 7) == b"qemu rw"
    host.write_rw(64, b"host rw")
    assert qt.memread(bar2 + lay.rw_section_offset + 64, 7) == b"host rw"
    qt.memwrite(bar2 + lay.output_offset(0) + 100, b"qemu out")
    assert host.read_output(0, 100, 8) == b"qemu out"
    host.write_output(200, b"host out")
    assert qt.memread(bar2 + lay.output_offset(1) + 200, 8) == b"host out"
    qt.memwrite(bar2 + lay.output_offset(1) + 200, b"XXXXXXXX")  # read-only for QEMU
    assert host.read_output(1, 200, 8) == b"host out"


def test_host_peer_leaving_is_reported(qemu_and_host):
    _, qt, pci, msix, host = qemu_and_host
    bar2 = pci.bars[2]
    host.set_state(1)
    assert msix.wait_fired(0)
    host.close()
    assert msix.wait_fired(0), "PEER_GONE raises vector 0"
    assert qt.readl(bar2 + 4) == 0
    assert qt.alive()


def test_qemu_leaving_is_reported_to_host(qemu_and_host):
    _, qt, pci, _, host = qemu_and_host
    assert eventually(lambda: qt.writel(pci.bars[0] + w.REG_STATE, 5),
                      lambda: host.state(0) == 5)
    qt.kill()
    host.wait_peer_gone(0)
    assert host.state(0) == 0

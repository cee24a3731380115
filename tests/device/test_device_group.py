# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Two (or more) QEMU peers joined through the real ivshmem2-server."""


import pytest

import ivshmem2_wire as w
from device_harness import GroupConfig, wait_until
from device_qtest import Msix

pytestmark = pytest.mark.qemu

VECTORS = 3


class Peer:
    """A QEMU peer with MSI-X on and interrupts enabled."""

    def __init__(self, start_peer, socket, name, props=""):
        self.qt, self.pci = start_peer(socket, props=props, name=name)
        self.bar0, self.bar2 = self.pci.bars[0], self.pci.bars[2]
        self.msix = Msix(self.pci)
        self.msix.enable()
        self.qt.writel(self.bar0 + w.REG_INT_CONTROL, 1)
        self.id = self.qt.readl(self.bar0 + w.REG_ID)

    def ring(self, peer, vector):
        self.qt.writel(self.bar0 + w.REG_DOORBELL, w.doorbell(peer, vector))

    def set_state(self, value):
        self.qt.writel(self.bar0 + w.REG_STATE, value)

    def state_of(self, peer):
        return self.qt.readl(self.bar2 + 4 * peer)


@pytest.fixture(params=["on", "off"], ids=["ioeventfd", "mmio"])
def pair(request, start_group, start_peer):
    group = start_group(GroupConfig(peers=2, vectors=VECTORS, size="1M", output="256K"))
    a = Peer(start_peer, group.socket, "peerA", f"ioeventfd={request.param}")
    b = Peer(start_peer, group.socket, "peerB", f"ioeventfd={request.param}")
    return group, a, b


def test_ids_are_assigned_in_connection_order(pair):
    _, a, b = pair
    assert (a.id, b.id) == (0, 1)


def test_doorbell_raises_vector_in_other_peer(pair):
    _, a, b = pair
    for v in range(VECTORS):
        a.ring(b.id, v)
        assert b.msix.wait_fired(v), f"A -> B vector {v}"
        b.ring(a.id, v)
        assert a.msix.wait_fired(v), f"B -> A vector {v}"
    for v in range(VECTORS):
        assert not a.msix.fired(v) and not b.msix.fired(v), "no spurious interrupts"


def test_state_write_is_seen_with_vector0(pair):
    _, a, b = pair
    a.set_state(0xA1)
    assert b.msix.wait_fired(0)
    assert b.state_of(a.id) == 0xA1
    assert a.state_of(a.id) == 0xA1
    assert not a.msix.wait_fired(0, timeout=0.3), "the writer gets no interrupt"
    a.set_state(0xA1)
    assert not b.msix.wait_fired(0, timeout=0.3), "an unchanged state raises nothing"
    b.set_state(2)
    assert a.msix.wait_fired(0)
    assert a.state_of(b.id) == 2


def test_shared_memory_is_shared(pair):
    group, a, b = pair
    rw = a.bar2 + w.STATE_TABLE_SIZE
    a.qt.memwrite(rw + 100, b"from A")
    assert b.qt.memread(b.bar2 + w.STATE_TABLE_SIZE + 100, 6) == b"from A"
    out = group.config.output_size
    a_out = group.config.output_offset + a.id * out
    b_out = group.config.output_offset + b.id * out
    a.qt.memwrite(a.bar2 + a_out, b"A's output")
    b.qt.memwrite(b.bar2 + b_out, b"B's output")
    b.qt.memwrite(b.bar2 + a_out + 16, b"B was here")  # discarded: read-only for B
    assert b.qt.memread(b.bar2 + a_out, 10) == b"A's output"
    assert a.qt.memread(a.bar2 + b_out, 10) == b"B's output"
    assert a.qt.memread(a.bar2 + a_out + 16, 10) == bytes(10)


def test_killed_peer_is_cleared_and_reported(pair):
    group, a, b = pair
    a.set_state(3)
    b.set_state(3)
    assert b.msix.wait_fired(0) and a.msix.wait_fired(0)
    a.qt.kill()
    assert b.msix.wait_fired(0), "PEER_GONE raises vector 0"
    assert wait_until(lambda: b.state_of(0) == 0), "state of the gone peer is cleared"
    assert group.read_shm(0, 4) == bytes(4)
    # doorbells to the gone peer are dropped; the device keeps working
    for v in range(VECTORS):
        b.ring(0, v)
    b.ring(b.id, 1)
    assert b.msix.wait_fired(1)
    assert b.qt.alive()


def test_rejoined_peer_reuses_the_id(pair, start_peer):
    group, a, b = pair
    a.qt.kill()
    assert b.msix.wait_fired(0)
    c = Peer(start_peer, group.socket, "peerC")
    assert c.id == 0
    c.ring(b.id, 2)
    assert b.msix.wait_fired(2)
    b.ring(c.id, 1)
    assert c.msix.wait_fired(1)
    assert not b.msix.fired(0), "a connect is silent"


def test_many_peers(start_group, start_peer):
    group = start_group(GroupConfig(peers=8, vectors=2, size="1M", output="64K"))
    peers = [Peer(start_peer, group.socket, f"peer{i}") for i in range(4)]
    assert [p.id for p in peers] == [0, 1, 2, 3]
    peers[3].set_state(7)
    for p in peers[:3]:
        assert p.msix.wait_fired(0)
        assert p.state_of(3) == 7
    for p in peers[:3]:
        peers[3].ring(p.id, 1)
        assert p.msix.wait_fired(1)
    peers[1].qt.kill()
    for p in (peers[0], peers[2], peers[3]):
        assert p.msix.wait_fired(0)
    peers[0].ring(1, 1)  # gone
    peers[0].ring(2, 1)
    assert peers[2].msix.wait_fired(1)


def test_server_loss_keeps_the_device_alive(pair):
    group, a, b = pair
    group.stop()
    assert wait_until(lambda: "connection to the server lost" in b.qt.stderr())
    a.ring(b.id, 1)  # peers stay reachable
    assert b.msix.wait_fired(1)
    b.set_state(9)
    assert a.msix.wait_fired(0)
    assert a.state_of(b.id) == 9
    assert a.qt.alive() and b.qt.alive()


def test_virtio_roles_follow_the_server_id(start_group, start_peer):
    """-P 0x8003: peer 0 is the back-end (class FFC003h), peer 1 the front-end."""
    group = start_group(GroupConfig(peers=2, vectors=2, size="64K", protocol=0x8003))
    back = Peer(start_peer, group.socket, "back")
    front = Peer(start_peer, group.socket, "front")
    assert back.pci.cfg_read32(0x08) >> 8 == 0xFFC003
    assert front.pci.cfg_read32(0x08) >> 8 == 0xFF8003

# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""A peer that sabotages the shared eventfds cannot stall a PMD.

ivshmem2-server hands every peer the same open files for every (peer,
vector) eventfd. A hostile holder clears O_NONBLOCK (a property of the
shared file) and fills every counter: any write(1) to them now blocks. The
PMD writes them only from its doorbell relay, which skips full counters, so
its control path (port stop/start, state changes) and data path go on, and
links still come up (the 100 ms tick does what vector 0 no longer can).
"""

import fcntl
import os
import struct
import time

import pytest
from framework.ivshmem2.group import Ivshmem2Group
from framework.remote_session.testpmd_shell import TestPmdShell
from framework.params.testpmd import SimpleForwardingModes

from ivshmem2_peer import Peer

pytestmark = pytest.mark.pmd

FULL = 0xFFFFFFFFFFFFFFFE  # the largest count an eventfd holds


def _sabotage(fd):
    """Fill the shared file's counter and make it blocking for every holder."""
    flags = fcntl.fcntl(fd, fcntl.F_GETFL)
    fcntl.fcntl(fd, fcntl.F_SETFL, flags | os.O_NONBLOCK)
    try:
        os.read(fd, 8)
    except BlockingIOError:
        pass  # empty
    os.write(fd, struct.pack("<Q", FULL))
    fcntl.fcntl(fd, fcntl.F_SETFL, flags & ~os.O_NONBLOCK)


def test_sabotaged_eventfds_stall_nobody(sut_node):
    group = Ivshmem2Group(sut_node, max_peers=3, vectors=3, size="32M", output_size="8M")
    hostile = Peer(group.socket_path)   # joins first: it is sent everyone's eventfds
    assert hostile.id == 0
    # a (ID 1) has one port, towards b (ID 2); b has one per other peer.
    a = TestPmdShell(sut_node, [group.vdev(peer=2)], name="a", slot=0).start_application()
    b = TestPmdShell(sut_node, [group.vdev()], name="b", slot=1).start_application()
    try:
        for peer in (1, 2):
            hostile.wait_peer(peer)
        a.set_forward_mode(SimpleForwardingModes.txonly)
        b.set_forward_mode(SimpleForwardingModes.rxonly)
        b.start()
        a.start()
        assert a.wait_link_status_up(0), f"{a.name}: port 0 link not up within 20 s"

        held = [fd for peer in (1, 2) for fd in hostile.peers[peer]] + list(hostile.vectors)
        for fd in held:
            _sabotage(fd)

        # Control path: a stop/start rings vector 0 of every peer (state and
        # handshake changes); with the old direct writes testpmd hung here.
        t0 = time.monotonic()
        a.stop()
        a.stop_port(0)
        a.start_port(0)
        took = time.monotonic() - t0
        assert took < 10, f"port stop/start took {took:.1f} s with sabotaged eventfds"
        a.start()
        assert a.wait_link_status_up(0, timeout=20), f"{a.name}: port 0 link not up within 20 s"

        rx0 = b.show_port_stats(1).rx_packets   # b's port 1: towards peer 1 (a)
        time.sleep(2)
        rx1 = b.show_port_stats(1).rx_packets
        assert rx1 > rx0, "no traffic after the restart under sabotage"
        assert a.alive() and b.alive()
    finally:
        a.close()
        b.close()
        hostile.close()


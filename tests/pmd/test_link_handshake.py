# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Regression tests of the PMD's link handshake and ring resynchronisation.

- Bursts in every link state (before the first link up, during a link reset,
  after the peer vanished) return 0 and are counted; nothing crashes.
- A frame the sender enqueued after it saw the link up is never discarded by
  the receiver, even when the receiver's indices belong to an old session of
  a restarted peer and the receiver takes the new rings only later.
"""

import signal
import subprocess
import time

import pytest
from framework.ivshmem2.group import Ivshmem2Group
from framework.remote_session.testpmd_shell import TestPmdShell
from framework.ivshmem2.traffic import run_one_way
from framework.params.testpmd import SimpleForwardingModes

pytestmark = pytest.mark.pmd

BURST = 32  # testpmd's default burst: what "start tx_first 1" sends


def _shell(node, group, name, slot):
    return TestPmdShell(node, [group.vdev()], name=name, slot=slot).start_application()


def test_bursts_in_every_link_state(sut_node):
    group = Ivshmem2Group(sut_node, size="16M", output_size="4M", vectors=4)
    a = _shell(sut_node, group, "flowgen", 0)
    # flowgen bursts rx and tx without looking at the link: before any peer exists.
    a.set_forward_mode(SimpleForwardingModes.flowgen)
    a.start()
    time.sleep(2)
    assert a.alive()
    assert a.show_port_xstats(0)["tx_link_down_refused_packets"] > 0

    b = _shell(sut_node, group, "peer", 1)
    b.set_forward_mode(SimpleForwardingModes.rxonly)
    b.start()
    assert a.wait_link_status_up(0), f"{a.name}: port 0 link not up within 20 s"
    time.sleep(1)
    assert b.show_port_stats(0).rx_packets > 0

    # Link reset while a keeps bursting: peer port stop/start.
    b.stop()
    b.stop_port(0)
    assert a.wait_link_status_down(0), f"{a.name}: port 0 link not down within 20 s"
    time.sleep(1)
    b.start_port(0)
    b.start()
    assert a.wait_link_status_up(0), f"{a.name}: port 0 link not up within 20 s"
    rx0 = b.show_port_stats(0).rx_packets
    time.sleep(1)
    assert b.show_port_stats(0).rx_packets > rx0

    # The peer vanishes (kill -9) while a keeps bursting.
    b.kill()
    assert a.wait_link_status_down(0), f"{a.name}: port 0 link not down within 20 s"
    time.sleep(1)
    assert a.alive()
    a.stop()


def _one_burst_arrives(sender, receiver):
    """sender injects one burst while receiver does not poll; receiver gets all of it."""
    receiver.clear_port_stats_all()
    sender.clear_port_stats_all()
    sender.set_forward_mode(SimpleForwardingModes.rxonly)
    sender.start_tx_first(1)
    time.sleep(0.5)
    sender.stop()
    sent = sender.show_port_stats(0).tx_packets
    assert sent == BURST, f"sender refused its tx_first burst: {sender.show_port_xstats(0)}"
    receiver.set_forward_mode(SimpleForwardingModes.rxonly)
    receiver.start()
    time.sleep(1)
    receiver.stop()
    got = receiver.show_port_stats(0).rx_packets
    assert got == sent, f"{sent} sent after link up, {got} received"


def test_tx_first_burst_survives_peer_restart(sut_node):
    group = Ivshmem2Group(sut_node, size="16M", output_size="4M", vectors=4)
    a = _shell(sut_node, group, "a", 0)
    b1 = _shell(sut_node, group, "b1", 1)
    assert a.wait_link_status_up(0), f"{a.name}: port 0 link not up within 20 s"
    assert b1.wait_link_status_up(0), f"{b1.name}: port 0 link not up within 20 s"
    # Move both rings' indices far from a fresh peer's (0).
    run_one_way(a, b1, 1.0)
    run_one_way(b1, a, 1.0)

    # b1 dies; b2 takes its place with fresh indices. a is up before it polls.
    b1.kill()
    assert a.wait_link_status_down(0), f"{a.name}: port 0 link not down within 20 s"
    b2 = _shell(sut_node, group, "b2", 1)
    assert a.wait_link_status_up(0), f"{a.name}: port 0 link not up within 20 s"
    assert b2.wait_link_status_up(0), f"{b2.name}: port 0 link not up within 20 s"
    _one_burst_arrives(b2, a)    # fresh producer -> receiver with stale indices

    # And the other way: a's indices are old, b3 is a fresh receiver.
    b2.kill()
    assert a.wait_link_status_down(0), f"{a.name}: port 0 link not down within 20 s"
    b3 = _shell(sut_node, group, "b3", 1)
    assert a.wait_link_status_up(0), f"{a.name}: port 0 link not up within 20 s"
    assert b3.wait_link_status_up(0), f"{b3.name}: port 0 link not up within 20 s"
    _one_burst_arrives(a, b3)


def test_frozen_peer_is_declared_down_by_heartbeat(sut_node):
    """A peer that stops beating while its state entry stays RUN (a guest's app
    killed with the device alive; here a SIGSTOPped process) takes the link
    down; when it beats again the link comes back and traffic flows."""
    group = Ivshmem2Group(sut_node, size="16M", output_size="4M", vectors=4)
    a = _shell(sut_node, group, "a", 0)
    b = _shell(sut_node, group, "b", 1)
    assert a.wait_link_status_up(0), f"{a.name}: port 0 link not up within 20 s"
    assert b.wait_link_status_up(0), f"{b.name}: port 0 link not up within 20 s"
    b.kill(signal.SIGSTOP)
    try:
        assert a.wait_link_status_down(0, timeout=20), f"{a.name}: port 0 link not down within 20 s"
        assert a.show_port_xstats(0)["link_heartbeat_timeout_events"] == 1
    finally:
        b.kill(signal.SIGCONT)
    assert a.wait_link_status_up(0, timeout=20), f"{a.name}: port 0 link not up within 20 s"
    assert b.wait_link_status_up(0, timeout=20), f"{b.name}: port 0 link not up within 20 s"
    out = run_one_way(b, a, 1.0)
    assert b.show_port_stats(0).rx_packets > 0, out


def test_bad_descriptor_flood_takes_link_down(paths, sut_node):
    """Beyond a threshold of rejected descriptors from one peer session the
    link goes down (counted once in xstats) while that peer stays in the group."""
    tool = paths.BUILD / "drivers" / "net" / "ivshmem2" / "ivshmem2_hostile_peer"
    assert tool.exists(), f"{tool} not built"
    group = Ivshmem2Group(sut_node, size="16M", output_size="4M", vectors=4)
    pmd = _shell(sut_node, group, "flooded", 0)
    pmd.set_forward_mode(SimpleForwardingModes.rxonly)
    pmd.start()
    peer = sut_node.track(subprocess.Popen([str(tool), str(group.socket_path), "0", "flood"],
                                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                           text=True))
    line = peer.stdout.readline()
    assert line.startswith("flooded="), line + peer.stdout.read()
    assert pmd.wait_link_status_down(0, timeout=10), f"{pmd.name}: port 0 link not down within 10 s"
    assert peer.poll() is None, "the peer left: the link went down for another reason"
    xs = pmd.show_port_xstats(0)
    assert xs["link_bad_peer_events"] == 1, xs
    assert xs["rx_bad_descriptor_errors"] > 64, xs
    assert "bad descriptors from peer" in pmd.output()
    assert pmd.alive()

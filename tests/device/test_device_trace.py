# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""The device's trace events (device/trace-events) are built into QEMU and
report server messages, doorbells, state changes and interrupts when QEMU
runs with -trace 'ivshmem2_*' against the real server."""

import re
import subprocess
import time

import pytest

import ivshmem2_wire as w
from device_harness import SLOT, GroupConfig, device_args
from device_qtest import Msix, PciFunction, QemuFailed
from ivshmem2_peer import Peer
from scripted_server import ScriptedServer, memfd, send_setup
from started import started

pytestmark = pytest.mark.qemu

TRACE = ["-trace", "ivshmem2_*"]


def declared_events(paths):
    text = (paths.REPO / "device" / "trace-events").read_text()
    return re.findall(r"^(ivshmem2_\w+)\(", text, re.M)


def wait_trace(qt, pattern, timeout=10.0):
    """The first match of @pattern (a regex) in QEMU's trace output."""
    deadline = time.monotonic() + timeout
    while True:
        m = re.search(pattern, qt.stderr(), re.M)
        if m:
            return m
        assert time.monotonic() < deadline, \
            f"no trace line matching {pattern!r} in:\n{qt.stderr()[-4000:]}"
        time.sleep(0.02)


def test_every_event_is_built_in(qemu_bin, paths):
    res = subprocess.run([str(qemu_bin), "-trace", "help"], capture_output=True, text=True,
                         timeout=60)
    built = set(re.findall(r"^(ivshmem2_\w+)$", res.stdout + res.stderr, re.M))
    declared = declared_events(paths)
    assert len(declared) >= 15
    assert set(declared) == built


@pytest.fixture
def traced_peer(start_group, start_qemu):
    """QEMU (peer 0, traced, doorbells through MMIO) and a host peer (1)."""
    group = start_group(GroupConfig(peers=2, vectors=2))
    qt = start_qemu(device_args(group.socket, props="ioeventfd=off") + TRACE)
    pci = PciFunction(qt, SLOT)
    pci.map_bars()
    host = Peer(group.socket)
    host.wait_ready()
    yield qt, pci, host
    host.close()


def test_trace_of_setup_doorbells_state_and_interrupts(traced_peer):
    qt, pci, host = traced_peer
    bar0 = pci.bars[0]

    # setup: INIT, own vectors, realize
    wait_trace(qt, r"ivshmem2_msg_init INIT of 40 bytes: version 2, compatible_version 2, "
                   r"ID 0, 2 peers, 2 vectors, protocol 0x0, output sections 0x0, fd \d+")
    wait_trace(qt, r"ivshmem2_msg_event_fd EVENT_FD peer 0 vector 1 fd \d+")
    wait_trace(qt, r"ivshmem2_realize ID 0 of 2 peers, 2 vectors, protocol 0x0000, "
                   r"ioeventfd 0")
    # the host peer joins: its vectors arrive after realize
    wait_trace(qt, r"ivshmem2_msg_event_fd EVENT_FD peer 1 vector 1 fd \d+")
    wait_trace(qt, r"ivshmem2_peer_vector peer 1 vector 1 uses eventfd \d+")

    # a doorbell through MMIO reaches the host
    qt.writel(bar0 + w.REG_DOORBELL, w.doorbell(1, 1))
    wait_trace(qt, r"ivshmem2_reg_write register 0xc written with 0x10001")
    wait_trace(qt, r"ivshmem2_doorbell MMIO doorbell to peer 1 vector 1")
    assert host.wait_vector(1) == 1
    qt.writel(bar0 + w.REG_DOORBELL, w.doorbell(5, 0))
    wait_trace(qt, r"ivshmem2_reg_write register 0xc written with 0x50000")

    # a state change signals the host's vector 0
    qt.writel(bar0 + w.REG_STATE, 5)
    wait_trace(qt, r"ivshmem2_state own state \(ID 0\) 0x0 -> 0x5")
    assert host.wait_vector(0) == 1
    assert qt.readl(bar0 + w.REG_STATE) == 5
    wait_trace(qt, r"ivshmem2_reg_read register 0x10 reads 0x5")

    # interrupts: dropped while disabled, delivered once enabled
    host.ring(0, 1)
    wait_trace(qt, r"ivshmem2_vector_fired eventfd of own vector 1 signalled")
    wait_trace(qt, r"ivshmem2_interrupt_dropped vector 1 not delivered: INT_CONTROL 0x0, "
                   r"MSI-X enabled 0")
    msix = Msix(pci)
    msix.enable()
    qt.writel(bar0 + w.REG_INT_CONTROL, 1)
    wait_trace(qt, r"ivshmem2_int_control INT_CONTROL 0x1")
    host.ring(0, 1)
    assert msix.wait_fired(1)
    wait_trace(qt, r"ivshmem2_interrupt MSI-X vector 1 delivered, one-shot 0")

    # the host leaves: PEER_GONE, its vectors go, vector 0 is raised
    host.close()
    wait_trace(qt, r"ivshmem2_msg_peer_gone PEER_GONE peer 1")
    wait_trace(qt, r"ivshmem2_peer_removed peer 1 removed with 2 vectors")
    wait_trace(qt, r"ivshmem2_interrupt MSI-X vector 0 delivered")
    qt.writel(bar0 + w.REG_DOORBELL, w.doorbell(1, 0))
    wait_trace(qt, r"ivshmem2_doorbell_dropped doorbell to peer 1 vector 0 dropped")


def test_without_kvm_doorbells_never_use_ioeventfds(start_group, start_qemu):
    """ioeventfd=on (the default) needs KVM: without it the memory core would
    write the shared eventfd itself in the vCPU thread, which can block. Under
    qtest every doorbell goes through the device and its signalling thread."""
    group = start_group(GroupConfig(peers=2, vectors=2))
    qt = start_qemu(device_args(group.socket) + TRACE)
    pci = PciFunction(qt, SLOT)
    pci.map_bars()
    wait_trace(qt, r"ivshmem2_realize ID 0 of 2 peers, 2 vectors, protocol 0x0000, "
                   r"ioeventfd 0")
    with Peer(group.socket) as host:
        host.wait_ready()
        wait_trace(qt, r"ivshmem2_peer_vector peer 1 vector 1 uses eventfd \d+")
        qt.writel(pci.bars[0] + w.REG_DOORBELL, w.doorbell(1, 1))
        wait_trace(qt, r"ivshmem2_doorbell MMIO doorbell to peer 1 vector 1")
        wait_trace(qt, r"ivshmem2_signal eventfd of peer 1 vector 1 written 1")
        assert host.wait_vector(1) == 1
    assert "ivshmem2_ioeventfd" not in qt.stderr()


@pytest.fixture
def scripted(workdir):
    with started(ScriptedServer, ScriptedServer.close) as make:
        yield lambda script: make(workdir / f"trace{len(make.items)}.sock", script)


def test_trace_of_bad_and_unknown_messages(scripted, start_qemu):
    srv = scripted(lambda s, c: send_setup(s, peer_id=1, other_peers=[0]))
    qt = start_qemu(device_args(srv.path) + TRACE)
    srv.wait()
    srv.send(w.msg_peer_gone(7))
    wait_trace(qt, r"ivshmem2_msg_peer_gone PEER_GONE peer 7")
    wait_trace(qt, r"ivshmem2_msg_error server says unknown peer 7 is gone")
    srv.send(w.header(9, 12) + bytes(4))
    wait_trace(qt, r"ivshmem2_msg_unknown message type 9 of 12 bytes skipped")
    srv.send(w.header(w.MSG_PEER_GONE, 2))
    wait_trace(qt, r"ivshmem2_msg_error server message of 2 bytes is shorter than its header")
    wait_trace(qt, r"ivshmem2_server_lost invalid server message")
    assert qt.alive()


def test_trace_of_rejected_init(scripted, start_qemu):
    srv = scripted(lambda s, c: s.send(w.msg_init(version=3, compatible=3),
                                       [memfd(64 * 1024, sealed=True)]))
    with pytest.raises(QemuFailed) as failed:
        start_qemu(device_args(srv.path) + TRACE)
    err = failed.value.stderr
    assert re.search(r"ivshmem2_msg_init INIT of 40 bytes: version 3, compatible_version 3, ",
                     err), err
    assert "ivshmem2_msg_error invalid INIT: the server no longer serves our protocol " \
           "version" in err, err

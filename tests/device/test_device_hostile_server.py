# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""A server that lies never crashes QEMU.

During setup every malformed message makes realize fail with a clear error
(QEMU exits with status 1, not a signal). After setup, bad messages are
ignored with a warning and the device keeps working.
"""

import fcntl
import os
import socket
import struct
import tempfile
import time

import pytest

import ivshmem2_wire as w
from device_harness import device_args
from device_qtest import Msix, PciFunction, QemuFailed
from scripted_server import ScriptedServer, memfd, read_eventfd, send_setup
from started import started

pytestmark = pytest.mark.qemu

SHM = 64 * 1024


@pytest.fixture
def hostile(workdir):
    """hostile(script) -> ScriptedServer on a fresh socket; closed at teardown."""
    with started(ScriptedServer, ScriptedServer.close) as make:
        yield lambda script: make(workdir / f"bad{len(make.items)}.sock", script)


def sealed_memfd(size=SHM):
    """Memory as ivshmem2-server hands it out: a memfd with its size sealed."""
    return memfd(size, sealed=True)


def realize_error(start_qemu, srv):
    """Start QEMU against @srv; return the error it exits with."""
    with pytest.raises(QemuFailed) as failed:
        start_qemu(device_args(srv.path))
    assert failed.value.returncode == 1, f"QEMU died abnormally: {failed.value}"
    srv.wait()
    assert "ivshmem2" in failed.value.stderr
    return failed.value.stderr


def init_then(*msgs, **init_args):
    """Script: a valid INIT (+ memfd), then raw (bytes, fds) messages."""

    def script(srv, conn):
        srv.send(w.msg_init(**init_args), [sealed_memfd()])
        for data, fds in msgs:
            srv.send(data, fds(srv) if callable(fds) else fds)

    return script


def efd(srv):
    return [srv.eventfd()]


SETUP_CASES = {
    "short-init": (lambda s, c: s.send(w.header(w.MSG_INIT, 20) + bytes(12), [sealed_memfd()]),
                   "INIT message of 20 bytes: too short for INIT"),
    "len-below-header": (lambda s, c: s.send(w.header(w.MSG_INIT, 4)),
                         "shorter than its header"),
    "oversized": (lambda s, c: s.send(w.header(w.MSG_INIT, 4096) + bytes(4088), [sealed_memfd()]),
                  "exceeds 64"),
    "init-without-fd": (lambda s, c: s.send(w.msg_init()), "without a shared-memory fd"),
    "init-with-eventfd": (lambda s, c: s.send(w.msg_init(), [s.eventfd()]),
                          "not a memory file"),
    "read-only-memory": (lambda s, c: s.send(w.msg_init(), [read_only_memfd()]),
                         "cannot map the shared memory"),
    "unsealed-memfd": (lambda s, c: s.send(w.msg_init(), [memfd(SHM)]),
                       "memfd is not sealed against resizing (seals 0x1, need 0x6)"),
    "sealable-memfd-left-unsealed": (lambda s, c: s.send(w.msg_init(), [memfd_seals(0)]),
                                     "memfd is not sealed against resizing (seals 0x0, "
                                     "need 0x6)"),
    "memfd-sealed-against-shrinking-only": (
        lambda s, c: s.send(w.msg_init(), [memfd_seals(fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_SEAL)]),
        "memfd is not sealed against resizing (seals 0x3, need 0x6)"),
    "empty-memory": (lambda s, c: s.send(w.msg_init(), [sealed_memfd(0)]),
                     "shared memory of 0 bytes"),
    "unaligned-memory": (lambda s, c: s.send(w.msg_init(), [sealed_memfd(SHM + 100)]), "page size"),
    "outputs-too-big": (lambda s, c: s.send(w.msg_init(output_size=32768), [sealed_memfd()]),
                        "do not fit"),
    "unaligned-output": (lambda s, c: s.send(w.msg_init(output_size=1000), [sealed_memfd()]),
                         "page size"),
    "one-peer": (lambda s, c: s.send(w.msg_init(max_peers=1), [sealed_memfd()]),
                 "max_peers out of range (version 2, compatible_version 2, ID 0, 1 peers"),
    "too-many-peers": (lambda s, c: s.send(w.msg_init(max_peers=1025), [sealed_memfd()]),
                       "max_peers out of range (version 2, compatible_version 2, ID 0, 1025 peers"),
    "id-outside-group": (lambda s, c: s.send(w.msg_init(peer_id=2), [sealed_memfd()]),
                         "peer ID not below max_peers (version 2, compatible_version 2, ID 2, "
                         "2 peers"),
    "no-vectors": (lambda s, c: s.send(w.msg_init(vectors=0), [sealed_memfd()]),
                   "vector count out of range (version 2, compatible_version 2, ID 0, 2 peers, "
                   "0 vectors"),
    "too-many-vectors": (lambda s, c: s.send(w.msg_init(vectors=1025), [sealed_memfd()]),
                         "vector count out of range (version 2, compatible_version 2, ID 0, "
                         "2 peers, 1025 vectors"),
    "protocol-over-16-bits": (lambda s, c: s.send(w.msg_init(protocol=0x10000), [sealed_memfd()]),
                              "protocol wider than 16 bits"),
    "event-fd-first": (lambda s, c: s.send(w.msg_event_fd(0, 0), [s.eventfd()]),
                       "message type 1 before INIT"),
    "closed-at-once": (lambda s, c: c.shutdown(socket.SHUT_RDWR),
                       "closed the connection during setup"),
    "closed-after-init": (lambda s, c: (init_then()(s, c), c.shutdown(socket.SHUT_RDWR)),
                          "closed the connection during setup"),
    "vector-order": (init_then((w.msg_event_fd(0, 1), efd)), "out of order"),
    "vector-beyond-count": (init_then((w.msg_event_fd(1, 0), efd), (w.msg_event_fd(1, 1), efd),
                                      vectors=1),
                            "out of order"),
    "peer-outside-group": (init_then((w.msg_event_fd(5, 0), efd)), "peer 5"),
    "event-fd-without-fd": (init_then((w.msg_event_fd(0, 0), [])), "without an eventfd"),
    "event-fd-not-eventfd": (init_then((w.msg_event_fd(0, 0), lambda s: [memfd(4096)])),
                             "not an eventfd"),
    "short-event-fd": (init_then((w.header(w.MSG_EVENT_FD, 12) + bytes(4), efd)), "too short"),
    "peer-gone-of-self": (init_then((w.msg_peer_gone(0), [])), "this peer (0) is gone"),
    "peer-gone-unknown": (init_then((w.msg_peer_gone(1), [])), "unknown peer 1"),
    "second-init": (init_then((w.msg_init(), lambda s: [sealed_memfd()])), "second INIT"),
}


def memfd_seals(seals):
    """A memfd that allows sealing, with just @seals."""
    fd = os.memfd_create("ivshmem2-test", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    os.ftruncate(fd, SHM)
    if seals:
        fcntl.fcntl(fd, fcntl.F_ADD_SEALS, seals)
    return fd


def read_only_memfd():
    fd = sealed_memfd()  # the mapping is what fails
    ro = os.open(f"/proc/self/fd/{fd}", os.O_RDONLY)
    os.close(fd)
    return ro


@pytest.mark.parametrize("case", list(SETUP_CASES))
def test_bad_setup_fails_realize_cleanly(start_qemu, hostile, case):
    script, expected = SETUP_CASES[case]
    err = realize_error(start_qemu, hostile(script))
    assert expected in err, err


def test_silent_server_times_out(start_qemu, hostile):
    err = realize_error(start_qemu, hostile(lambda s, c: None))
    assert "server sent nothing" in err


def test_stalled_partial_message_times_out(start_qemu, hostile):
    err = realize_error(start_qemu, hostile(lambda s, c: s.send(w.msg_init()[:10])))
    assert "server sent nothing" in err


# The version rule of ivshmem2_msg_init_check() (wire.h), through its mirror:
# accepted iff 0 < compatible_version <= 2 <= version; both sides of every
# boundary.
@pytest.mark.parametrize("version,compat", w.INIT_VERSION_CASES,
                         ids=[f"v{v}-c{c}" for v, c in w.INIT_VERSION_CASES])
def test_version_rule(start_qemu, hostile, version, compat):
    def script(srv, conn):
        srv.send(w.msg_init(version=version, compatible=compat), [sealed_memfd()])
        srv.send(w.msg_event_fd(0, 0), [srv.eventfd()])

    srv = hostile(script)
    verdict = w.init_check(w.Init(version=version, compatible_version=compat))
    if verdict == "OK":
        qt = start_qemu(device_args(srv.path))
        pci = PciFunction(qt, 4)
        pci.map_bars()
        assert qt.readl(pci.bars[0] + w.REG_MAX_PEERS) == 2
        return
    err = realize_error(start_qemu, srv)
    assert (f"invalid INIT: {w.INIT_ERRORS[verdict]} (version {version}, "
            f"compatible_version {compat},") in err, err


def test_newer_server_still_serving_v2_is_accepted(start_qemu, hostile):
    def script(srv, conn):
        srv.send(w.msg_init(version=3, compatible=2, extra=b"futurext"), [sealed_memfd()])
        srv.send(w.msg_event_fd(0, 0), [srv.eventfd()])

    srv = hostile(script)
    qt = start_qemu(device_args(srv.path))
    pci = PciFunction(qt, 4)
    pci.map_bars()
    assert qt.readl(pci.bars[0] + w.REG_MAX_PEERS) == 2


def unlinked_file(directory, size):
    fd, path = tempfile.mkstemp(prefix="ivshmem2-test.", dir=directory)
    os.unlink(path)
    os.ftruncate(fd, size)
    return fd, path


def hugetlbfs_mounted():
    with open("/proc/mounts") as f:
        return any(line.split()[1:3] == ["/dev/hugepages", "hugetlbfs"] for line in f)


@pytest.mark.parametrize("where", ["/dev/shm", "/dev/hugepages", "/var/tmp"],
                         ids=["posix-shm", "hugetlbfs-file", "disk-file"])
def test_unsealable_memory_is_taken_with_a_warning(start_qemu, hostile, where):
    """POSIX shm (-M), a file on hugetlbfs or on disk cannot be sealed: any
    peer could resize it. The device says so, and works."""
    if where == "/dev/hugepages" and not hugetlbfs_mounted():
        pytest.skip("/dev/hugepages is not a hugetlbfs mount")
    size = 2 << 20 if where == "/dev/hugepages" else SHM
    fd, path = unlinked_file(where, size)

    def script(srv, conn):
        send_setup(srv, shm_size=size, shm_fd=fd)

    srv = hostile(script)
    qt = start_qemu(device_args(srv.path))
    pci = PciFunction(qt, 4)
    pci.map_bars()
    assert qt.readl(pci.bars[0] + w.REG_MAX_PEERS) == 2
    assert (f"warning: ivshmem2: the shared memory ({path} (deleted)) cannot be sealed: any "
            "peer can resize it") in qt.stderr(), qt.stderr()


def test_sealed_memfd_gets_no_warning(start_qemu, hostile):
    srv = hostile(lambda s, c: send_setup(s))
    qt = start_qemu(device_args(srv.path))
    PciFunction(qt, 4).map_bars()
    assert "warning" not in qt.stderr(), qt.stderr()


def test_non_socket_chardev_is_refused(start_qemu, workdir):
    with pytest.raises(QemuFailed) as failed:
        start_qemu(["-chardev", "null,id=ivs", "-device", "ivshmem2,chardev=ivs,addr=04.0"])
    assert failed.value.returncode == 1
    assert "must be a UNIX socket" in failed.value.stderr


def test_master_on_needs_id_0(start_qemu, hostile):
    def script(srv, conn):
        send_setup(srv, peer_id=1, other_peers=[0])

    srv = hostile(script)
    with pytest.raises(QemuFailed) as failed:
        start_qemu(device_args(srv.path, props="master=on"))
    assert failed.value.returncode == 1
    assert "master=on, but the server assigned ID 1" in failed.value.stderr


# After setup: bad messages are ignored, the device keeps working.

RUNTIME_CASES = {
    "peer-gone-of-self": (lambda s: s.send(w.msg_peer_gone(1)), "this peer (1) is gone"),
    "peer-gone-unknown": (lambda s: s.send(w.msg_peer_gone(3)), "unknown peer 3"),
    "peer-gone-outside": (lambda s: s.send(w.msg_peer_gone(70000)), "unknown peer 70000"),
    "event-fd-out-of-order": (lambda s: s.send(w.msg_event_fd(2, 1), [s.eventfd()]),
                              "out of order"),
    "event-fd-without-fd": (lambda s: s.send(w.msg_event_fd(2, 0)), "without an eventfd"),
    "event-fd-outside": (lambda s: s.send(w.msg_event_fd(4, 0), [s.eventfd()]), "peer 4"),
    "event-fd-pipe": (lambda s: s.send(w.msg_event_fd(2, 0), [os.pipe()[0]]), "not an eventfd"),
    "second-init": (lambda s: s.send(w.msg_init(), [sealed_memfd()]), "second INIT"),
    "unknown-type": (lambda s: s.send(w.header(7, 12) + bytes(4)), "unknown type 7"),
    "two-fds": (lambda s: s.send(w.msg_event_fd(2, 0), [s.eventfd(), s.eventfd()]), None),
    "short-header": (lambda s: s.send(w.header(w.MSG_PEER_GONE, 3)), "shorter than its header"),
    "oversized": (lambda s: s.send(w.header(w.MSG_EVENT_FD, 1000) + bytes(992)), "exceeds 64"),
    "closed": (lambda s: s.conn.shutdown(socket.SHUT_RDWR), "connection to the server lost"),
}


def peer_1_with_interrupts(start_qemu, hostile, max_peers):
    """QEMU as peer 1 of a scripted group that also holds peer 0, with MSI-X and
    interrupts on. Returns (srv, qt, bar0, msix, fds): fds[peer][vector] are
    the eventfds the server handed out for the other peers."""
    fds = {}

    def script(srv, conn):
        fds.update(send_setup(srv, peer_id=1, max_peers=max_peers, vectors=2,
                                other_peers=[0])[1])

    srv = hostile(script)
    qt = start_qemu(device_args(srv.path))
    srv.wait()
    pci = PciFunction(qt, 4)
    pci.map_bars()
    msix = Msix(pci)
    msix.enable()
    qt.writel(pci.bars[0] + w.REG_INT_CONTROL, 1)
    return srv, qt, pci.bars[0], msix, fds


def wait_doorbell(qt, bar0, eventfd, what, ring_again=False):
    """Wait until @eventfd (of peer 0) counts doorbells and return the count
    (the device's signalling thread writes it a moment later); with
    @ring_again, ring vector 1 again while waiting (the peer may not be set up
    yet)."""
    deadline = time.monotonic() + 10
    while True:
        count = read_eventfd(eventfd)
        if count:
            return count
        assert time.monotonic() < deadline, what
        if ring_again:
            qt.writel(bar0 + w.REG_DOORBELL, w.doorbell(0, 1))
        time.sleep(0.02)


@pytest.mark.parametrize("case", list(RUNTIME_CASES))
def test_bad_message_after_setup_is_survived(start_qemu, hostile, case):
    send_bad, expected = RUNTIME_CASES[case]
    srv, qt, bar0, msix, fds = peer_1_with_interrupts(start_qemu, hostile, max_peers=4)

    send_bad(srv)
    if expected:
        deadline = time.monotonic() + 10
        while expected not in qt.stderr() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert expected in qt.stderr()
    assert qt.alive()

    # still a working peer: doorbells both ways, state changes
    qt.writel(bar0 + w.REG_DOORBELL, w.doorbell(0, 1))
    assert wait_doorbell(qt, bar0, fds[0][1], "doorbell to peer 0 lost") == 1
    os.write(fds[1][1], struct.pack("<Q", 1))
    assert msix.wait_fired(1)
    qt.writel(bar0 + w.REG_STATE, 4)
    assert wait_doorbell(qt, bar0, fds[0][0], "state change not signalled") == 1
    assert qt.alive()


def test_valid_peer_gone_raises_vector0_and_drops_doorbells(start_qemu, hostile):
    srv, qt, bar0, msix, fds = peer_1_with_interrupts(start_qemu, hostile, max_peers=2)
    srv.send(w.msg_peer_gone(0))
    assert msix.wait_fired(0)
    qt.writel(bar0 + w.REG_DOORBELL, w.doorbell(0, 1))
    qt.writel(bar0 + w.REG_STATE, 1)
    time.sleep(0.2)
    assert read_eventfd(fds[0][1]) == 0 and read_eventfd(fds[0][0]) == 0, \
        "doorbells and state interrupts to a gone peer are dropped"
    # the peer may come back
    e0, e1 = srv.eventfd(), srv.eventfd()
    srv.send(w.msg_event_fd(0, 0), [e0])
    srv.send(w.msg_event_fd(0, 1), [e1])
    wait_doorbell(qt, bar0, e1, "doorbell to the returned peer lost", ring_again=True)

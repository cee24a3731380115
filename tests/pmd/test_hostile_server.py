# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""The vdev attachment against a server that lies (tests/lib/scripted_server.py).

Stock dpdk-testpmd loads the PMD; the scripted server plays ivshmem2-server
and sends what a broken or malicious one could: INITs on both sides of the
version rule, an unsealed memfd, messages carrying several fds, fds that
are not eventfds, vectors out of order or replacing known ones, an endless
stream of valid messages. The PMD must refuse what is wrong with a clear
message, keep no fd it was sent in vain, and keep its control thread (the
EAL interrupt thread, which also runs the heartbeat alarm) free.
"""

import os
import struct
import threading
import time
from pathlib import Path

import pytest
from framework.remote_session.testpmd_shell import TestPmdShell, run_testpmd_once
from framework.testbed_model.virtual_device import VirtualDevice

import ivshmem2_wire as w
from scripted_server import memfd, send_setup

pytestmark = pytest.mark.pmd

SHM_SIZE = 16 << 20
OUTPUT_SIZE = 4 << 20
VECTORS = 2
HEARTBEAT_OFFSET = 40  # struct ivshmem2_net_section_header.heartbeat


def _setup(srv, **kw):
    args = dict(peer_id=0, max_peers=2, vectors=VECTORS, protocol=0x4932,
                output_size=OUTPUT_SIZE, shm_fd=memfd(SHM_SIZE, sealed=True))
    args.update(kw)
    return send_setup(srv, **args)


def _vdev(srv):
    return VirtualDevice(f"net_ivshmem20,socket={srv.path}")


def _probe_output(sut_node, srv):
    r = run_testpmd_once(sut_node, [_vdev(srv)], timeout=60)
    return r, r.stdout + r.stderr


def _fds(pid):
    return sorted(int(n) for n in os.listdir(f"/proc/{pid}/fd"))


def _wait(cond, timeout=10.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.parametrize("version,compatible,accepted", [
    (2, 2, True),
    (3, 2, True),    # a newer server that still serves version 2
    (3, 1, True),
    (3, 3, False),   # it dropped version 2
    (1, 1, False),   # older than us
    (2, 0, False),   # names no compatible version
])
def test_init_version_rule(sut_node, scripted, version, compatible, accepted):
    """The vdev applies ivshmem2_msg_init_check(), the device's rule."""
    def script(srv, conn):
        srv.send(w.msg_init(0, 2, VECTORS, 0x4932, OUTPUT_SIZE, version=version,
                            compatible=compatible), [memfd(SHM_SIZE, sealed=True)])
        for v in range(VECTORS):
            srv.send(w.msg_event_fd(0, v), [srv.eventfd()])
        time.sleep(30)

    srv = scripted(script)
    r, out = _probe_output(sut_node, srv)
    if accepted:
        assert "No probed ethernet devices" not in out and r.returncode == 0, out[-2000:]
    else:
        assert "bad INIT from the server" in out, out[-2000:]
        assert "No probed ethernet devices" in out or r.returncode != 0, out[-2000:]


def test_unsealed_memfd_is_refused(sut_node, scripted):
    """Any peer could shrink an unsealed memfd under everybody: refused."""
    srv = scripted(lambda srv, conn: (_setup(srv, shm_fd=memfd(SHM_SIZE)), time.sleep(30)))
    r, out = _probe_output(sut_node, srv)
    assert "not sealed against resizing" in out, out[-2000:]
    assert "No probed ethernet devices" in out or r.returncode != 0, out[-2000:]


def test_unsealable_memory_is_taken_with_a_warning(sut_node, scripted):
    """POSIX shm (the server's -M) cannot be sealed: joined, with a warning."""
    name = f"/dev/shm/iv2-test-{os.getpid()}"
    fd = os.open(name, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    os.unlink(name)
    os.ftruncate(fd, SHM_SIZE)
    try:
        srv = scripted(lambda srv, conn: (_setup(srv, shm_fd=fd), time.sleep(30)))
        r, out = _probe_output(sut_node, srv)
    finally:
        os.close(fd)
    assert "cannot be sealed" in out, out[-2000:]
    assert "No probed ethernet devices" not in out and r.returncode == 0, out[-2000:]


def test_join_has_a_deadline(sut_node, scripted):
    """A server that talks forever but never sends our eventfds fails the probe in time."""
    stop = threading.Event()

    def script(srv, conn):
        srv.send(w.msg_init(0, 2, VECTORS, 0x4932, OUTPUT_SIZE),
                 [memfd(SHM_SIZE, sealed=True)])
        while not stop.is_set():
            srv.send(w.msg_peer_gone(1))
            time.sleep(0.005)

    srv = scripted(script)
    t0 = time.monotonic()
    try:
        r, out = _probe_output(sut_node, srv)
    finally:
        stop.set()
    assert "did not send our 2 eventfds within" in out, out[-2000:]
    assert time.monotonic() - t0 < 30, "the probe took too long"


@pytest.fixture
def joined(sut_node, scripted):
    """testpmd joined to a scripted server as peer 0 of 2; (shell, server, shm fd)."""
    ready = threading.Event()
    box = {}

    def script(srv, conn):
        box["shm"], _ = _setup(srv)
        ready.set()

    srv = scripted(script)
    shell = TestPmdShell(sut_node, [_vdev(srv)], name="victim").start_application()
    assert ready.wait(10)
    srv.wait()
    yield shell, srv, box["shm"]
    shell.close()


def test_bad_event_fds_are_refused_and_closed(joined):
    """Every bad EVENT_FD is logged and dropped with its fds; good ones are kept."""
    shell, srv, _ = joined
    pid = shell.pid
    before = _fds(pid)
    r, wr = os.pipe()
    bad = [
        (w.msg_event_fd(1, 0), [srv.eventfd(), srv.eventfd()], "more than one fd"),
        (w.msg_event_fd(1, 0), [r], "is not an eventfd"),
        (w.msg_event_fd(1, 1), [srv.eventfd()], "out of order"),
        (w.msg_event_fd(0, 0), [srv.eventfd()], "out of order"),   # own, after the join
        (w.msg_event_fd(7, 0), [srv.eventfd()], "outside the group"),
        (w.msg_event_fd(1, VECTORS), [srv.eventfd()], "outside the group"),
        (w.msg_event_fd(1, 0), [], "without an fd"),
    ]
    for data, fds, _ in bad:
        srv.send(data, fds)
    os.close(r)
    os.close(wr)
    for _, _, text in bad:
        _wait(lambda: text in shell.output(), what=f"log line {text!r}")
    assert shell.alive()
    assert _fds(pid) == before, "the PMD kept fds of refused messages"

    # A peer's vectors in order are taken (one new fd each), and PEER_GONE
    # parks them without closing their numbers (the data path may hold them).
    for v in range(VECTORS):
        srv.send(w.msg_event_fd(1, v), [srv.eventfd()])
    _wait(lambda: len(_fds(pid)) == len(before) + VECTORS, what="peer 1's eventfds")
    srv.send(w.msg_peer_gone(1))
    srv.send(w.msg_event_fd(1, 0), [srv.eventfd()])   # the peer's next life
    time.sleep(0.5)
    assert len(_fds(pid)) == len(before) + VECTORS
    assert "out of order" not in shell.output().split("outside the group")[-1]


def test_message_flood_leaves_the_control_thread_free(joined):
    """Endless valid messages must not stop the 100 ms heartbeat alarm."""
    shell, srv, shm = joined
    layout = w.compute_layout(SHM_SIZE, 2, OUTPUT_SIZE, os.sysconf("SC_PAGE_SIZE"))
    at = layout.output_offset(0) + HEARTBEAT_OFFSET

    def beat():
        return struct.unpack("<I", os.pread(shm, 4, at))[0]

    stop = threading.Event()

    def flood():
        while not stop.is_set():
            try:
                srv.send(w.msg_peer_gone(1) * 64)
            except OSError:
                return

    t = threading.Thread(target=flood, daemon=True)
    t.start()
    try:
        time.sleep(0.5)
        b0 = beat()
        time.sleep(2.0)
        b1 = beat()
    finally:
        stop.set()
        t.join(5)
    # 20 ticks in 2 s when free; a thread held by the socket would give ~0.
    assert b1 - b0 >= 5, f"heartbeat went {b0} -> {b1} in 2 s under a message flood"
    assert shell.alive()

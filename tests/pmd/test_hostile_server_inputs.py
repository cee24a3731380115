# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Rows of doc/bad-input.md for the vdev that tests/pmd/test_hostile_server.py
does not cover: a bad INIT or memory fails the probe with the PMD's message;
bad messages after the join are logged and the port stays up."""

import os
import time

import pytest
from framework.remote_session.testpmd_shell import TestPmdShell, run_testpmd_once
from framework.testbed_model.virtual_device import VirtualDevice

import ivshmem2_wire as w
from scripted_server import memfd, send_setup

pytestmark = pytest.mark.pmd

SHM_SIZE = 16 << 20
OUTPUT_SIZE = 4 << 20
VECTORS = 2
NET = 0x4932


def _vdev(srv):
    return VirtualDevice(f"net_ivshmem20,socket={srv.path}")


def _init(**kw):
    args = dict(peer_id=0, max_peers=2, vectors=VECTORS, protocol=NET, output_size=OUTPUT_SIZE)
    args.update(kw)
    return w.msg_init(**args)


def _then_wait(send):
    def script(srv, conn):
        send(srv)
        time.sleep(30)  # the PMD gives up first; closing would be another error
    return script


PROBE_CASES = {
    "wrong-protocol": (lambda s: s.send(_init(protocol=0x0001), [memfd(SHM_SIZE, sealed=True)]),
                       "group protocol is 0x0001, net_ivshmem2 needs 0x4932"),
    "init-without-fd": (lambda s: s.send(_init()), "INIT came without the shared-memory fd"),
    "init-with-eventfd": (lambda s: s.send(_init(), [s.eventfd()]),
                          "the fd of INIT is not a memory file"),
    "empty-memory": (lambda s: s.send(_init(), [memfd(0, sealed=True)]),
                     "shared memory of 0 bytes"),
    "id-outside-group": (lambda s: s.send(_init(peer_id=9, max_peers=9),
                                           [memfd(SHM_SIZE, sealed=True)]),
                          "bad INIT from the server"),
}


@pytest.mark.parametrize("case", list(PROBE_CASES))
def test_bad_init_fails_the_probe(sut_node, scripted, case):
    send, expected = PROBE_CASES[case]
    srv = scripted(_then_wait(send))
    r = run_testpmd_once(sut_node, [_vdev(srv)], timeout=60)
    out = r.stdout + r.stderr
    assert expected in out, out[-2000:]
    assert "No probed ethernet devices" in out or r.returncode != 0, out[-2000:]


def test_bad_messages_after_the_join_are_logged(sut_node, scripted):
    """PEER_GONE of our own ID or of one outside the group, a short PEER_GONE
    and an unknown type: each logged, the port keeps running."""
    def script(srv, conn):
        send_setup(srv, peer_id=0, max_peers=2, vectors=VECTORS, protocol=NET,
                   output_size=OUTPUT_SIZE, shm_fd=memfd(SHM_SIZE, sealed=True))

    srv = scripted(script)
    shell = TestPmdShell(sut_node, [_vdev(srv)], name="joined").start_application()
    try:
        srv.wait()
        bad = [
            (w.msg_peer_gone(0), "PEER_GONE for our own ID, peer 0"),
            (w.msg_peer_gone(5), "PEER_GONE for invalid peer 5"),
            (w.header(w.MSG_PEER_GONE, 8), "PEER_GONE message too short"),
            (w.header(7, 12) + bytes(4), "unexpected message type 7"),
        ]
        for data, _ in bad:
            srv.send(data)
        for _, text in bad:
            deadline = time.monotonic() + 10
            while text not in shell.output():
                assert time.monotonic() < deadline, shell.output()[-3000:]
                time.sleep(0.05)
        assert shell.alive()
        assert os.path.exists(f"/proc/{shell.pid}")
    finally:
        shell.close()

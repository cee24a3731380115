# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""The wire protocol of ivshmem2-server with real peers: message sizes and
order, IDs, shared memory, eventfds, departures (spec sections 5 and 6)."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

import ivshmem2_peer
from ivshmem2_peer import ServerClosed
from ivshmem2_wire import (EVENT_FD_LEN, INIT_LEN, MSG_EVENT_FD, MSG_INIT, MSG_PEER_GONE,
                           PEER_GONE_LEN)

V = 2  # vectors of the default `server` fixture


def events(msgs):
    """(type, id, vector, length) of messages, for order comparisons."""
    return [(m.type, m.id, m.vector if m.type == MSG_EVENT_FD else -1, m.length)
            for m in msgs]


def burst(new_id, existing_ids, vectors=V):
    """The messages a peer must receive when it joins (spec section 5)."""
    out = [(MSG_INIT, new_id, -1, INIT_LEN)]
    for pid in existing_ids + [new_id]:
        out += [(MSG_EVENT_FD, pid, v, EVENT_FD_LEN) for v in range(vectors)]
    return out


def announce(new_id, vectors=V):
    """What every existing peer must receive when @new_id joins."""
    return [(MSG_EVENT_FD, new_id, v, EVENT_FD_LEN) for v in range(vectors)]


def wait_all_known(peers):
    """Let every peer receive every other peer's vectors."""
    for p in peers:
        p.wait_ready()
        for q in peers:
            if q is not p:
                p.wait_peer(q.id)


def assert_quiet(*peers, wait=0.3):
    for p in peers:
        extra = p.poll(wait)
        assert not extra, f"peer {p.id} got unexpected {[str(m) for m in extra]}"


def test_first_peer(server, make_peer):
    a = make_peer(server)
    a.wait_ready()
    assert events(a.log) == burst(0, [])
    i = a.init
    assert (i.version, i.compatible_version) == (2, 2)
    assert (i.id, i.max_peers, i.vectors, i.protocol) == (0, 4, V, 0)
    assert i.output_section_size == 64 << 10
    assert a.shm_size == 1 << 20
    assert_quiet(a)


def test_second_and_nth_peer(server, make_peer):
    a = make_peer(server)
    a.wait_ready()
    b = make_peer(server)
    b.wait_ready()
    assert events(b.log) == burst(1, [0])
    a.wait_peer(1)
    assert events(a.log[-V:]) == announce(1)
    c = make_peer(server)
    c.wait_ready()
    d = make_peer(server)
    d.wait_ready()
    assert events(c.log) == burst(2, [0, 1])
    assert events(d.log) == burst(3, [0, 1, 2])
    for p in (a, b, c):
        p.wait_peer(3)
    assert events(a.log) == burst(0, []) + announce(1) + announce(2) + announce(3)
    assert events(b.log) == burst(1, [0]) + announce(2) + announce(3)
    assert events(c.log) == burst(2, [0, 1]) + announce(3)
    assert_quiet(a, b, c, d)


def test_existing_peers_in_connection_order(make_server, make_peer):
    # no quarantine: the departed peer's ID is given out again at once
    server = make_server(max_peers=4, vectors=2, size="1M", output_size="64K",
                         id_quarantine=0)
    a, b, c = (make_peer(server) for _ in range(3))
    for p in (a, b, c):
        p.wait_ready()
    a.close()
    server.wait_log(r"peer 0 left")
    d = make_peer(server)  # takes the lowest free ID, 0, but joined last
    d.wait_ready()
    assert d.id == 0
    e = make_peer(server)
    e.wait_ready()
    assert e.id == 3
    assert events(e.log) == burst(3, [1, 2, 0])


def test_shared_memory_is_one_mappable_shm(make_server, make_peer):
    srv = make_server(max_peers=3, size="768K", output_size="64K")
    a, b = make_peer(srv), make_peer(srv)
    a.wait_ready()
    b.wait_ready()
    # 768K is rounded up to the next power of two.
    assert a.shm_size == b.shm_size == 1 << 20
    sa, sb = os.fstat(a.shm_fd), os.fstat(b.shm_fd)
    assert (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)
    lay = a.layout
    assert lay.output_section_offset == (1 << 20) - 3 * (64 << 10)
    assert lay.rw_section_size == lay.output_section_offset - 4096
    a.write_rw(100, b"hello from a")
    assert b.read(lay.rw_section_offset + 100, 12) == b"hello from a"
    b.write_output(0, b"b's output")
    assert a.read_output(b.id, 0, 10) == b"b's output"
    # Another peer's output section is mapped read-only.
    with pytest.raises(TypeError):
        a._ro[lay.output_offset(b.id)] = 1
    # The state table starts all zero.
    assert [a.state(i) for i in range(3)] == [0, 0, 0]


def test_eventfds_reach_their_target(server, make_peer):
    peers = [make_peer(server) for _ in range(3)]
    wait_all_known(peers)
    for src in peers:
        for dst in peers:
            if dst is src:
                continue
            for v in range(V):
                src.ring(dst.id, v)
                assert dst.wait_vector(v) == 1
                # Nothing else fired.
                for p in peers:
                    assert all(p.pending(w) == 0 for w in range(V))


def test_disconnect_sends_peer_gone_and_clears_state(server, make_peer):
    a, b, c = (make_peer(server) for _ in range(3))
    for p in (a, b, c):
        p.wait_ready()
    a.wait_peer(2)
    b.wait_peer(2)
    c.set_state(7)
    assert a.state(2) == 7
    c.close()
    a.wait_peer_gone(2)
    # Cleared before PEER_GONE was sent.
    assert a.state(2) == 0
    assert a.log[-1].type == MSG_PEER_GONE and a.log[-1].length == PEER_GONE_LEN
    assert 2 not in a.peers
    b.wait_peer_gone(2)
    assert_quiet(a, b)


def test_kill_9_of_a_client_process(server, make_peer, tmp_path):
    a = make_peer(server)
    a.wait_ready()
    cli = Path(ivshmem2_peer.__file__)
    proc = subprocess.Popen([sys.executable, str(cli), "-S", str(server.socket_path),
                             "--rounds", "0", "--interval", "0.2"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        a.wait_peer(1, timeout=30)
        deadline = time.monotonic() + 30
        while a.state(1) != 1:  # the CLI peer sets state 1 once ready
            assert time.monotonic() < deadline, "client never set its state"
            time.sleep(0.05)
        a.wait_vector(0, timeout=30)  # and it rings us
        proc.kill()
        proc.wait(10)
        a.wait_peer_gone(1, timeout=30)
        assert a.state(1) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()


def test_id_reuse_lowest_free_without_quarantine(make_server, make_peer):
    server = make_server(max_peers=4, vectors=2, size="1M", output_size="64K",
                         id_quarantine=0)
    a, b, c = (make_peer(server) for _ in range(3))
    assert [a.id, b.id, c.id] == [0, 1, 2]
    b.close()
    server.wait_log(r"peer 1 left")
    d = make_peer(server)
    assert d.id == 1
    a.close()
    c.close()
    server.wait_log(r"peer [02] left", count=2)
    e, f, g = (make_peer(server) for _ in range(3))
    assert [e.id, f.id, g.id] == [0, 2, 3]


def test_departed_id_is_quarantined_while_others_are_free(server, make_peer):
    """A peer that left may still write its output section for a while: its ID
    goes to a newcomer only when no other ID is free (default quarantine 5 s),
    and then the one free the longest."""
    a, b, c = (make_peer(server) for _ in range(3))
    assert [a.id, b.id, c.id] == [0, 1, 2]
    b.close()
    server.wait_log(r"peer 1 left")
    d = make_peer(server)
    assert d.id == 3, "got the ID of the peer that just left, with 3 free"
    # Full but for the quarantined ID: the group still admits a newcomer.
    e = make_peer(server)
    assert e.id == 1
    server.wait_log(r"peer 1 joined \(4 connected\); its ID was free for only \d+ ms "
                    r"\(--id-quarantine 5 s\), no other was free")
    # Two quarantined IDs: the one free the longest goes first.
    c.close()
    server.wait_log(r"peer 2 left")
    a.close()
    server.wait_log(r"peer 0 left")
    f, g = make_peer(server), make_peer(server)
    assert [f.id, g.id] == [2, 0]
    e.wait_ready()
    e.wait_peer(g.id)
    g.wait_ready()
    g.ring(e.id, 1)
    assert e.wait_vector(1) == 1


def test_quarantine_ends(make_server, make_peer):
    srv = make_server(max_peers=4, id_quarantine=1)
    a, b = make_peer(srv), make_peer(srv)
    b.close()
    srv.wait_log(r"peer 1 left")
    assert make_peer(srv).id == 2
    time.sleep(1.1)
    assert make_peer(srv).id == 1  # the lowest free ID again
    del a


def test_group_full_rejects_newcomer_cleanly(server, make_peer):
    peers = [make_peer(server) for _ in range(4)]
    wait_all_known(peers)
    with pytest.raises(ServerClosed):
        make_peer(server)  # closed without INIT
    server.wait_log(r"group full \(4 peers\): new connection refused")
    assert_quiet(*peers)
    peers[0].ring(3, 1)
    assert peers[3].wait_vector(1) == 1
    peers[2].close()
    peers[0].wait_peer_gone(2)
    late = make_peer(server)
    late.wait_ready()
    assert late.id == 2


def test_virtio_role_rule(make_server, make_peer):
    srv = make_server(max_peers=2, vectors=3, size="64K", protocol=0x8003)
    a, b = make_peer(srv), make_peer(srv)
    assert (a.id, a.init.protocol) == (0, 0xC003)  # back-end
    assert (b.id, b.init.protocol) == (1, 0x8003)  # front-end
    a.close()
    srv.wait_log(r"peer 0 left")
    c = make_peer(srv)
    assert (c.id, c.init.protocol) == (0, 0xC003)


def test_virtio_backend_bit_given_is_cleared_for_others(make_server, make_peer):
    srv = make_server(max_peers=2, protocol=0xC002)
    a, b = make_peer(srv), make_peer(srv)
    assert (a.init.protocol, b.init.protocol) == (0xC002, 0x8002)


def test_plain_protocols_unchanged(make_server, make_peer):
    srv = make_server(max_peers=3, protocol=0x4001)
    assert {make_peer(srv).init.protocol for _ in range(3)} == {0x4001}


def test_peer_that_sends_data_is_disconnected(server, make_peer):
    a = make_peer(server)
    a.wait_ready()
    rogue = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        rogue.connect(str(server.socket_path))
        a.wait_peer(1)
        rogue.send(b"hello")
        a.wait_peer_gone(1)
    finally:
        rogue.close()
    server.wait_log(r"peer 1 left: sent data")


def test_peers_vanishing_mid_message(make_server, make_peer):
    """Clients that close while the server is still sending must not hurt."""
    srv = make_server(max_peers=8, vectors=64, size="1M")
    a = make_peer(srv)
    a.wait_ready()
    for i in range(60):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
        s.connect(str(srv.socket_path))
        if i % 2:
            s.recv(3)  # leave in the middle of INIT
        s.close()
        a.poll()
    deadline = time.monotonic() + 60
    while srv.log().count(" left: ") < 60:
        assert time.monotonic() < deadline, srv.log()
        a.poll(0.05)
    a.wait_for(lambda p: not p.known, timeout=30, what="every vanished peer gone")
    b = make_peer(srv)
    b.wait_ready()
    assert 1 <= b.id < 8  # an ID one of the vanished peers had (quarantined or not)
    b.ring(0, 63)
    assert a.wait_vector(63) == 1
    assert srv.alive()

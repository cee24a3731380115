# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""A peer that never reads can neither stall the server nor delay others;
one that falls too far behind is dropped."""

import socket

from ivshmem2_wire import MSG_EVENT_FD, MSG_PEER_GONE


def never_reader(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(str(path))
    return s


def churn(srv, make_peer, steady, cycles):
    """Peers join and leave; @steady sees every join and leave in order."""
    for i in range(cycles):
        p = make_peer(srv, timeout=30)
        p.wait_ready()
        steady.wait_peer(p.id)
        p.ring(steady.id, 0)
        assert steady.wait_vector(0, timeout=30) == 1
        p.close()
        steady.wait_peer_gone(p.id)


def test_never_reading_client_does_not_delay_others(make_server, make_peer):
    srv = make_server(max_peers=16, vectors=4, size="1M")
    steady = make_peer(srv)
    steady.wait_ready()
    lazy = never_reader(srv.socket_path)
    try:
        steady.wait_peer(1)
        churn(srv, make_peer, steady, 40)
        # The lazy client is still a member: not dropped, not blocking.
        assert 1 in steady.known
        assert "fell behind" not in srv.log()
        late = make_peer(srv)
        late.wait_ready()
        assert late.id not in (0, 1)
        late.wait_peer(1)
    finally:
        lazy.close()
    steady.wait_peer_gone(1)


def test_client_too_far_behind_is_dropped(make_server, make_peer):
    srv = make_server(max_peers=16, vectors=4, size="1M", queue_limit=8)
    steady = make_peer(srv)
    steady.wait_ready()
    lazy = never_reader(srv.socket_path)
    try:
        steady.wait_peer(1)
        # Churn fills the lazy client's socket buffer (joins of peers that
        # left again are dropped from its queue); then a few peers that stay
        # give it more than 8 queued messages.
        for _ in range(200):
            churn(srv, make_peer, steady, 5)
            extra = [make_peer(srv) for _ in range(3)]
            for p in extra:
                p.wait_ready()
            for p in extra:
                p.close()
                steady.wait_peer_gone(p.id)
            if "fell behind" in srv.log():
                break
        srv.wait_log(r"peer 1 left: fell behind: 8 messages unsent \(--queue-limit\)")
        steady.wait_for(lambda p: 1 in p.gone and 1 not in p.known, what="PEER_GONE 1")
        # The group works; the dropped client's ID is quarantined (it may
        # still be alive and write its output section) while others are free.
        newcomer = make_peer(srv)
        newcomer.wait_ready()
        assert newcomer.id not in (0, 1)
        newcomer.ring(0, 3)
        assert steady.wait_vector(3) == 1
        # The dropped client's socket was closed by the server.
        lazy.settimeout(30)
        while lazy.recv(65536):
            pass
    finally:
        lazy.close()
    assert srv.alive()


def test_never_reader_during_a_big_join(make_server, make_peer):
    """A joining peer gets max_peers * vectors messages; a peer that reads
    nothing meanwhile must not hold them up."""
    srv = make_server(max_peers=64, vectors=64, size="1M")
    lazy = never_reader(srv.socket_path)
    try:
        peers = [make_peer(srv, keep_fds=False, map_memory=False) for _ in range(20)]
        for p in peers:
            p.wait_ready()
        last = peers[-1]
        assert len(last.known) == 20  # the lazy one (0) and 19 others
        types = [m.type for m in last.log]
        assert types.count(MSG_EVENT_FD) == 21 * 64
        assert MSG_PEER_GONE not in types
    finally:
        lazy.close()

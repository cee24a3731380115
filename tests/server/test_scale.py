# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""256 peers with 64 vectors each in one group (16384 eventfds in the
server) without running out of file descriptors."""

import socket
import time

from ivshmem2_peer import Peer
from ivshmem2_wire import MSG_EVENT_FD, MSG_INIT

N = 256
V = 64


def test_256_peers_with_64_vectors(make_server, make_peer):
    srv = make_server(max_peers=N, vectors=V, size="64M", output_size="128K")
    # Most peers only take INIT and then read nothing: the server keeps
    # their EVENT_FDs queued (the protocol allows it) without stalling.
    peers = [make_peer(srv, map_memory=False, keep_fds=False, timeout=60) for _ in range(N)]
    assert sorted(p.id for p in peers) == list(range(N))
    assert all(p.init.max_peers == N and p.init.vectors == V for p in peers)
    # The group is full now.
    extra = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        extra.settimeout(60)
        extra.connect(str(srv.socket_path))
        assert extra.recv(64) == b""
    finally:
        extra.close()
    srv.wait_log(r"group full \(256 peers\)")

    # Three peers read everything: each learns 255 others x 64 vectors.
    first, middle, last = peers[0], peers[N // 2], peers[-1]
    for p in (first, middle, last):
        p.wait_for(lambda q: len(q.known) == N - 1 and len(q.vectors) == V
                   and all(n == V for n in q.known.values()), timeout=120,
                   what="all 255 peers")
    types = [m.type for m in last.log]
    assert types[0] == MSG_INIT and types.count(MSG_EVENT_FD) == N * V

    # A doorbell across the group: a fresh peer that keeps only peer 0's fds.
    middle.close()
    first.wait_peer_gone(N // 2, timeout=60)
    ringer = Peer(srv.socket_path, keep_fds={0}, map_memory=True, timeout=60)
    try:
        assert ringer.id == N // 2
        ringer.wait_ready(timeout=120)
        ringer.ring(0, V - 1)
        assert first.wait_vector(V - 1, timeout=30) == 1
        first.wait_peer(ringer.id, timeout=60)
        ringer.ring(0, 0)
        assert first.wait_vector(0, timeout=30) == 1
        assert ringer.state(0) == 0
    finally:
        ringer.close()
    last.wait_peer_gone(N // 2, timeout=60)
    # Everyone leaves; the server stays healthy.
    for p in peers:
        p.close()
    deadline = time.monotonic() + 120
    while srv.log().count(" left: ") < N + 1:
        assert time.monotonic() < deadline, "departures not processed"
        time.sleep(0.1)
    assert srv.alive()
    assert srv.stop() == 0

# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""A scripted ivshmem2 server, for device tests that need it to lie.

A ScriptedServer accepts one peer and runs a test-supplied script on the
connection, so a test can send malformed or out-of-order messages. Messages
come from ivshmem2_wire (tests/lib), the one mirror of include/ivshmem2.
"""

import fcntl
import os
import select
import socket
import struct
import threading

import ivshmem2_wire as w


def memfd(size, name="ivshmem2-test", sealed=False):
    """A memfd of @size bytes; @sealed: its size sealed as ivshmem2-server does."""
    fd = os.memfd_create(name, os.MFD_CLOEXEC | (os.MFD_ALLOW_SEALING if sealed else 0))
    os.ftruncate(fd, size)
    if sealed:
        fcntl.fcntl(fd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW
                    | fcntl.F_SEAL_SEAL)
    return fd


class ScriptedServer:
    """Listens on @path; the first peer to connect gets script(server, conn).

    The connection stays open after the script (a peer treats EOF as a lost
    server) until close(). Eventfds made with eventfd() are kept so a test can
    signal or read them.
    """

    def __init__(self, path, script):
        self.path = str(path)
        self.script = script
        self.error = None
        self.conn = None
        self.fds = []
        self._done = threading.Event()
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(4)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        try:
            self.sock.settimeout(60)
            self.conn, _ = self.sock.accept()
            self.script(self, self.conn)
        except Exception as err:  # reported by wait()
            self.error = err
        finally:
            self._done.set()

    def send(self, data, fds=()):
        if fds:
            socket.send_fds(self.conn, [data], list(fds))
        else:
            self.conn.sendall(data)

    def eventfd(self):
        fd = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
        self.fds.append(fd)
        return fd

    def wait(self, timeout=60):
        """Wait until the script has run; re-raise its error."""
        assert self._done.wait(timeout), "server script did not finish"
        if self.error:
            raise self.error

    def close(self):
        if self.conn:
            self.conn.close()
        self.sock.close()
        for fd in self.fds:
            os.close(fd)
        self.fds = []


def send_setup(srv, peer_id=0, max_peers=2, vectors=1, protocol=0, output_size=0,
               shm_size=64 * 1024, other_peers=(), shm_fd=None):
    """What a well-behaved server sends to a new peer: INIT (with a sealed
    memfd unless @shm_fd is given), others', own vectors.

    Returns (shm_fd, {peer: [eventfd per vector]}).
    """
    if shm_fd is None:
        shm_fd = memfd(shm_size, sealed=True)
    srv.send(w.msg_init(peer_id, max_peers, vectors, protocol, output_size), [shm_fd])
    fds = {}
    for peer in list(other_peers) + [peer_id]:
        fds[peer] = []
        for v in range(vectors):
            efd = srv.eventfd()
            fds[peer].append(efd)
            srv.send(w.msg_event_fd(peer, v), [efd])
    return shm_fd, fds


def read_eventfd(fd):
    """The eventfd counter (and reset it), 0 if not signalled.

    Polls first: O_NONBLOCK belongs to the open file, which QEMU shares and
    briefly switches to blocking whenever its chardev receives the fd.
    """
    if not select.select([fd], [], [], 0)[0]:
        return 0
    try:
        return struct.unpack("<Q", os.read(fd, 8))[0]
    except BlockingIOError:
        return 0

# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""The server side of the ivshmem2 wire protocol, for tests that need to lie.

Message layouts follow include/ivshmem2/wire.h (all integers little-endian);
tests/device/test_device_wire_layout.py checks these constants against the header.
A ScriptedServer accepts one peer and runs a test-supplied script on the
connection, so a test can send malformed or out-of-order messages.
"""

import os
import select
import socket
import struct
import threading

PROTOCOL_VERSION = 2
MSG_INIT, MSG_EVENT_FD, MSG_PEER_GONE = 0, 1, 2
INIT_LEN, EVENT_FD_LEN, PEER_GONE_LEN = 40, 16, 12
MSG_MAX_LEN = 64
STATE_TABLE_SIZE = 4096
PAGE = 4096

# include/ivshmem2/regs.h
VENDOR_ID, DEVICE_ID = 0x110A, 0x4106
REG_ID, REG_MAX_PEERS, REG_INT_CONTROL, REG_DOORBELL, REG_STATE = 0x00, 0x04, 0x08, 0x0C, 0x10
REGS_BAR_SIZE = 0x1000
CAP_OFF_LEN, CAP_OFF_PRIV_CTRL = 0x02, 0x03
CAP_OFF_STATE_TAB_SZ, CAP_OFF_RW_SECTION_SZ, CAP_OFF_OUTPUT_SECTION_SZ = 0x04, 0x08, 0x10
CAP_LEN = 0x18
PRIV_CTRL_ONESHOT = 0x01


def doorbell(peer, vector):
    return ((peer & 0xFFFF) << 16) | (vector & 0xFFFF)


def header(msg_type, length):
    return struct.pack("<II", msg_type, length)


# The version rule of ivshmem2_msg_init_check() (include/ivshmem2/wire.h).
def init_version_accepted(version, compatible):
    return 0 < compatible <= PROTOCOL_VERSION <= version


# (version, compatible_version) on both sides of every boundary of that rule.
INIT_VERSION_CASES = [
    (2, 2), (3, 2), (3, 1), (2, 1), (0xFFFFFFFF, 2),   # accepted
    (2, 0), (3, 0), (1, 1), (0, 1), (1, 2),             # no compat version / too old
    (3, 3), (0xFFFFFFFF, 0xFFFFFFFF), (2, 3),           # version 2 dropped
]


def msg_init(peer_id=0, max_peers=2, vectors=1, protocol=0, output_size=0,
             version=PROTOCOL_VERSION, compatible=PROTOCOL_VERSION, extra=b""):
    body = struct.pack("<IIIIIIQ", version, compatible, peer_id, max_peers, vectors,
                       protocol, output_size)
    return header(MSG_INIT, INIT_LEN + len(extra)) + body + extra


def msg_event_fd(peer_id, vector):
    return header(MSG_EVENT_FD, EVENT_FD_LEN) + struct.pack("<II", peer_id, vector)


def msg_peer_gone(peer_id):
    return header(MSG_PEER_GONE, PEER_GONE_LEN) + struct.pack("<I", peer_id)


def memfd(size, name="ivshmem2-test"):
    fd = os.memfd_create(name, os.MFD_CLOEXEC)
    os.ftruncate(fd, size)
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
    """What a well-behaved server sends to a new peer: INIT, others', own vectors.

    Returns (shm_fd, {peer: [eventfd per vector]}).
    """
    if shm_fd is None:
        shm_fd = memfd(shm_size)
    srv.send(msg_init(peer_id, max_peers, vectors, protocol, output_size), [shm_fd])
    fds = {}
    for peer in list(other_peers) + [peer_id]:
        fds[peer] = []
        for v in range(vectors):
            efd = srv.eventfd()
            fds[peer].append(efd)
            srv.send(msg_event_fd(peer, v), [efd])
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

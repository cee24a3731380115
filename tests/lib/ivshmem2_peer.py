# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""A small IVSHMEM v2 peer for tests and demos, speaking to ivshmem2-server.

It does what a device does on the host side: connect to the server socket,
receive INIT with the shared memory, EVENT_FD per (peer, vector) and
PEER_GONE, all strictly validated; map the memory; ring a peer's vector by
writing its eventfd; wait for its own vectors; read and write the state
table.

Library use::

    from ivshmem2_peer import Peer
    with Peer(sock) as a, Peer(sock) as b:
        a.wait_ready(); b.wait_ready()
        a.wait_peer(b.id)
        a.ring(b.id, 0)
        assert b.wait_vector(0) == 1

Command line (two terminals, readable output)::

    python3 tests/lib/ivshmem2_peer.py -S /tmp/ivshmem_socket --rounds 5

Every protocol violation raises ProtocolError (an AssertionError, so pytest
shows it as a test failure with the message).
"""

from __future__ import annotations

import argparse
import mmap
import os
import select
import socket
import stat
import struct
import sys
import time
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional

# The wire format, limits and layout rule: the one mirror of include/ivshmem2.
from ivshmem2_wire import (EVENT_FD_BODY, HEADER, INIT_ERRORS, MSG_EVENT_FD, MSG_INIT, MSG_LEN,
                           MSG_NAMES, MSG_PEER_GONE, PEER_GONE_BODY, STATE_ENTRY_SIZE, Init,
                           Layout, compute_layout, init_check)


class ProtocolError(AssertionError):
    """The server sent something the wire protocol does not allow."""


class ServerClosed(ConnectionError):
    """The server closed the connection (e.g. group full, or it stopped)."""


@dataclass
class Message:
    """One received message. fd is the received descriptor (or None); the
    Peer keeps or closes it, so callers must not close it themselves."""

    type: int
    length: int
    id: int = -1
    vector: int = -1
    fd: Optional[int] = None
    init: Optional[Init] = None

    @property
    def name(self) -> str:
        return MSG_NAMES.get(self.type, f"type {self.type}")

    def __str__(self) -> str:
        if self.type == MSG_INIT:
            return f"INIT(id={self.id}, len={self.length})"
        if self.type == MSG_EVENT_FD:
            return f"EVENT_FD(id={self.id}, vector={self.vector})"
        return f"{self.name}(id={self.id})"


def is_eventfd(fd: int) -> bool:
    """True if @fd is an eventfd (its fdinfo has an eventfd-count line)."""
    try:
        with open(f"/proc/self/fdinfo/{fd}", "rb") as f:
            return b"eventfd-count:" in f.read()
    except OSError:
        return False


class Peer:
    """One peer of a group served by ivshmem2-server.

    Args:
        socket_path: the server's UNIX socket.
        timeout: default seconds for every wait (connect, messages, vectors).
        map_memory: mmap the shared memory (state table and R/W section
            read/write, own output section read/write, everything else
            read-only).
        keep_fds: keep other peers' eventfds so that ring() works; False
            validates and closes them at once (big groups, fewer fds); a
            set of peer IDs keeps only those peers' eventfds.
        read_init: receive and check INIT in the constructor.

    Attributes after INIT: id, init (Init), layout (Layout), shm_fd, shm_size,
    peers (id -> list of eventfds, complete once len == vectors), vectors
    (own eventfds), known (id -> number of vectors announced), gone (IDs in
    PEER_GONE order), log (every message as Message without fd, in order).
    """

    def __init__(self, socket_path, *, timeout: float = 10.0, map_memory: bool = True,
                 keep_fds=True, read_init: bool = True):
        self.socket_path = str(socket_path)
        self.timeout = timeout
        self.map_memory = map_memory
        self.keep_fds = keep_fds if isinstance(keep_fds, bool) else frozenset(keep_fds)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.init: Optional[Init] = None
        self.id = -1
        self.layout: Optional[Layout] = None
        self.shm_fd = -1
        self.shm_size = 0
        self.peers: Dict[int, List[int]] = {}
        self.known: Dict[int, int] = {}
        self.vectors: List[int] = []
        self.gone: List[int] = []
        self.log: List[Message] = []
        self._ro: Optional[mmap.mmap] = None
        self._rw: Optional[mmap.mmap] = None
        self._out: Optional[mmap.mmap] = None
        self.closed = False
        try:
            self.sock.settimeout(timeout)
            self.sock.connect(self.socket_path)
            if read_init:
                self.recv()
        except BaseException:
            self.close()
            raise

    # --- context manager -------------------------------------------------
    def __enter__(self) -> "Peer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def fileno(self) -> int:
        """The socket's fd (readable when a message or EOF is pending)."""
        return self.sock.fileno()

    def close(self) -> None:
        """Leave the group: close the socket, every fd and the mappings."""
        if self.closed:
            return
        self.closed = True
        self.sock.close()
        for m in (self._out, self._rw, self._ro):
            if m is not None:
                try:
                    m.close()
                except BufferError:
                    pass  # a caller still holds a memoryview; freed with it
        for fds in self.peers.values():
            for fd in fds:
                os.close(fd)
        self.peers.clear()
        for fd in self.vectors:
            os.close(fd)
        self.vectors = []
        if self.shm_fd >= 0:
            os.close(self.shm_fd)
            self.shm_fd = -1

    # --- receiving -------------------------------------------------------
    def _recv_exact(self, n: int, deadline: float, fds: List[int],
                    allow_fd: bool = True) -> bytes:
        data = b""
        while len(data) < n:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"peer {self.id}: no message within {self.timeout} s"
                                   if not data else f"peer {self.id}: partial message")
            self.sock.settimeout(remaining)
            try:
                chunk, anc, flags, _ = self.sock.recvmsg(
                    n - len(data), socket.CMSG_SPACE(4 * 4))
            except socket.timeout:
                if data:
                    continue
                raise TimeoutError(f"peer {self.id}: no message within the timeout")
            for level, ctype, cdata in anc:
                if level != socket.SOL_SOCKET or ctype != socket.SCM_RIGHTS:
                    raise ProtocolError(f"unexpected control message {level}/{ctype}")
                count = len(cdata) // 4
                fds.extend(struct.unpack(f"<{count}i", cdata[:count * 4]))
            if anc and (data or not allow_fd):
                raise ProtocolError("fd arrived after the first byte of a message")
            if flags & socket.MSG_CTRUNC:
                raise ProtocolError("control data truncated (too many fds)")
            if not chunk:
                if data:
                    raise ProtocolError(f"server closed mid-message after {len(data)} bytes")
                raise ServerClosed(f"peer {self.id}: server closed the connection")
            data += chunk
        return data

    def recv(self, timeout: Optional[float] = None) -> Message:
        """Receive, validate and apply one message; TimeoutError if none.

        Raises ServerClosed on EOF and ProtocolError on any violation.
        """
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        fds: List[int] = []
        try:
            header = self._recv_exact(HEADER.size, deadline, fds)
            mtype, length = HEADER.unpack(header)
            if mtype not in MSG_LEN:
                raise ProtocolError(f"unknown message type {mtype}")
            if length != MSG_LEN[mtype]:
                raise ProtocolError(f"{MSG_NAMES[mtype]} with len {length}, "
                                    f"expected {MSG_LEN[mtype]}")
            body = self._recv_exact(length - HEADER.size, deadline, fds, allow_fd=False)
            msg = self._apply(mtype, length, body, fds)
        except BaseException:
            for fd in fds:
                os.close(fd)
            raise
        self.log.append(Message(msg.type, msg.length, msg.id, msg.vector, None, msg.init))
        return msg

    def _apply(self, mtype: int, length: int, body: bytes, fds: List[int]) -> Message:
        if self.init is None and mtype != MSG_INIT:
            raise ProtocolError(f"first message is {MSG_NAMES[mtype]}, not INIT")
        if mtype == MSG_INIT:
            return self._apply_init(length, body, fds)
        if mtype == MSG_EVENT_FD:
            return self._apply_event_fd(length, body, fds)
        return self._apply_peer_gone(length, body, fds)

    def _apply_init(self, length: int, body: bytes, fds: List[int]) -> Message:
        if self.init is not None:
            raise ProtocolError("second INIT")
        if len(fds) != 1:
            raise ProtocolError(f"INIT with {len(fds)} fds, expected 1")
        init = Init.unpack(body)
        verdict = init_check(init, length)
        if verdict != "OK":
            raise ProtocolError(f"INIT: {INIT_ERRORS[verdict]} ({init})")
        fd = fds.pop()
        self.shm_fd = fd
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ProtocolError("INIT fd is not a memory file")
        try:
            self.layout = compute_layout(st.st_size, init.max_peers,
                                         init.output_section_size)
        except ValueError as e:
            raise ProtocolError(f"INIT layout (size {st.st_size}): {e}") from None
        self.init = init
        self.id = init.id
        self.shm_size = st.st_size
        if self.map_memory:
            self._map()
        return Message(MSG_INIT, length, init.id, -1, fd, init)

    def _apply_event_fd(self, length: int, body: bytes, fds: List[int]) -> Message:
        if len(fds) != 1:
            raise ProtocolError(f"EVENT_FD with {len(fds)} fds, expected 1")
        pid, vector = EVENT_FD_BODY.unpack(body)
        if pid >= self.init.max_peers:
            raise ProtocolError(f"EVENT_FD for peer {pid} >= max_peers {self.init.max_peers}")
        if vector >= self.init.vectors:
            raise ProtocolError(f"EVENT_FD vector {vector} >= vectors {self.init.vectors}")
        expected = len(self.vectors) if pid == self.id else self.known.get(pid, 0)
        if vector != expected:
            raise ProtocolError(f"EVENT_FD for peer {pid}: vector {vector}, expected {expected}")
        fd = fds.pop()
        if not is_eventfd(fd):
            raise ProtocolError(f"EVENT_FD {pid}/{vector}: fd is not an eventfd")
        if pid == self.id:
            self.vectors.append(fd)
        else:
            self.known[pid] = vector + 1
            if self.keep_fds is True or (self.keep_fds and pid in self.keep_fds):
                self.peers.setdefault(pid, []).append(fd)
            else:
                os.close(fd)
        return Message(MSG_EVENT_FD, length, pid, vector, fd)

    def _apply_peer_gone(self, length: int, body: bytes, fds: List[int]) -> Message:
        if fds:
            raise ProtocolError(f"PEER_GONE with {len(fds)} fds")
        (pid,) = PEER_GONE_BODY.unpack(body)
        if pid == self.id:
            raise ProtocolError("PEER_GONE names our own ID")
        if pid not in self.known:
            raise ProtocolError(f"PEER_GONE for peer {pid} that was never announced")
        del self.known[pid]
        for fd in self.peers.pop(pid, []):
            os.close(fd)
        self.gone.append(pid)
        return Message(MSG_PEER_GONE, length, pid)

    def poll(self, timeout: float = 0.0) -> List[Message]:
        """Receive every message that arrives within @timeout seconds."""
        out: List[Message] = []
        deadline = time.monotonic() + timeout
        while True:
            remaining = max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([self.sock], [], [], remaining)
            if not ready:
                return out
            out.append(self.recv())

    def wait_for(self, cond: Callable[["Peer"], bool], timeout: Optional[float] = None,
                 what: str = "condition") -> List[Message]:
        """Receive messages until cond(self) holds; returns them."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        out: List[Message] = []
        while not cond(self):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"peer {self.id}: timed out waiting for {what}")
            out.append(self.recv(remaining))
        return out

    def wait_ready(self, timeout: Optional[float] = None) -> List[Message]:
        """Receive the connect burst up to the last own vector."""
        return self.wait_for(lambda p: len(p.vectors) == p.init.vectors, timeout,
                             "own vectors")

    def wait_peer(self, peer_id: int, timeout: Optional[float] = None) -> List[Message]:
        """Receive until every vector of @peer_id is known."""
        return self.wait_for(lambda p: p.known.get(peer_id) == p.init.vectors, timeout,
                             f"peer {peer_id}")

    def wait_peer_gone(self, peer_id: int, timeout: Optional[float] = None) -> List[Message]:
        """Receive until PEER_GONE for @peer_id arrived (and it is not back)."""
        return self.wait_for(lambda p: peer_id in p.gone and peer_id not in p.known,
                             timeout, f"PEER_GONE {peer_id}")

    def wait_closed(self, timeout: Optional[float] = None) -> List[Message]:
        """Receive until the server closes the connection; returns the rest."""
        out: List[Message] = []
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            try:
                out.append(self.recv(max(0.0, deadline - time.monotonic())))
            except ServerClosed:
                return out

    # --- doorbells -------------------------------------------------------
    def ring(self, peer_id: int, vector: int = 0) -> None:
        """Ring @vector of @peer_id (its eventfd; needs keep_fds=True)."""
        fds = self.vectors if peer_id == self.id else self.peers.get(peer_id, [])
        if vector >= len(fds):
            raise KeyError(f"peer {self.id}: no eventfd for peer {peer_id} vector {vector}")
        os.write(fds[vector], (1).to_bytes(8, "little"))

    def pending(self, vector: int = 0) -> int:
        """Read and reset own @vector's count without waiting (0 if none)."""
        try:
            return int.from_bytes(os.read(self.vectors[vector], 8), "little")
        except BlockingIOError:
            return 0

    def wait_vector(self, vector: int = 0, timeout: Optional[float] = None) -> int:
        """Wait for own @vector to fire; returns the rings counted since the
        last read. Raises TimeoutError."""
        fd = self.vectors[vector]
        ready, _, _ = select.select([fd], [], [], self.timeout if timeout is None else timeout)
        if not ready:
            raise TimeoutError(f"peer {self.id}: vector {vector} did not fire")
        return self.pending(vector)

    # --- shared memory ---------------------------------------------------
    def _map(self) -> None:
        lay = self.layout
        self._ro = mmap.mmap(self.shm_fd, self.shm_size, mmap.MAP_SHARED, mmap.PROT_READ)
        # State table and R/W section: read/write, like the device's host view.
        self._rw = mmap.mmap(self.shm_fd, lay.output_section_offset, mmap.MAP_SHARED,
                             mmap.PROT_READ | mmap.PROT_WRITE)
        if lay.output_section_size:
            self._out = mmap.mmap(self.shm_fd, lay.output_section_size, mmap.MAP_SHARED,
                                  mmap.PROT_READ | mmap.PROT_WRITE,
                                  offset=lay.output_offset(self.id))

    def _need_map(self) -> None:
        if self._ro is None:
            raise RuntimeError("memory not mapped (map_memory=False)")

    def state(self, peer_id: int) -> int:
        """State-table entry of @peer_id."""
        self._need_map()
        if not 0 <= peer_id < self.init.max_peers:
            raise ValueError(f"peer {peer_id} outside the group")
        return struct.unpack_from("<I", self._ro, peer_id * STATE_ENTRY_SIZE)[0]

    def set_state(self, value: int, notify: bool = True) -> None:
        """Write own state entry; with @notify ring vector 0 of every known
        peer if it changed (what the device's State register does)."""
        self._need_map()
        old = self.state(self.id)
        struct.pack_into("<I", self._rw, self.id * STATE_ENTRY_SIZE, value)
        if notify and value != old:
            for pid in sorted(self.peers):
                if self.peers[pid]:
                    self.ring(pid, 0)

    def read(self, offset: int, length: int) -> bytes:
        """Read @length bytes at @offset of the shared memory."""
        self._need_map()
        if offset < 0 or length < 0 or offset + length > self.shm_size:
            raise ValueError("read outside the shared memory")
        return self._ro[offset:offset + length]

    def write_rw(self, offset: int, data: bytes) -> None:
        """Write into the R/W section at @offset (relative to the section)."""
        self._need_map()
        lay = self.layout
        if offset < 0 or offset + len(data) > lay.rw_section_size:
            raise ValueError("write outside the R/W section")
        start = lay.rw_section_offset + offset
        self._rw[start:start + len(data)] = data

    def write_output(self, offset: int, data: bytes) -> None:
        """Write into own output section at @offset (relative to it)."""
        self._need_map()
        if self._out is None or offset < 0 or offset + len(data) > len(self._out):
            raise ValueError("write outside own output section")
        self._out[offset:offset + len(data)] = data

    def read_output(self, peer_id: int, offset: int, length: int) -> bytes:
        """Read @length bytes of @peer_id's output section at @offset."""
        lay = self.layout
        if offset < 0 or offset + length > lay.output_section_size:
            raise ValueError("read outside the output section")
        return self.read(lay.output_offset(peer_id) + offset, length)


# --- command line: two peers ringing each other's doorbells ---------------
SLOT = 64  # bytes of note per peer in the demo


def _note_offset(peer: Peer, peer_id: int) -> Optional[int]:
    """Where @peer_id leaves its note: own output section, else R/W slot."""
    lay = peer.layout
    if lay.output_section_size >= SLOT:
        return lay.output_offset(peer_id)
    if (peer_id + 1) * SLOT <= lay.rw_section_size:
        return lay.rw_section_offset + peer_id * SLOT
    return None


def _write_note(peer: Peer, text: str) -> None:
    off = _note_offset(peer, peer.id)
    if off is None:
        return
    data = text.encode()[:SLOT - 1].ljust(SLOT, b"\0")
    if peer.layout.output_section_size >= SLOT:
        peer.write_output(0, data)
    else:
        peer.write_rw(off - peer.layout.rw_section_offset, data)


def _read_note(peer: Peer, peer_id: int) -> str:
    off = _note_offset(peer, peer_id)
    if off is None:
        return ""
    return peer.read(off, SLOT).split(b"\0", 1)[0].decode(errors="replace")


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description="IVSHMEM v2 test peer: join the group, "
                                 "ring the other peers' doorbells, report the rings received.")
    ap.add_argument("-S", "--socket", default="/tmp/ivshmem_socket", help="server socket")
    ap.add_argument("--rounds", type=int, default=5,
                    help="doorbells to send to and receive from the others (0: forever)")
    ap.add_argument("--interval", type=float, default=0.5, help="seconds between rings")
    ap.add_argument("--vector", type=int, default=0, help="vector to ring")
    ap.add_argument("--timeout", type=float, default=60.0, help="give up after this many seconds")
    opts = ap.parse_args(argv)

    def say(text: str) -> None:
        print(f"peer {peer.id}: {text}", flush=True)

    peer = Peer(opts.socket, timeout=opts.timeout)
    with peer:
        i = peer.init
        say(f"connected to {opts.socket}: ID {peer.id} of {i.max_peers}, {i.vectors} vector(s), "
            f"protocol 0x{i.protocol:04x}, shm {peer.shm_size} bytes, "
            f"output section {i.output_section_size} bytes")
        peer.wait_ready()
        if opts.vector >= i.vectors:
            say(f"error: vector {opts.vector} >= {i.vectors}")
            return 2
        peer.set_state(1, notify=False)
        deadline = time.monotonic() + opts.timeout
        sent = received = 0
        next_ring = time.monotonic()
        announced = set()
        if not peer.peers:
            say("waiting for another peer")
        while opts.rounds == 0 or sent < opts.rounds or received < opts.rounds:
            now = time.monotonic()
            if now > deadline:
                say(f"timeout: sent {sent}, received {received}")
                return 1
            for pid in sorted(set(peer.peers) - announced):
                if len(peer.peers[pid]) == i.vectors:
                    say(f"peer {pid} joined (state {peer.state(pid)})")
                    announced.add(pid)
            for pid in [p for p in announced if p not in peer.peers]:
                say(f"peer {pid} left")
                announced.discard(pid)
            if announced and now >= next_ring and (opts.rounds == 0 or sent < opts.rounds):
                sent += 1
                _write_note(peer, f"ring {sent} from peer {peer.id}")
                for pid in sorted(announced):
                    peer.ring(pid, opts.vector)
                    say(f"-> rang peer {pid} vector {opts.vector} ({sent}/{opts.rounds})")
                next_ring = now + opts.interval
            wait = max(0.0, min(next_ring - time.monotonic(), 0.2))
            ready, _, _ = select.select([peer.sock, peer.vectors[opts.vector]], [], [], wait)
            if peer.sock in ready:
                try:
                    peer.poll()
                except ServerClosed:
                    say("server closed the connection")
                    return 1
            if peer.vectors[opts.vector] in ready:
                count = peer.pending(opts.vector)
                if count:
                    received += count
                    notes = "; ".join(f"'{_read_note(peer, p)}'" for p in sorted(announced))
                    say(f"<- doorbell on vector {opts.vector} x{count} ({received}/{opts.rounds})"
                        + (f", shm says {notes}" if notes else ""))
        say(f"done: sent {sent}, received {received} doorbells")
        return 0


if __name__ == "__main__":
    sys.exit(main())

# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""The Python mirror of include/ivshmem2/{wire,regs,shmem}.h for the tests.

The one place tests take protocol constants, message layouts, the INIT rule
of ivshmem2_msg_init_check() and the layout rule of ivshmem2_layout_compute()
from. Constant names are the C names without the IVSHMEM2_ prefix.
tests/lib/test_ivshmem2_wire.py compiles a C program against the headers and
compares everything here with it, so the mirror cannot drift.

All integers on the wire are little-endian.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Optional

# --- wire.h ---
PROTOCOL_VERSION = 2
MSG_MAX_LEN = 64
MSG_INIT, MSG_EVENT_FD, MSG_PEER_GONE, MSG_INFO = 0, 1, 2, 3
MSG_NAMES = {MSG_INIT: "INIT", MSG_EVENT_FD: "EVENT_FD", MSG_PEER_GONE: "PEER_GONE",
             MSG_INFO: "INFO"}

HEADER = struct.Struct("<II")  # struct ivshmem2_msg_header: type, len
INIT_FIELDS = ("version", "compatible_version", "id", "max_peers", "vectors", "protocol",
               "output_section_size")
INIT_BODY = struct.Struct("<IIIIIIQ")  # INIT_FIELDS, after the header
EVENT_FD_FIELDS = ("id", "vector")
EVENT_FD_BODY = struct.Struct("<II")
PEER_GONE_FIELDS = ("id",)
PEER_GONE_BODY = struct.Struct("<I")
INIT_LEN = HEADER.size + INIT_BODY.size  # 40
EVENT_FD_LEN = HEADER.size + EVENT_FD_BODY.size  # 16
PEER_GONE_LEN = HEADER.size + PEER_GONE_BODY.size  # 12
# Messages of the peer socket; INFO travels on the info socket only.
MSG_LEN = {MSG_INIT: INIT_LEN, MSG_EVENT_FD: EVENT_FD_LEN, MSG_PEER_GONE: PEER_GONE_LEN}

# INFO (info socket, SOCK_SEQPACKET): the fixed part, then the connected
# peers' IDs (u32 each, connection order) in the last 4 * num_peers bytes.
INFO_FIELDS = ("version", "compatible_version", "max_peers", "vectors", "protocol", "backend",
               "shm_size", "output_section_size", "page_size", "num_peers", "numa_node")
INFO_BODY = struct.Struct("<IIIIIIQQQII")
INFO_LEN = HEADER.size + INFO_BODY.size  # 64, without the IDs
INFO_BACKEND_MEMFD, INFO_BACKEND_POSIX, INFO_BACKEND_DIR = 0, 1, 2
INFO_NO_NUMA_NODE = 0xFFFFFFFF

# enum ivshmem2_msg_info_error, in order, with ivshmem2_msg_info_strerror().
INFO_ERRORS = {
    "OK": "valid INFO",
    "NO_HEADER": "shorter than a message header",
    "NOT_INFO": "not an INFO message",
    "LEN_MISMATCH": "header length differs from the received length",
    "TOO_SHORT": "too short for INFO",
    "TOO_LONG": "longer than any INFO may be",
    "NO_COMPAT_VERSION": "compatible_version is 0",
    "SERVER_TOO_OLD": "the server's protocol version is older than ours",
    "SERVER_TOO_NEW": "the server no longer serves our protocol version",
    "BAD_MAX_PEERS": "max_peers out of range",
    "BAD_VECTORS": "vector count out of range",
    "BAD_PROTOCOL": "protocol wider than 16 bits",
    "BAD_PAGE_SIZE": "page size not a power of two",
    "BAD_NUM_PEERS": "peer count above max_peers or peer list cut short",
}

# enum ivshmem2_msg_init_error, in order, with ivshmem2_msg_init_strerror().
INIT_ERRORS = {
    "OK": "valid INIT",
    "NO_HEADER": "shorter than a message header",
    "NOT_INIT": "not an INIT message",
    "LEN_MISMATCH": "header length differs from the received length",
    "TOO_SHORT": "too short for INIT",
    "TOO_LONG": "longer than any message may be",
    "NO_COMPAT_VERSION": "compatible_version is 0",
    "SERVER_TOO_OLD": "the server's protocol version is older than ours",
    "SERVER_TOO_NEW": "the server no longer serves our protocol version",
    "BAD_MAX_PEERS": "max_peers out of range",
    "BAD_ID": "peer ID not below max_peers",
    "BAD_VECTORS": "vector count out of range",
    "BAD_PROTOCOL": "protocol wider than 16 bits",
}

# --- regs.h ---
PCI_VENDOR_ID, PCI_DEVICE_ID, PCI_REVISION, PCI_BASE_CLASS = 0x110A, 0x4106, 0x00, 0xFF
BAR_REGS, BAR_MSIX, BAR_SHMEM = 0, 1, 2
REGS_BAR_SIZE = 0x1000
REG_ID, REG_MAX_PEERS, REG_INT_CONTROL, REG_DOORBELL, REG_STATE = 0x00, 0x04, 0x08, 0x0C, 0x10
INT_CONTROL_ENABLE = 0x1
VECTOR_STATE = 0
CAP_ID = 0x09
CAP_OFF_LEN, CAP_OFF_PRIV_CTRL = 0x02, 0x03
CAP_OFF_STATE_TAB_SZ, CAP_OFF_RW_SECTION_SZ, CAP_OFF_OUTPUT_SECTION_SZ = 0x04, 0x08, 0x10
CAP_OFF_BASE_ADDR = 0x18
CAP_LEN, CAP_LEN_WITH_BASE = 0x18, 0x20
PRIV_CTRL_ONESHOT = 0x01
PROTO_UNDEFINED, PROTO_ETHERNET = 0x0000, 0x0001
PROTO_USER_MIN, PROTO_USER_MAX = 0x4000, 0x7FFF
PROTO_VIRTIO_MIN, PROTO_VIRTIO_BACKEND = 0x8000, 0x4000
PROTO_MAX = 0xFFFF
MIN_PEERS = 2
MAX_VECTORS = 1024  # device side
SERVER_MAX_VECTORS = 64
MAX_PEER_ID = 0xFFFF
VIRTIO_MAX_PEERS = 2

# --- shmem.h ---
STATE_TABLE_SIZE = 4096
STATE_ENTRY_SIZE = 4
STATE_TABLE_MAX_PEERS = STATE_TABLE_SIZE // STATE_ENTRY_SIZE  # 1024
MAX_SHM_SIZE = 1 << 40
STATE_RESET = 0

# enum ivshmem2_layout_error, in order, with ivshmem2_layout_strerror().
LAYOUT_ERRORS = {
    "OK": "ok",
    "TOO_FEW_PEERS": "a group needs at least 2 peers",
    "TOO_MANY_PEERS": "more peers than the 4096-byte state table holds (1024)",
    "UNALIGNED": "memory and output-section sizes must be multiples of the page size",
    "TOO_SMALL": "state table and output sections do not fit in the shared memory",
}

PAGE = 4096  # base page size of the machines the tests run on


# --- messages ---

def header(msg_type: int, length: int) -> bytes:
    return HEADER.pack(msg_type, length)


def msg_init(peer_id=0, max_peers=2, vectors=1, protocol=0, output_size=0,
             version=PROTOCOL_VERSION, compatible=PROTOCOL_VERSION, extra=b"") -> bytes:
    """An INIT message; @extra is appended (and counted in header.len)."""
    body = INIT_BODY.pack(version, compatible, peer_id, max_peers, vectors, protocol,
                          output_size)
    return header(MSG_INIT, INIT_LEN + len(extra)) + body + extra


def msg_event_fd(peer_id: int, vector: int) -> bytes:
    return header(MSG_EVENT_FD, EVENT_FD_LEN) + EVENT_FD_BODY.pack(peer_id, vector)


def msg_peer_gone(peer_id: int) -> bytes:
    return header(MSG_PEER_GONE, PEER_GONE_LEN) + PEER_GONE_BODY.pack(peer_id)


def doorbell(peer: int, vector: int) -> int:
    """IVSHMEM2_DOORBELL(): the DOORBELL register value."""
    return ((peer & 0xFFFF) << 16) | (vector & 0xFFFF)


@dataclass(frozen=True)
class Init:
    """The fields of an INIT message after its header (INIT_FIELDS)."""

    version: int = PROTOCOL_VERSION
    compatible_version: int = PROTOCOL_VERSION
    id: int = 0
    max_peers: int = 2
    vectors: int = 1
    protocol: int = 0
    output_section_size: int = 0

    @classmethod
    def unpack(cls, body: bytes) -> "Init":
        return cls(*INIT_BODY.unpack_from(body))


def init_check(init: Init, length: int = INIT_LEN, max_vectors: int = MAX_VECTORS,
               msg_type: int = MSG_INIT, header_len: Optional[int] = None) -> str:
    """ivshmem2_msg_init_check(): the INIT_ERRORS key for this message.

    @length is the received length, @header_len header.len (default: @length).
    Accepted versions: 0 < compatible_version <= PROTOCOL_VERSION <= version.
    """
    header_len = length if header_len is None else header_len
    if length < HEADER.size:
        return "NO_HEADER"
    if msg_type != MSG_INIT:
        return "NOT_INIT"
    if header_len != length:
        return "LEN_MISMATCH"
    if length < INIT_LEN:
        return "TOO_SHORT"
    if length > MSG_MAX_LEN:
        return "TOO_LONG"
    if init.compatible_version == 0:
        return "NO_COMPAT_VERSION"
    if init.version < PROTOCOL_VERSION:
        return "SERVER_TOO_OLD"
    if init.compatible_version > PROTOCOL_VERSION:
        return "SERVER_TOO_NEW"
    if not MIN_PEERS <= init.max_peers <= STATE_TABLE_MAX_PEERS:
        return "BAD_MAX_PEERS"
    if init.id >= init.max_peers:
        return "BAD_ID"
    if not 1 <= init.vectors <= max_vectors:
        return "BAD_VECTORS"
    if init.protocol > PROTO_MAX:
        return "BAD_PROTOCOL"
    return "OK"


# (version, compatible_version) on both sides of every boundary of the
# version rule, for tests of a receiver.
INIT_VERSION_CASES = [
    (2, 2), (3, 2), (3, 1), (2, 1), (0xFFFFFFFF, 2),   # accepted
    (2, 0), (3, 0), (1, 1), (0, 1), (1, 2),             # no compat version / too old
    (3, 3), (0xFFFFFFFF, 0xFFFFFFFF), (2, 3),           # version 2 dropped
]


# --- INFO (needs STATE_TABLE_MAX_PEERS) ---
MSG_INFO_MAX_LEN = INFO_LEN + 4 * STATE_TABLE_MAX_PEERS  # 4160


@dataclass(frozen=True)
class Info:
    """The fixed fields of an INFO message after its header (INFO_FIELDS)."""

    version: int = PROTOCOL_VERSION
    compatible_version: int = PROTOCOL_VERSION
    max_peers: int = 2
    vectors: int = 1
    protocol: int = 0
    backend: int = INFO_BACKEND_MEMFD
    shm_size: int = 4 << 20
    output_section_size: int = 0
    page_size: int = PAGE
    num_peers: int = 0
    numa_node: int = INFO_NO_NUMA_NODE

    @classmethod
    def unpack(cls, body: bytes) -> "Info":
        return cls(*INFO_BODY.unpack_from(body))


def msg_info(info: Info = Info(), peer_ids=(), extra: bytes = b"") -> bytes:
    """An INFO message: header, @info, @extra (a later version's fields), the IDs."""
    ids = struct.pack(f"<{len(peer_ids)}I", *peer_ids)
    body = INFO_BODY.pack(*(getattr(info, f) for f in INFO_FIELDS)) + extra + ids
    return header(MSG_INFO, HEADER.size + len(body)) + body


def parse_info(msg: bytes):
    """(Info, [peer IDs]) of an INFO message that info_check() accepted."""
    info = Info.unpack(msg[HEADER.size:])
    ids = struct.unpack_from(f"<{info.num_peers}I", msg, len(msg) - 4 * info.num_peers)
    return info, list(ids)


def info_check(info: Info, length: int = INFO_LEN, msg_type: int = MSG_INFO,
               header_len: Optional[int] = None) -> str:
    """ivshmem2_msg_info_check(): the INFO_ERRORS key for this message."""
    header_len = length if header_len is None else header_len
    if length < HEADER.size:
        return "NO_HEADER"
    if msg_type != MSG_INFO:
        return "NOT_INFO"
    if header_len != length:
        return "LEN_MISMATCH"
    if length < INFO_LEN:
        return "TOO_SHORT"
    if length > MSG_INFO_MAX_LEN:
        return "TOO_LONG"
    if info.compatible_version == 0:
        return "NO_COMPAT_VERSION"
    if info.version < PROTOCOL_VERSION:
        return "SERVER_TOO_OLD"
    if info.compatible_version > PROTOCOL_VERSION:
        return "SERVER_TOO_NEW"
    if not MIN_PEERS <= info.max_peers <= STATE_TABLE_MAX_PEERS:
        return "BAD_MAX_PEERS"
    if not 1 <= info.vectors <= SERVER_MAX_VECTORS:
        return "BAD_VECTORS"
    if info.protocol > PROTO_MAX:
        return "BAD_PROTOCOL"
    if info.page_size == 0 or info.page_size & (info.page_size - 1):
        return "BAD_PAGE_SIZE"
    if info.num_peers > info.max_peers or length - INFO_LEN < 4 * info.num_peers:
        return "BAD_NUM_PEERS"
    return "OK"


# --- shared-memory layout ---

class LayoutError(ValueError):
    """ivshmem2_layout_compute() refused; .reason is the LAYOUT_ERRORS key."""

    def __init__(self, reason: str):
        super().__init__(LAYOUT_ERRORS[reason])
        self.reason = reason


@dataclass(frozen=True)
class Layout:
    """struct ivshmem2_layout."""

    shm_size: int
    state_table_size: int
    rw_section_offset: int
    rw_section_size: int
    output_section_offset: int
    output_section_size: int
    max_peers: int

    def output_offset(self, peer_id: int) -> int:
        """ivshmem2_layout_output_offset()."""
        if not 0 <= peer_id < self.max_peers:
            raise ValueError(f"peer {peer_id} outside 0..{self.max_peers - 1}")
        return self.output_section_offset + peer_id * self.output_section_size


def compute_layout(shm_size: int, max_peers: int, output_section_size: int,
                   page_size: int = PAGE) -> Layout:
    """ivshmem2_layout_compute(); raises LayoutError."""
    if max_peers < 2:
        raise LayoutError("TOO_FEW_PEERS")
    if max_peers > STATE_TABLE_MAX_PEERS:
        raise LayoutError("TOO_MANY_PEERS")
    if page_size <= 0 or page_size & (page_size - 1) or shm_size % page_size \
            or output_section_size % page_size:
        raise LayoutError("UNALIGNED")
    if shm_size < STATE_TABLE_SIZE or \
            output_section_size > (shm_size - STATE_TABLE_SIZE) // max_peers:
        raise LayoutError("TOO_SMALL")
    outputs = output_section_size * max_peers
    return Layout(shm_size=shm_size, state_table_size=STATE_TABLE_SIZE,
                  rw_section_offset=STATE_TABLE_SIZE,
                  rw_section_size=shm_size - STATE_TABLE_SIZE - outputs,
                  output_section_offset=shm_size - outputs,
                  output_section_size=output_section_size, max_peers=max_peers)

#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Write the seed corpora of fuzz/corpus/<target>/ from the scenarios below.

Each seed is named after its scenario; the input formats are those the
harnesses decode (fuzz/README.md). Regression inputs (found crashes) live
beside the seeds as regress-* files and are not touched here.

    fuzz/make_seeds.py            (re)write every seed-* file
    fuzz/make_seeds.py --out DIR  write them under DIR/<target>/ instead
"""

import argparse
import struct
import sys
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "corpus"


def u8(*v):
    return bytes(x & 0xFF for x in v)


def u16(v):
    return struct.pack("<H", v & 0xFFFF)


def u32(v):
    return struct.pack("<I", v & 0xFFFFFFFF)


def u64(v):
    return struct.pack("<Q", v & 0xFFFFFFFFFFFFFFFF)


# ---- fuzz_ring: prefix, then section writes --------------------------------


def ring_prefix(variant=0, me=0, remote=1, head=0, lsize=143360, lpeers=2,
                shm=1 << 20, out=64 << 10, page_shift=12):
    return (u8(variant, me, remote) + u32(head) + u64(lsize) + u32(lpeers) + u64(shm)
            + u64(out) + u8(page_shift))


def ring_header(owner_is_remote=True):
    return u8(6, 1 if owner_is_remote else 0)


def ring_frames(q, lens):
    return u8(7, q, len(lens)) + b"".join(u16(n) for n in lens)


def desc_words(descs):
    """(len, flags[, pool reference]) -> descriptor word and pool reference word each;
    the default reference lies outside any pool area."""
    return b"".join(u32(d[0] | d[1] << 16) + u32(d[2] if len(d) > 2 else 0xFFFFFFFF)
                    for d in descs)


def ring_descs(q, start, descs):
    return u8(4, q) + u16(start) + u8(len(descs)) + desc_words(descs)


def ring_tail(q, tail):
    return u8(2, q) + u32(tail)


RING = {
    "valid-frames": ring_prefix() + ring_header() + ring_frames(0, [60, 1514, 2048, 9000]),
    "own-header": ring_prefix() + ring_header(False) + ring_frames(0, [64]),
    "bad-descs": ring_prefix() + ring_header() + ring_descs(0, 0, [
        (0, 0), (3000, 0), (100, 2), (2048, 1), (2048, 1), (2048, 1), (2048, 1), (2048, 1),
        (2048, 1)]) + ring_tail(0, 9),
    "oversized-chain": ring_prefix() + ring_descs(0, 0, [(2048, 1)] * 4 + [(1100, 0)])
    + ring_tail(0, 5),
    "incomplete-chain": ring_prefix() + ring_descs(0, 0, [(2048, 1), (2048, 1)])
    + ring_tail(0, 2),
    "wrapping-index": ring_prefix(head=0xFFFFFFF0) + ring_tail(0, 0xFFFFFFF0)
    + ring_frames(0, [100] * 15 + [9000]),
    "tail-too-far": ring_prefix(head=5) + ring_tail(0, 5 + 65),
    "tail-behind-head": ring_prefix(head=100) + ring_tail(0, 90),
    "three-peers": ring_prefix(variant=1, me=2, remote=0) + ring_header()
    + ring_frames(0, [700, 3000]),
    "two-queues": ring_prefix(variant=3, me=1, remote=0) + ring_header()
    + ring_frames(0, [60] * 8) + ring_frames(1, [9000, 9000]),
    "channel-header": ring_prefix() + ring_header() + u8(1, 20) + u32(7) + u32(9) + u32(1)
    + u32(1) + u32(1500),
    "channel-bad-queues": ring_prefix() + u8(1, 16) + u32(7) + u32(0) + u32(9) + u32(0),
    "layout-extremes": ring_prefix(lsize=(1 << 64) - 1, lpeers=1024, shm=(1 << 64) - 4096,
                                   out=(1 << 63), page_shift=63),
    "layout-min": ring_prefix(lsize=4096 + 135616, lpeers=2, shm=8192, out=4096),
    "raw-section": ring_prefix() + u8(5) + u32(4096 + 192) + u8(8) + bytes(range(8)),
}


# ---- fuzz_rx: prefix, then steps -------------------------------------------


RX_QUEUES = [1, 1, 1, 2, 4]    # rings per channel of each layout variant


def rx_prefix(zc=False, small=False, variant=0, me=0, remote=1, nb_src=1, base=0, starts=None):
    """starts: where each ring of the peer starts (delta to its tail), all rings."""
    flags = (1 if zc else 0) | (2 if small else 0) | variant << 2
    starts = starts if starts is not None else [0] * RX_QUEUES[variant]
    return u8(flags, me, remote, nb_src) + u32(base) + u8(*starts)


def rx_produce(k, lens, hostile=False, salt=0x11):
    return u8(3, k, len(lens) | (0x80 if hostile else 0), salt) + b"".join(u16(n) for n in lens)


def rx_burst(n):
    return u8(4, 0, n)


def rx_free(sel):
    return u8(5, 0, sel)


RX_FREE_ALL = u8(6, 0)


def rx_descs(k, start, descs):
    return u8(2, k) + u16(start) + u8(len(descs)) + desc_words(descs)


def rx_tail_delta(k, d):
    return u8(1, k, d)


def rx_link(nb_src, starts=None, k=0):
    """Link down and up; with starts (one per ring), after a new peer session."""
    return u8(7, k, 0 if starts is None else 1, nb_src) + u8(*(starts or []))


RX = {
    "copy": rx_prefix() + rx_produce(0, [60, 1514, 2048, 9000]) + rx_burst(32),
    "copy-small-mbufs": rx_prefix(small=True) + rx_produce(0, [600, 1514, 4000, 9000])
    + rx_burst(2) + rx_burst(32),
    "zc": rx_prefix(zc=True) + rx_produce(0, [60, 1514, 9000, 100]) + rx_burst(2)
    + rx_free(1) + rx_burst(32) + rx_free(0) + rx_burst(1) + RX_FREE_ALL + rx_burst(1),
    "zc-full-ring": rx_prefix(zc=True) + rx_produce(0, [9000] * 7) + rx_burst(64)
    + rx_produce(0, [9000] * 7) + rx_produce(0, [2000] * 7) + rx_burst(64)
    + rx_produce(0, [100] * 7, hostile=True) + rx_burst(64) + rx_free(3) + rx_burst(64)
    + RX_FREE_ALL + rx_burst(64),
    "zc-hostile-tail": rx_prefix(zc=True) + rx_produce(0, [100] * 7) + rx_burst(64)
    + rx_tail_delta(0, 64) + rx_burst(64) + rx_tail_delta(0, 1) + rx_burst(64),
    "bad-descs": rx_prefix() + rx_descs(0, 0, [(0, 0), (3000, 0), (100, 2), (2048, 1),
                                              (10, 0), (2048, 1), (100, 2, 4096)])
    + rx_tail_delta(0, 7)
    + rx_burst(64),
    "zc-bad-descs": rx_prefix(zc=True) + rx_descs(0, 0, [(0, 0), (60, 0), (2048, 1)])
    + rx_tail_delta(0, 3) + rx_burst(64) + rx_burst(64),
    "broken-tail": rx_prefix(base=100) + u8(0, 0) + u32(100 + 1000) + rx_burst(8)
    + u8(0, 0) + u32(99) + rx_burst(8),
    "wrapping": rx_prefix(base=0xFFFFFFF8) + rx_produce(0, [60] * 7 + [9000]) + rx_burst(64)
    + rx_produce(0, [9000, 60]) + rx_burst(64),
    "start-outside": rx_prefix(base=1000, starts=[0x80]) + rx_produce(0, [60]) + rx_burst(8),
    "link-same-pairing": rx_prefix() + rx_produce(0, [60, 60]) + rx_burst(1)
    + rx_link(1) + rx_burst(8),
    "link-new-pairing": rx_prefix(zc=True) + rx_produce(0, [60, 60]) + rx_burst(1)
    + rx_link(1, [0xFE]) + rx_produce(0, [70]) + rx_burst(8),
    # ring 1 is polled again later in a pairing that began without it: it
    # starts where that pairing began, not where an older pairing left it
    "source-added-in-pairing": rx_prefix(variant=3, nb_src=2) + rx_produce(1, [60] * 2)
    + rx_burst(8) + rx_produce(1, [60]) + rx_link(1, [0, 0]) + rx_burst(8) + rx_link(2)
    + rx_burst(8),
    "two-sources": rx_prefix(variant=3, nb_src=2) + rx_produce(0, [60] * 5)
    + rx_produce(1, [1514] * 5) + rx_burst(3) + rx_burst(3) + rx_burst(64),
    "four-sources-zc": rx_prefix(zc=True, variant=4, nb_src=4) + rx_produce(0, [60] * 3)
    + rx_produce(2, [9000]) + rx_produce(3, [100] * 2) + rx_burst(2) + rx_burst(64)
    + rx_free(2) + rx_burst(64),
    "out-of-mbufs": rx_prefix(small=True) + rx_produce(0, [9000] * 7) + u8(9, 0, 255)
    + rx_burst(64) + u8(10, 0) + rx_burst(64),
    "zc-out-of-mbufs": rx_prefix(zc=True) + rx_produce(0, [9000] * 7) + u8(9, 0, 255)
    + rx_burst(64) + u8(10, 0) + rx_burst(64),
    "wake": rx_prefix() + u8(11, 0, 1) + rx_produce(0, [60]) + u8(11, 0, 1) + rx_burst(8)
    + u8(11, 0, 0),
    "no-sources": rx_prefix(nb_src=0) + rx_produce(0, [60]) + rx_burst(8) + u8(11, 0, 1)
    + rx_link(1, [0]) + rx_burst(8),
    "raw-ctrl": rx_prefix() + u8(8, 0) + u16(0) + u8(4) + u32(3) + rx_burst(8),
}


# ---- fuzz_vdev and device_fuzz.py: server scripts --------------------------
# Records: see fuzz_script.h. mem index: 0 64K, 1 256K, 2 1M, 3 4M, 4 0 bytes,
# 5 64K+100, 6 2M, 7 8K. INIT flags: 1 old version, 2 new only, 4 other
# protocol, 8 no fd, 16 eventfd as memory, 32 longer, 64 bad len, 128 no compat.


def s_raw(data, fds=()):
    spec = len(fds)
    for i, t in enumerate(fds):
        spec |= t << (2 + 2 * i)
    return u8(0, spec, len(data)) + data


def s_init(id_=0, peers=2, vectors=1, mem=2, out=0, flags=0):
    return u8(1, id_, peers, vectors, mem, out, flags)


def s_event_fd(id_, vector, fd_type=0):
    return u8(2, id_, vector, fd_type)


def s_peer_gone(id_):
    return u8(3, id_)


def s_setup(id_=0, peers=2, vectors=1, mem=2, others=0):
    return u8(4, id_, peers, vectors, mem, others)


S_NEXT = u8(5)
S_HOLD = u8(7)


def s_pause(ms):
    return u8(6, ms)


HDR = struct.Struct("<II")

VDEV = {
    "setup": s_setup(0, 2, 2, 2, 0b10),
    "setup-then-news": s_setup(1, 2, 2, 2, 0b01) + s_peer_gone(0) + s_event_fd(0, 0)
    + s_event_fd(0, 1) + s_peer_gone(0),
    "reconnect-new-id": s_setup(0, 2, 1, 2, 0b10) + S_NEXT + s_setup(1, 2, 1, 2, 0b01),
    "reconnect-other-geometry": s_setup(0, 2, 1, 2) + S_NEXT + s_setup(0, 2, 1, 3),
    "reconnect-bad": s_setup(0, 2, 1, 2) + S_NEXT + s_init(0, 2, 1, 2, 0, 8) + S_NEXT
    + s_setup(0, 2, 1, 2),
    "four-peers": s_setup(2, 4, 3, 3, 0b1011),
    "many-vectors": s_setup(0, 2, 64, 2, 0),
    "init-flags": b"".join(s_init(0, 2, 1, 2, 0, 1 << i) + S_NEXT for i in range(8)),
    "init-sizes": b"".join(s_init(0, 2, 1, m, o) + S_NEXT for m, o in
                           [(4, 0), (5, 0), (7, 0), (2, 1), (2, 5), (2, 6), (2, 7), (0, 0)]),
    "init-ids": s_init(2, 2) + S_NEXT + s_init(0, 1) + S_NEXT + s_init(0, 2, 0) + S_NEXT
    + s_init(0, 2, 65),
    "event-fd-types": s_init() + s_event_fd(1, 0, 2) + s_event_fd(1, 0, 1)
    + s_event_fd(1, 0, 3) + s_event_fd(0, 0),
    "event-fd-order": s_init(0, 2, 2) + s_event_fd(0, 1) + s_event_fd(0, 0) + s_event_fd(0, 0)
    + s_event_fd(0, 1) + s_event_fd(0, 1) + s_event_fd(5, 0),
    "peer-gone-self": s_setup() + s_peer_gone(0) + s_peer_gone(7),
    "two-fds": s_setup() + s_raw(HDR.pack(1, 16) + u32(1) + u32(0), [0, 0]),
    "short-and-long": s_setup() + s_raw(HDR.pack(2, 4)) + S_NEXT + s_setup()
    + s_raw(HDR.pack(1, 1000) + bytes(8)),
    "partial-message": s_setup() + s_raw(HDR.pack(1, 16)[:5]),
    "split-message": s_init() + s_raw(HDR.pack(1, 16), [0])
    + s_raw(u32(0) + u32(0)),
    "unknown-type": s_setup() + s_raw(HDR.pack(9, 12) + u32(0), [1]),
}

# The device (QEMU): HOLD keeps the connection, so messages after realize
# reach the running device; without it the device sees the server go away.
DEVICE = {
    "setup-hold": s_setup(0, 2, 2, 0, 0b10) + S_HOLD,
    "setup-closed": s_setup(1, 2, 1, 0, 0b01),
    "runtime-news": s_setup(1, 4, 2, 0, 0b001) + s_pause(50) + s_event_fd(2, 0)
    + s_event_fd(2, 1) + s_peer_gone(2) + s_peer_gone(0) + s_event_fd(0, 0) + S_HOLD,
    "runtime-bad": s_setup(1, 4, 2, 0, 0b001) + s_pause(50) + s_peer_gone(1)
    + s_peer_gone(3) + s_event_fd(3, 1) + s_event_fd(2, 0, 2) + s_init()
    + s_raw(HDR.pack(7, 12) + u32(0)) + s_raw(HDR.pack(1, 16) + u32(2) + u32(0), [0, 0])
    + S_HOLD,
    "runtime-framing": s_setup(0, 2, 1, 0, 0b10) + s_pause(20) + s_raw(HDR.pack(1, 1000))
    + S_HOLD,
    "setup-bad-init": s_init(0, 2, 1, 0, 0, 16),
    "setup-no-memory": s_init(0, 2, 1, 0, 0, 8),
    "setup-order": s_init(0, 2, 2, 0) + s_event_fd(0, 1),
    "setup-partial": s_init(0, 2, 1, 0) + s_raw(HDR.pack(1, 16)[:6]),
    "setup-many-vectors": s_setup(0, 2, 64, 0, 0b10) + S_HOLD,
    "setup-big-group": s_setup(5, 200, 1, 0, 0b11) + S_HOLD,
}


def write(root, target, seeds):
    d = root / target
    d.mkdir(parents=True, exist_ok=True)
    for old in d.glob("seed-*"):
        old.unlink()
    for name, data in seeds.items():
        (d / f"seed-{name}").write_bytes(data)


def main():
    ap = argparse.ArgumentParser(description="Write the seed corpora of fuzz/corpus/.")
    ap.add_argument("--out", type=Path, default=CORPUS, help="instead of fuzz/corpus")
    root = ap.parse_args().out
    server = {
        # prefix: peers (2 + n % 4), vectors ([1, 2, 3, 8, 64]), queue limit
        # ([default, 1, 2, 4, 16]), protocol ([0, 0x4932, 0x8001]); then (op, arg)
        "joins-and-leaves": u8(1, 1, 0, 1) + u8(1, 0, 1, 0, 1, 0, 2, 0, 2, 1, 5, 1, 1, 0,
                                                2, 0, 2, 2, 8, 0),
        "group-full": u8(0, 0, 0, 0) + u8(1, 0, 1, 0, 1, 0, 2, 0, 5, 0, 1, 0, 8, 0),
        "junk-and-shutdown": u8(2, 2, 0, 2) + u8(1, 0, 1, 0, 1, 0, 3, 1, 7, 1, 4, 2, 7, 2,
                                                  3, 0x80, 7, 0, 1, 0, 2, 3),
        "bursts": u8(3, 1, 0, 0) + u8(6, 0x0F, 2, 0, 2, 1, 6, 0x05, 1, 0, 6, 0xFF, 7, 0,
                                       8, 0),
        "falling-behind": u8(2, 4, 1, 0) + u8(0, 0, 1, 0, 1, 0, 1, 0, 7, 0, 2, 0, 5, 1,
                                               1, 0, 2, 2, 8, 0),
        "slow-readers": u8(3, 3, 3, 1) + u8(0, 0, 0, 0, 1, 0, 5, 0, 1, 0, 5, 2, 1, 0, 2, 1,
                                             2, 3, 8, 0),
        "virtio-roles": u8(0, 0, 0, 2) + u8(1, 0, 1, 0, 5, 0, 1, 0, 8, 0),
    }
    write(root, "ring", RING)
    write(root, "rx", RX)
    write(root, "vdev", VDEV)
    write(root, "server", server)
    write(root, "device", DEVICE)
    return 0


if __name__ == "__main__":
    sys.exit(main())

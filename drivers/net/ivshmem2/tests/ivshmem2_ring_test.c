/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/*
 * Unit tests of the ring module: layout computation, index arithmetic,
 * section init/validation and hostile descriptors. Pure C, no DPDK.
 * Prints one line per failed check and exits non-zero on any failure.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ivshmem2_ring.h"

static int failures;
static int checks;

#define CHECK(cond) do { \
	checks++; \
	if (!(cond)) { \
		failures++; \
		fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
	} \
} while (0)

static void
test_layout_sizes(void)
{
	static const uint64_t sizes[] = {
		64 << 10, 256 << 10, 1 << 20, 2 << 20, 4 << 20, 16 << 20, 32 << 20, 256 << 20,
	};
	static const uint32_t peers[] = { 2, 3, 4, 8, 1024 };
	struct ivshmem2_net_layout l;
	unsigned int i, j;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (j = 0; j < sizeof(peers) / sizeof(peers[0]); j++) {
			enum ivshmem2_net_layout_error e =
				ivshmem2_net_layout_compute(&l, sizes[i], peers[j]);
			uint64_t end;

			if (e != IVSHMEM2_NET_LAYOUT_OK) {
				CHECK(e == IVSHMEM2_NET_LAYOUT_TOO_SMALL);
				continue;
			}
			CHECK((l.ring_size & (l.ring_size - 1)) == 0);
			CHECK(l.ring_size >= IVSHMEM2_NET_MIN_RING);
			CHECK(l.ring_size <= IVSHMEM2_NET_MAX_RING);
			CHECK(l.queues >= 1 && l.queues <= IVSHMEM2_NET_MAX_QUEUES);
			CHECK(l.header_size % 4096 == 0);
			CHECK(l.slot_offset % IVSHMEM2_NET_CACHE_LINE == 0);
			CHECK(l.queue_stride % IVSHMEM2_NET_CACHE_LINE == 0);
			CHECK(l.pool_ref_offset % IVSHMEM2_NET_CACHE_LINE == 0);
			CHECK(l.pool_ref_offset >= l.desc_offset + 4ull * l.ring_size);
			CHECK(l.slot_offset >= l.pool_ref_offset + 4ull * l.ring_size);
			/* The last queue area of the last channel ends inside the section. */
			end = ivshmem2_net_queue_offset(&l, peers[j] - 1, peers[j] - 2,
							l.queues - 1) + l.queue_stride;
			CHECK(end <= sizes[i]);
			/* The pool area: after every queue area, aligned, up to the section end. */
			CHECK(l.pool_offset >= end && l.pool_offset % 4096 == 0);
			CHECK(l.pool_offset <= sizes[i] && l.pool_offset + l.pool_size <= sizes[i]);
			CHECK(l.pool_size == (sizes[i] - l.pool_offset > UINT32_MAX ? UINT32_MAX :
					      sizes[i] - l.pool_offset));
			/* Channel headers fit in the header area. */
			CHECK(ivshmem2_net_channel_offset(peers[j] - 1) + 64 <= l.header_size);
		}
	}
	/* Fixed points the design note quotes. */
	CHECK(ivshmem2_net_layout_compute(&l, 4 << 20, 2) == IVSHMEM2_NET_LAYOUT_OK);
	CHECK(l.queues == 1 && l.ring_size == 1024);
	CHECK(ivshmem2_net_layout_compute(&l, 16 << 20, 2) == IVSHMEM2_NET_LAYOUT_OK);
	CHECK(l.queues == 4 && l.ring_size == 1024);
	/* -o 16M -n 2: 4 queue areas of 1024 entries, then about 7.7 MiB of pool. */
	CHECK(l.pool_offset == 4096 + ivshmem2_net_align(4 * l.queue_stride, 4096));
	CHECK(l.pool_size == (16u << 20) - l.pool_offset && l.pool_size > (7u << 20));
	/* Queue areas up to the section end: no pool area. */
	CHECK(ivshmem2_net_layout_compute(&l, 4096 + ivshmem2_net_queue_area(64), 2) ==
	      IVSHMEM2_NET_LAYOUT_OK);
	CHECK(l.ring_size == 64 && l.pool_size == 0 && l.pool_offset == l.section_size);
	/* Offsets are 32-bit: an 8 GiB section's pool area stops at 4 GiB - 1. */
	CHECK(ivshmem2_net_layout_compute(&l, 8ull << 30, 2) == IVSHMEM2_NET_LAYOUT_OK);
	CHECK(l.pool_size == UINT32_MAX);
	CHECK(ivshmem2_net_layout_compute(&l, 32 << 20, 2) == IVSHMEM2_NET_LAYOUT_OK);
	CHECK(l.queues == 8 && l.ring_size == 1024);
	CHECK(ivshmem2_net_layout_compute(&l, 1 << 20, 2) == IVSHMEM2_NET_LAYOUT_OK);
	CHECK(l.queues == 1 && l.ring_size == 256);
	/* Refusals. */
	CHECK(ivshmem2_net_layout_compute(&l, 1 << 20, 1) == IVSHMEM2_NET_LAYOUT_BAD_PEERS);
	CHECK(ivshmem2_net_layout_compute(&l, 1 << 20, 1025) == IVSHMEM2_NET_LAYOUT_BAD_PEERS);
	CHECK(ivshmem2_net_layout_compute(&l, 4096, 2) == IVSHMEM2_NET_LAYOUT_TOO_SMALL);
	CHECK(ivshmem2_net_layout_compute(&l, 64 << 10, 2) == IVSHMEM2_NET_LAYOUT_TOO_SMALL);
	CHECK(ivshmem2_net_layout_compute(&l, 0, 2) == IVSHMEM2_NET_LAYOUT_TOO_SMALL);
	CHECK(ivshmem2_net_layout_compute(&l, UINT64_MAX, 2) == IVSHMEM2_NET_LAYOUT_OK);
	CHECK(l.ring_size == IVSHMEM2_NET_MAX_RING && l.queues == IVSHMEM2_NET_MAX_QUEUES);
}

static void
test_channel_index(void)
{
	/* Every remote of every owner gets a distinct channel below max_peers - 1. */
	uint32_t owner, remote, seen;

	for (owner = 0; owner < 5; owner++) {
		seen = 0;
		for (remote = 0; remote < 5; remote++) {
			uint32_t c;

			if (remote == owner)
				continue;
			c = ivshmem2_net_channel_index(owner, remote);
			CHECK(c < 4);
			CHECK(!(seen & (1u << c)));
			seen |= 1u << c;
		}
		CHECK(seen == 0xf);
	}
}

static void
test_index_arithmetic(void)
{
	CHECK(ivshmem2_ring_avail(10, 10, 256) == 0);
	CHECK(ivshmem2_ring_avail(266, 10, 256) == 256);
	CHECK(ivshmem2_ring_avail(267, 10, 256) == UINT32_MAX);
	CHECK(ivshmem2_ring_avail(5, 10, 256) == UINT32_MAX);	/* head past tail */
	CHECK(ivshmem2_ring_avail(3, UINT32_MAX - 2, 256) == 6);	/* wrap */
	CHECK(ivshmem2_ring_free(10, 10, 256) == 256);
	CHECK(ivshmem2_ring_free(266, 10, 256) == 0);
	CHECK(ivshmem2_ring_free(100, 90, 256) == 246);
	CHECK(ivshmem2_ring_free(2, UINT32_MAX, 256) == 253);		/* wrap */
	CHECK(ivshmem2_ring_free(10, 11, 256) == 0);			/* head ahead: full */
	CHECK(ivshmem2_ring_free(10, 12345, 256) == 0);			/* stale head: full */
}

static struct ivshmem2_net_desc descs[64];
static uint32_t refs[64];

/* Pool area size the consumer computed, for the scans below. */
#define TEST_POOL	(1u << 20)

static void
set_desc(uint32_t i, uint16_t len, uint16_t flags)
{
	descs[i & 63].len = len;
	descs[i & 63].flags = flags;
}

/* An entry whose bytes are at @offset of a pool area: @where is POOL or RETURN. */
static void
set_ref_desc(uint16_t where, uint32_t i, uint16_t len, uint16_t flags, uint32_t offset)
{
	set_desc(i, len, flags | where);
	refs[i & 63] = offset;
}

#define set_pool_desc(...)	set_ref_desc(IVSHMEM2_NET_DESC_POOL, __VA_ARGS__)
#define set_return_desc(...)	set_ref_desc(IVSHMEM2_NET_DESC_RETURN, __VA_ARGS__)

/* POOL descriptors: offset and len inside the pool area, checked without overflow. */
static void
test_frame_scan_pool(void)
{
	struct ivshmem2_ring_frame f;
	uint32_t i;

	memset(descs, 0, sizeof(descs));
	set_pool_desc(0, 60, 0, 4096);
	CHECK(ivshmem2_ring_frame_scan(descs, refs, 63, 0, 1, TEST_POOL, &f) && f.len == 60 &&
	      f.seg_off[0] == 4096 && f.seg_len[0] == 60);
	/* A pool segment may exceed a slot, up to a maximal frame. */
	set_pool_desc(0, 9000, 0, 0);
	CHECK(ivshmem2_ring_frame_scan(descs, refs, 63, 0, 1, TEST_POOL, &f) && f.len == 9000);
	set_pool_desc(0, IVSHMEM2_NET_MAX_FRAME + 1, 0, 0);
	CHECK(!ivshmem2_ring_frame_scan(descs, refs, 63, 0, 8, TEST_POOL, &f) && f.nb_slots == 1);
	/* Exactly at the end of the pool area, and one byte past it. */
	set_pool_desc(0, 100, 0, TEST_POOL - 100);
	CHECK(ivshmem2_ring_frame_scan(descs, refs, 63, 0, 1, TEST_POOL, &f) &&
	      f.seg_off[0] == TEST_POOL - 100);
	set_pool_desc(0, 101, 0, TEST_POOL - 100);
	CHECK(!ivshmem2_ring_frame_scan(descs, refs, 63, 0, 8, TEST_POOL, &f) && f.nb_slots == 1);
	set_pool_desc(0, 1, 0, TEST_POOL);
	CHECK(!ivshmem2_ring_frame_scan(descs, refs, 63, 0, 8, TEST_POOL, &f));
	set_pool_desc(0, 60, 0, TEST_POOL + 1);
	CHECK(!ivshmem2_ring_frame_scan(descs, refs, 63, 0, 8, TEST_POOL, &f));
	/* offset + len wraps 32 bits. */
	set_pool_desc(0, 0xffff, 0, 0xffffffffu);
	CHECK(!ivshmem2_ring_frame_scan(descs, refs, 63, 0, 8, TEST_POOL, &f));
	CHECK(!ivshmem2_ring_frame_scan(descs, refs, 63, 0, 8, UINT32_MAX, &f));
	set_pool_desc(0, 60, 0, 0xfffffff0u);
	CHECK(!ivshmem2_ring_frame_scan(descs, refs, 63, 0, 8, TEST_POOL, &f));
	/* No pool area at all: every POOL descriptor is bad. */
	set_pool_desc(0, 60, 0, 0);
	CHECK(!ivshmem2_ring_frame_scan(descs, refs, 63, 0, 8, 0, &f) && f.nb_slots == 1);
	CHECK(ivshmem2_ring_frame_scan(descs, refs, 63, 0, 8, 64, &f));
	/* POOL with RETURN, with an unknown bit, and a zero length. */
	set_pool_desc(0, 60, IVSHMEM2_NET_DESC_RETURN, 0);
	CHECK(!ivshmem2_ring_frame_scan(descs, refs, 63, 0, 8, TEST_POOL, &f));
	set_pool_desc(0, 60, 0x0008, 0);
	CHECK(!ivshmem2_ring_frame_scan(descs, refs, 63, 0, 8, TEST_POOL, &f));
	set_pool_desc(0, 0, 0, 0);
	CHECK(!ivshmem2_ring_frame_scan(descs, refs, 63, 0, 8, TEST_POOL, &f));
	/* A mixed chain: slot, pool, slot; a slot entry's pool reference is ignored. */
	set_desc(10, 2048, IVSHMEM2_NET_DESC_MORE);
	refs[10] = 0xdeadbeef;
	set_pool_desc(11, 5000, IVSHMEM2_NET_DESC_MORE, 8192);
	set_desc(12, 100, 0);
	CHECK(ivshmem2_ring_frame_scan(descs, refs, 63, 10, 3, TEST_POOL, &f) && f.nb_slots == 3 &&
	      f.len == 7148 && f.seg_off[0] == IVSHMEM2_RING_SEG_SLOT && f.seg_off[1] == 8192 &&
	      f.seg_off[2] == IVSHMEM2_RING_SEG_SLOT);
	/* Its pool segment out of range: the chain up to it is skipped. */
	refs[11] = TEST_POOL - 4999;
	CHECK(!ivshmem2_ring_frame_scan(descs, refs, 63, 10, 3, TEST_POOL, &f) && f.nb_slots == 2);
	/* Pool segments summing above a maximal frame. */
	for (i = 20; i < 22; i++)
		set_pool_desc(i, 4000, IVSHMEM2_NET_DESC_MORE, 0);
	set_pool_desc(22, 2000, 0, 0);
	CHECK(!ivshmem2_ring_frame_scan(descs, refs, 63, 20, 3, TEST_POOL, &f) && f.nb_slots == 3);
	/* Written and read back: a POOL entry's reference, a slot entry's none. */
	refs[30] = refs[31] = 7;
	ivshmem2_ring_desc_write(descs, refs, 30, 1234, IVSHMEM2_NET_DESC_POOL, 0x12345678u);
	ivshmem2_ring_desc_write(descs, refs, 31, 60, 0, 0x12345678u);
	CHECK(descs[30].len == 1234 && descs[30].flags == IVSHMEM2_NET_DESC_POOL &&
	      refs[30] == 0x12345678u && descs[31].len == 60 && descs[31].flags == 0 &&
	      refs[31] == 7);
	/* A slot descriptor's length is a slot's; with POOL it may be more. */
	set_desc(40, IVSHMEM2_NET_SLOT_SIZE + 1, 0);
	CHECK(!ivshmem2_ring_frame_scan(descs, refs, 63, 40, 1, TEST_POOL, &f));
}

/* RETURN descriptors: the consumer's own pool area, the same bounds as POOL. */
static void
test_frame_scan_return(void)
{
	static uint8_t peer_pool[TEST_POOL], own_pool[TEST_POOL];
	struct ivshmem2_ring_rx r = {
		.desc = descs, .pool_ref = refs, .mask = 63, .pool = peer_pool,
		.own_pool = own_pool, .pool_size = TEST_POOL,
	};
	struct ivshmem2_ring_frame f;
	uint32_t len;

	memset(descs, 0, sizeof(descs));
	set_return_desc(0, 1500, 0, 4096);
	CHECK(ivshmem2_ring_frame_scan(descs, refs, 63, 0, 1, TEST_POOL, &f) && f.len == 1500 &&
	      f.seg_off[0] == 4096 && f.own_segs == 1);
	CHECK(ivshmem2_ring_seg_src(&r, &f, 0, 0) == own_pool + 4096);
	CHECK(ivshmem2_ring_entry_hint(&r, 0, &len) == own_pool + 4096 && len == 1500);
	set_return_desc(0, 100, 0, TEST_POOL - 100);
	CHECK(ivshmem2_ring_frame_scan(descs, refs, 63, 0, 1, TEST_POOL, &f));
	set_return_desc(0, 101, 0, TEST_POOL - 100);
	CHECK(!ivshmem2_ring_frame_scan(descs, refs, 63, 0, 8, TEST_POOL, &f) && f.nb_slots == 1);
	set_return_desc(0, 0xffff, 0, 0xffffffffu);
	CHECK(!ivshmem2_ring_frame_scan(descs, refs, 63, 0, 8, TEST_POOL, &f));
	set_return_desc(0, 60, 0, 0);
	CHECK(!ivshmem2_ring_frame_scan(descs, refs, 63, 0, 8, 0, &f));
	/* A chain of a slot, a RETURN and a POOL segment: only the middle one is ours. */
	set_desc(10, 2048, IVSHMEM2_NET_DESC_MORE);
	set_return_desc(11, 3000, IVSHMEM2_NET_DESC_MORE, 8192);
	set_pool_desc(12, 1000, 0, 64);
	CHECK(ivshmem2_ring_frame_scan(descs, refs, 63, 10, 3, TEST_POOL, &f) && f.len == 6048 &&
	      f.own_segs == 2);
	CHECK(ivshmem2_ring_seg_src(&r, &f, 10, 1) == own_pool + 8192 &&
	      ivshmem2_ring_seg_src(&r, &f, 10, 2) == peer_pool + 64);
	/* A scan starts with no RETURN segment left from the previous frame. */
	set_desc(20, 60, 0);
	CHECK(ivshmem2_ring_frame_scan(descs, refs, 63, 20, 1, TEST_POOL, &f) && f.own_segs == 0);
	/* The producer writes the reference for RETURN as for POOL. */
	refs[30] = 7;
	ivshmem2_ring_desc_write(descs, refs, 30, 1500, IVSHMEM2_NET_DESC_RETURN, 0x1234u);
	CHECK(descs[30].flags == IVSHMEM2_NET_DESC_RETURN && refs[30] == 0x1234u);
}

/* The prefetch hint: a pool segment's place if its offset is inside the area, else the slot. */
static void
test_entry_hint(void)
{
	static uint8_t slots[4 * IVSHMEM2_NET_SLOT_STRIDE];
	static uint8_t pool[TEST_POOL];
	struct ivshmem2_ring_rx r = {
		.desc = descs, .pool_ref = refs, .slots = slots, .mask = 3, .pool = pool,
		.pool_size = TEST_POOL,
	};
	uint32_t len;

	memset(descs, 0, sizeof(descs));
	set_desc(1, 700, 0);
	CHECK(ivshmem2_ring_entry_hint(&r, 5, &len) == slots + IVSHMEM2_NET_SLOT_STRIDE &&
	      len == 700);
	set_pool_desc(2, 1500, 0, 4096);
	CHECK(ivshmem2_ring_entry_hint(&r, 2, &len) == pool + 4096 && len == 1500);
	/* An offset outside the area: the (harmless) slot address, never past the pool. */
	set_pool_desc(2, 1500, 0, TEST_POOL);
	CHECK(ivshmem2_ring_entry_hint(&r, 2, &len) == slots + 2 * IVSHMEM2_NET_SLOT_STRIDE);
	set_pool_desc(2, 60, 0, 0xffffffffu);
	CHECK(ivshmem2_ring_entry_hint(&r, 2, &len) == slots + 2 * IVSHMEM2_NET_SLOT_STRIDE);
}

static void
test_frame_scan(void)
{
	struct ivshmem2_ring_frame f;
	uint32_t i;

	memset(descs, 0, sizeof(descs));
	set_desc(0, 60, 0);
	CHECK(ivshmem2_ring_frame_scan(descs, refs, 63, 0, 1, TEST_POOL, &f) && f.nb_slots == 1 &&
	      f.len == 60);
	set_desc(0, 2048, 0);
	CHECK(ivshmem2_ring_frame_scan(descs, refs, 63, 0, 1, TEST_POOL, &f) && f.len == 2048);
	/* Length 0 and over the slot size are rejected, one entry skipped. */
	set_desc(0, 0, 0);
	CHECK(!ivshmem2_ring_frame_scan(descs, refs, 63, 0, 8, TEST_POOL, &f) && f.nb_slots == 1);
	set_desc(0, 2049, 0);
	CHECK(!ivshmem2_ring_frame_scan(descs, refs, 63, 0, 8, TEST_POOL, &f) && f.nb_slots == 1);
	set_desc(0, 0xffff, 0);
	CHECK(!ivshmem2_ring_frame_scan(descs, refs, 63, 0, 8, TEST_POOL, &f) && f.nb_slots == 1);
	/* Unknown flag bits. */
	set_desc(0, 64, 0x8000);
	CHECK(!ivshmem2_ring_frame_scan(descs, refs, 63, 0, 8, TEST_POOL, &f) && f.nb_slots == 1);
	/* A 9000-byte jumbo frame: 4 full slots + 808. */
	for (i = 0; i < 4; i++)
		set_desc(10 + i, 2048, IVSHMEM2_NET_DESC_MORE);
	set_desc(14, 808, 0);
	CHECK(ivshmem2_ring_frame_scan(descs, refs, 63, 10, 5, TEST_POOL, &f));
	CHECK(f.nb_slots == 5 && f.len == 9000 && f.seg_len[4] == 808 && f.seg_len[0] == 2048);
	/* The same chain across the ring's wrap point. */
	for (i = 0; i < 4; i++)
		set_desc(62 + i, 2048, IVSHMEM2_NET_DESC_MORE);
	set_desc(66, 808, 0);
	CHECK(ivshmem2_ring_frame_scan(descs, refs, 63, 62, 10, TEST_POOL, &f) && f.nb_slots == 5);
	/* Incomplete: producer published only part of the chain. */
	CHECK(!ivshmem2_ring_frame_scan(descs, refs, 63, 10, 3, TEST_POOL, &f) && f.nb_slots == 3 &&
	      f.incomplete);
	CHECK(ivshmem2_ring_frame_scan(descs, refs, 63, 10, 5, TEST_POOL, &f) && !f.incomplete);
	/* Endless chain: MORE on every entry; at most MAX_CHAIN skipped at once. */
	for (i = 20; i < 40; i++)
		set_desc(i, 100, IVSHMEM2_NET_DESC_MORE);
	CHECK(!ivshmem2_ring_frame_scan(descs, refs, 63, 20, 20, TEST_POOL, &f));
	CHECK(f.nb_slots == IVSHMEM2_NET_MAX_CHAIN && !f.incomplete);
	/* Chain of max length but total above MAX_FRAME. */
	for (i = 40; i < 44; i++)
		set_desc(i, 2048, IVSHMEM2_NET_DESC_MORE);
	set_desc(44, 2048, 0);
	CHECK(!ivshmem2_ring_frame_scan(descs, refs, 63, 40, 10, TEST_POOL, &f) && f.nb_slots == 5);
	/* Bad entry in the middle of a chain: skip up to and including it. */
	set_desc(50, 2048, IVSHMEM2_NET_DESC_MORE);
	set_desc(51, 0, 0);
	CHECK(!ivshmem2_ring_frame_scan(descs, refs, 63, 50, 10, TEST_POOL, &f) &&
	      f.nb_slots == 2 &&
	      !f.incomplete);
}

static void
test_section_and_attach(void)
{
	struct ivshmem2_net_layout l;
	struct ivshmem2_ring_peer_channel pc;
	struct ivshmem2_ring_tx tx;
	struct ivshmem2_ring_rx rx;
	uint8_t *a, *b;
	uint64_t size = 1 << 20;

	CHECK(ivshmem2_net_layout_compute(&l, size, 3) == IVSHMEM2_NET_LAYOUT_OK);
	a = aligned_alloc(4096, size);
	b = aligned_alloc(4096, size);
	if (a == NULL || b == NULL)
		abort();
	memset(a, 0xa5, size);
	memset(b, 0, size);
	CHECK(ivshmem2_ring_section_check(b, &l, 2) == IVSHMEM2_RING_NOT_READY);
	ivshmem2_ring_section_init(a, &l, 0);
	ivshmem2_ring_section_init(b, &l, 2);
	/* Indices and descriptors of every queue area are zeroed (slots need not be). */
	CHECK(a[ivshmem2_net_queue_offset(&l, 0, 1, 0)] == 0);
	CHECK(a[ivshmem2_net_queue_offset(&l, 0, 2, l.queues - 1) + l.slot_offset - 1] == 0);
	CHECK(ivshmem2_ring_section_check(a, &l, 0) == IVSHMEM2_RING_OK);
	CHECK(ivshmem2_ring_section_check(b, &l, 2) == IVSHMEM2_RING_OK);
	CHECK(ivshmem2_ring_section_check(b, &l, 1) == IVSHMEM2_RING_BAD_OWNER);
	((struct ivshmem2_net_section_header *)b)->ring_size = 4096;
	CHECK(ivshmem2_ring_section_check(b, &l, 2) == IVSHMEM2_RING_BAD_LAYOUT);
	((struct ivshmem2_net_section_header *)b)->ring_size = l.ring_size;
	((struct ivshmem2_net_section_header *)b)->version = 99;
	CHECK(ivshmem2_ring_section_check(b, &l, 2) == IVSHMEM2_RING_BAD_VERSION);
	((struct ivshmem2_net_section_header *)b)->version = IVSHMEM2_NET_LAYOUT_VERSION;

	/* Channel header as seen by the peer; hostile queue counts are refused. */
	ivshmem2_ring_channel(b, 0)->session = 77;
	ivshmem2_ring_channel(b, 0)->tx_queues = 1;
	ivshmem2_ring_channel(b, 0)->rx_queues = 1;
	CHECK(ivshmem2_ring_channel_read(b, &l, 0, &pc) == IVSHMEM2_RING_OK && pc.session == 77);
	ivshmem2_ring_channel(b, 0)->tx_queues = l.queues + 1;
	CHECK(ivshmem2_ring_channel_read(b, &l, 0, &pc) == IVSHMEM2_RING_BAD_QUEUES);
	ivshmem2_ring_channel(b, 0)->tx_queues = 1;
	ivshmem2_ring_channel(b, 0)->rx_queues = 0;
	CHECK(ivshmem2_ring_channel_read(b, &l, 0, &pc) == IVSHMEM2_RING_BAD_QUEUES);

	/* A (id 0) produces to B (id 2): B's consumer view must be the same ring. */
	ivshmem2_ring_tx_attach(&tx, a, b, &l, 0, 2, 0);
	ivshmem2_ring_rx_attach(&rx, b, a, &l, 2, 0, 0);
	CHECK((const void *)tx.desc == (const void *)rx.desc);
	CHECK((const void *)tx.pool_ref == (const void *)rx.pool_ref);
	CHECK((uint8_t *)tx.pool_ref >= (uint8_t *)(tx.desc + l.ring_size) &&
	      (uint8_t *)(tx.pool_ref + l.ring_size) <= tx.slots);
	CHECK((const void *)tx.slots == (const void *)rx.slots);
	CHECK((const void *)tx.tail == (const void *)rx.peer_tail);
	CHECK((const void *)tx.peer_head == (const void *)rx.head);
	CHECK((const void *)tx.peer_wake == (const void *)rx.wake);
	CHECK((uint8_t *)tx.tail >= a && (uint8_t *)tx.tail < a + size);
	CHECK(ivshmem2_ring_slot(tx.slots, tx.mask, l.ring_size - 1) + IVSHMEM2_NET_SLOT_SIZE <=
	      a + size);
	CHECK(ivshmem2_ring_slot_index(rx.slots, l.ring_size,
				       ivshmem2_ring_slot_ro(rx.slots, rx.mask, 5)) == 5);
	CHECK(ivshmem2_ring_slot_index(rx.slots, l.ring_size, rx.slots + 1) == UINT32_MAX);
	CHECK(ivshmem2_ring_slot_index(rx.slots, l.ring_size, rx.slots - 1) == UINT32_MAX);
	CHECK(ivshmem2_ring_slot_index(rx.slots, l.ring_size,
				       rx.slots + (uint64_t)l.ring_size *
				       IVSHMEM2_NET_SLOT_STRIDE) == UINT32_MAX);
	/* Different queues and channels never share memory. */
	{
		struct ivshmem2_ring_tx t2;

		ivshmem2_ring_tx_attach(&t2, a, b, &l, 0, 1, 0);
		CHECK(t2.slots != tx.slots && t2.tail != tx.tail);
		CHECK((uint8_t *)t2.tail + l.queue_stride == (uint8_t *)tx.tail ||
		      (uint8_t *)tx.tail + l.queue_stride == (uint8_t *)t2.tail);
	}
	/* Producer/consumer round trip through the resolved pointers. */
	ivshmem2_ring_desc_write(tx.desc, tx.pool_ref, 3 & tx.mask, 60, 0, 0);
	*tx.tail = 4;
	*rx.head = 3;
	{
		struct ivshmem2_ring_frame f;
		uint32_t n = ivshmem2_ring_avail(*rx.peer_tail, *rx.head, l.ring_size);

		CHECK(n == 1);
		CHECK(ivshmem2_ring_frame_scan(rx.desc, rx.pool_ref, rx.mask, 3, n,
					       rx.pool_size, &f) && f.len == 60);
		CHECK(ivshmem2_ring_free(*tx.tail, *tx.peer_head, l.ring_size) ==
		      l.ring_size - 1);
	}
	free(a);
	free(b);
}

/* Resident pages of [addr, addr + len). */
static uint64_t
resident_pages(void *addr, uint64_t len)
{
	long page = sysconf(_SC_PAGESIZE);
	uint64_t i, n = (len + page - 1) / page, res = 0;
	unsigned char *vec = malloc(n);

	if (vec == NULL || mincore(addr, len, vec) != 0) {
		free(vec);
		return UINT64_MAX;
	}
	for (i = 0; i < n; i++)
		res += vec[i] & 1;
	free(vec);
	return res;
}

/*
 * A server may hand out a huge, sparse section: initialising it must touch
 * only the headers, indices and descriptors, never every page (OOM).
 */
static void
test_section_init_sparse(void)
{
	const uint64_t size = 1ull << 30;
	long page = sysconf(_SC_PAGESIZE);
	struct ivshmem2_net_layout l;
	uint64_t touched, bound;
	uint8_t *sec;

	CHECK(ivshmem2_net_layout_compute(&l, size, 2) == IVSHMEM2_NET_LAYOUT_OK);
	sec = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS |
		   MAP_NORESERVE, -1, 0);
	CHECK(sec != MAP_FAILED);
	if (sec == MAP_FAILED)
		return;
	/* Stale indices and descriptors from an earlier life of the memory. */
	memset(sec + l.header_size, 0xa5, l.slot_offset);
	ivshmem2_ring_section_init(sec, &l, 1);
	touched = resident_pages(sec, size);
	bound = (l.header_size + (uint64_t)l.queues * (l.slot_offset + page)) / page + 1;
	CHECK(touched <= bound);
	if (touched > bound)
		fprintf(stderr, "section init touched %llu pages, bound %llu\n",
			(unsigned long long)touched, (unsigned long long)bound);
	/* What must be zero is. */
	CHECK(((uint32_t *)(sec + l.header_size))[0] == 0);
	CHECK(sec[l.header_size + l.slot_offset - 1] == 0);
	CHECK(ivshmem2_ring_section_check(sec, &l, 1) == IVSHMEM2_RING_OK);
	munmap(sec, size);
}

int
main(void)
{
	test_layout_sizes();
	test_channel_index();
	test_index_arithmetic();
	test_frame_scan();
	test_frame_scan_pool();
	test_frame_scan_return();
	test_entry_hint();
	test_section_and_attach();
	test_section_init_sparse();
	printf("%d checks, %d failures\n", checks, failures);
	return failures ? 1 : 0;
}

/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

#ifndef IVSHMEM2_FUZZ_SECTIONS_H
#define IVSHMEM2_FUZZ_SECTIONS_H

/*
 * A pair of output sections (the remote peer's, whose bytes the fuzzer
 * writes, and our own) for a few layouts, each in a guarded mapping: the
 * section ends right before a PROT_NONE page, and so does its last slot.
 * Writes to the peer's section are recorded so that only they are undone
 * between inputs.
 */

#include "fuzz_common.h"

#include <ivshmem2/net.h>

struct fuzz_variant {
	uint32_t peers;
	uint32_t queues;
	uint32_t ring;
	struct ivshmem2_net_layout l;
	uint8_t *peer;		/* the remote's section (the fuzzer's bytes) */
	uint8_t *own;		/* ours (the consumer writes head and wake) */
};

static struct fuzz_variant fuzz_variants[] = {
	{ .peers = 2, .queues = 1, .ring = 64 },
	{ .peers = 3, .queues = 1, .ring = 64 },
	{ .peers = 4, .queues = 1, .ring = 128 },
	{ .peers = 2, .queues = 2, .ring = 1024 },
	{ .peers = 2, .queues = 4, .ring = 1024 },
};
#define FUZZ_NB_VARIANTS	(sizeof(fuzz_variants) / sizeof(fuzz_variants[0]))

#define FUZZ_MAX_DIRTY	4096
static struct {
	uint64_t off, len;
} fuzz_dirty[FUZZ_MAX_DIRTY];
static unsigned int fuzz_nb_dirty;
static bool fuzz_dirty_all;

/*
 * The smallest section that gives (peers, queues, ring): its last queue
 * area ends where the section ends, so the guard page follows the last slot.
 * (Real sections are page multiples; the layout does not need that.)
 */
static inline uint64_t
fuzz_section_size_for(uint32_t peers, uint32_t queues, uint32_t ring)
{
	uint64_t header = ivshmem2_net_align(sizeof(struct ivshmem2_net_section_header) +
					     (uint64_t)peers *
					     sizeof(struct ivshmem2_net_channel_header),
					     IVSHMEM2_NET_HEADER_ALIGN);

	return header + (uint64_t)(peers - 1) * queues * ivshmem2_net_queue_area(ring);
}

static inline void
fuzz_sections_init(void)
{
	unsigned int i;

	for (i = 0; i < FUZZ_NB_VARIANTS; i++) {
		struct fuzz_variant *v = &fuzz_variants[i];
		uint64_t size = fuzz_section_size_for(v->peers, v->queues, v->ring);

		if (ivshmem2_net_layout_compute(&v->l, size, v->peers) != IVSHMEM2_NET_LAYOUT_OK ||
		    v->l.queues != v->queues || v->l.ring_size != v->ring) {
			fprintf(stderr, "fuzz: section variant %u does not give its layout\n", i);
			abort();
		}
		v->peer = fuzz_guarded_area(size);
		v->own = fuzz_guarded_area(size);
	}
}

/* Write @len bytes of the peer's section at @off (clipped to the section). */
static inline void
fuzz_patch(struct fuzz_variant *v, uint64_t off, const void *src, uint64_t len)
{
	if (off >= v->l.section_size)
		return;
	if (len > v->l.section_size - off)
		len = v->l.section_size - off;
	memcpy(v->peer + off, src, len);
	if (fuzz_nb_dirty < FUZZ_MAX_DIRTY) {
		fuzz_dirty[fuzz_nb_dirty].off = off;
		fuzz_dirty[fuzz_nb_dirty].len = len;
		fuzz_nb_dirty++;
	} else {
		fuzz_dirty_all = true;
	}
}

/*
 * The peer writes entry @entry (masked) of the ring whose queue area starts at
 * @area: the descriptor's bytes at @desc and pool reference @ref.
 */
static inline void
fuzz_put_entry(struct fuzz_variant *v, uint64_t area, uint64_t entry, const void *desc,
	       uint32_t ref)
{
	const uint64_t size = sizeof(struct ivshmem2_net_desc);

	fuzz_patch(v, area + v->l.pool_ref_offset + entry * sizeof(ref), &ref, sizeof(ref));
	fuzz_patch(v, area + v->l.desc_offset + entry * size, desc, size);
}

/* Undo the input's writes to the peer's section; zero our own control words. */
static inline void
fuzz_sections_clean(struct fuzz_variant *v)
{
	uint32_t a;
	unsigned int i;

	if (fuzz_dirty_all)
		memset(v->peer, 0, v->l.section_size);
	else
		for (i = 0; i < fuzz_nb_dirty; i++)
			memset(v->peer + fuzz_dirty[i].off, 0, fuzz_dirty[i].len);
	fuzz_nb_dirty = 0;
	fuzz_dirty_all = false;
	memset(v->own, 0, v->l.header_size);
	for (a = 0; a < (v->l.max_peers - 1) * v->l.queues; a++)
		memset(v->own + v->l.header_size + a * v->l.queue_stride, 0,
		       sizeof(struct ivshmem2_net_queue_ctrl));
}

/* Offset of the (remote -> me, q) ring's area inside the remote's section. */
static inline uint64_t
fuzz_ring_area(const struct fuzz_variant *v, uint32_t me, uint32_t remote, uint32_t q)
{
	return ivshmem2_net_queue_offset(&v->l, remote, me, q);
}

static inline uint32_t
fuzz_peer_tail(const struct fuzz_variant *v, uint32_t me, uint32_t remote, uint32_t q)
{
	uint32_t t;

	memcpy(&t, v->peer + fuzz_ring_area(v, me, remote, q), sizeof(t));
	return t;
}

static inline void
fuzz_set_peer_tail(struct fuzz_variant *v, uint32_t me, uint32_t remote, uint32_t q, uint32_t t)
{
	fuzz_patch(v, fuzz_ring_area(v, me, remote, q), &t, sizeof(t));
}

/*
 * The frame starting at @idx, read the way net.h describes it (written
 * apart from the driver's scan, to check it): returns the slots to consume
 * and, in *len, the frame length (0: the entries are bad).
 */
static inline uint32_t
fuzz_ref_scan(const struct ivshmem2_net_desc *desc, const uint32_t *pool_ref, uint32_t mask,
	      uint32_t idx, uint32_t avail, uint32_t pool_size, uint32_t *len, uint16_t *seg_len,
	      uint32_t *seg_off, uint32_t *own_segs)
{
	uint32_t i, total = 0;

	*len = 0;
	if (own_segs != NULL)
		*own_segs = 0;
	for (i = 0; i < avail; i++) {
		struct ivshmem2_net_desc d = desc[(idx + i) & mask];
		uint32_t ref = pool_ref[(idx + i) & mask];

		if (i == IVSHMEM2_NET_MAX_CHAIN)
			return i;	/* longer than any frame */
		/* POOL: the producer's pool area; RETURN: ours; never both. */
		bool pool = (d.flags & IVSHMEM2_NET_DESC_POOL) != 0;
		bool back = (d.flags & IVSHMEM2_NET_DESC_RETURN) != 0;

		if (d.len < 1 ||
		    d.len > (pool || back ? IVSHMEM2_NET_MAX_FRAME : IVSHMEM2_NET_SLOT_SIZE) ||
		    (d.flags & ~7u) != 0 || (pool && back) ||
		    ((pool || back) && (uint64_t)ref + d.len > pool_size))
			return i + 1;
		if (seg_len != NULL)
			seg_len[i] = d.len;
		if (seg_off != NULL)
			seg_off[i] = pool || back ? ref : UINT32_MAX;
		if (own_segs != NULL && back)
			*own_segs |= 1u << i;
		total += d.len;
		if ((d.flags & IVSHMEM2_NET_DESC_MORE) == 0) {
			if (total <= IVSHMEM2_NET_MAX_FRAME)
				*len = total;
			return i + 1;
		}
	}
	return avail;	/* chain not finished within what was published */
}

/* True if [p, p + len) lies inside [base, base + size). */
static inline bool
fuzz_inside(const void *p, uint64_t len, const uint8_t *base, uint64_t size)
{
	uintptr_t a = (uintptr_t)p, b = (uintptr_t)base;

	return a >= b && len <= size && a - b <= size - len;
}

#endif /* IVSHMEM2_FUZZ_SECTIONS_H */

/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

#ifndef _IVSHMEM2_RING_H_
#define _IVSHMEM2_RING_H_

/*
 * Ring module: the only code that interprets a section (include/ivshmem2/net.h).
 * Control-path helpers (init, validate, attach) live in ivshmem2_ring.c;
 * the index and descriptor checks the bursts need are inline here.
 * Everything read from a peer's section is validated here before use.
 * No DPDK, bus or system-call dependencies: unit-tested on its own.
 */

#include <stdbool.h>
#include <stdint.h>

#include <ivshmem2/net.h>

/* Producer side of one ring (me -> remote), resolved to addresses. */
struct ivshmem2_ring_tx {
	struct ivshmem2_net_desc *desc;		/**< own section */
	uint32_t *pool_ref;			/**< own section: POOL entries' offsets */
	uint8_t *slots;				/**< own section */
	uint32_t *tail;				/**< own section */
	const uint32_t *peer_head;		/**< remote's section */
	const uint32_t *peer_wake;		/**< remote's section */
	uint32_t mask;				/**< ring_size - 1 */
	uint32_t pool_size;			/**< of each pool area (our layout) */
	const uint8_t *peer_pool;		/**< remote's section: frames to RETURN */
};

/* Consumer side of one ring (remote -> me). */
struct ivshmem2_ring_rx {
	const struct ivshmem2_net_desc *desc;	/**< remote's section */
	const uint32_t *pool_ref;		/**< remote's section: POOL entries' offsets */
	const uint8_t *slots;			/**< remote's section */
	const uint32_t *peer_tail;		/**< remote's section */
	uint32_t *head;				/**< own section */
	uint32_t *wake;				/**< own section */
	uint32_t mask;
	uint32_t pool_size;			/**< of the peer's pool area (our layout) */
	const uint8_t *pool;			/**< remote's section: its pool area */
	const uint8_t *own_pool;		/**< own section: RETURN segments */
};

/* Why a peer's section or channel cannot be used (for logs and xstats). */
enum ivshmem2_ring_check {
	IVSHMEM2_RING_OK = 0,
	IVSHMEM2_RING_NOT_READY,	/* no magic yet: peer still initialising */
	IVSHMEM2_RING_BAD_VERSION,
	IVSHMEM2_RING_BAD_LAYOUT,	/* sizes differ from what we computed */
	IVSHMEM2_RING_BAD_OWNER,
	IVSHMEM2_RING_BAD_QUEUES,	/* tx/rx queue count out of range */
};

const char *ivshmem2_ring_check_str(enum ivshmem2_ring_check c);

/**
 * Initialise the own section: zero it, fill the header, publish the magic last.
 * @param own  start of the own output section (writable)
 */
void ivshmem2_ring_section_init(void *own, const struct ivshmem2_net_layout *l, uint32_t own_id);

/** Check that @peer's section header matches the layout we computed. */
enum ivshmem2_ring_check ivshmem2_ring_section_check(const void *peer,
						     const struct ivshmem2_net_layout *l,
						     uint32_t peer_id);

/** One heartbeat of the own section (IVSHMEM2_NET_F_HEARTBEAT). */
void ivshmem2_ring_heartbeat(void *own);

/**
 * The heartbeat counter of @peer's section in @beat; false if the peer does
 * not advertise IVSHMEM2_NET_F_HEARTBEAT (then its liveness is unknown).
 */
bool ivshmem2_ring_peer_heartbeat(const void *peer, uint32_t *beat);

/** Own channel header for @remote (writable). */
struct ivshmem2_net_channel_header *ivshmem2_ring_channel(void *section, uint32_t remote);

/** A snapshot of a peer's channel header, validated. */
struct ivshmem2_ring_peer_channel {
	uint32_t session;
	uint32_t ack;
	uint32_t tx_queues;
	uint32_t rx_queues;
	uint32_t mtu;
	uint8_t mac[6];
};

enum ivshmem2_ring_check ivshmem2_ring_channel_read(const void *peer_section,
						    const struct ivshmem2_net_layout *l,
						    uint32_t me,
						    struct ivshmem2_ring_peer_channel *out);

/** Resolve the producer ring for (me -> remote, queue). */
void ivshmem2_ring_tx_attach(struct ivshmem2_ring_tx *r, void *own, const void *peer,
			     const struct ivshmem2_net_layout *l, uint32_t me, uint32_t remote,
			     uint32_t queue);

/** Resolve the consumer ring for (remote -> me, queue). */
void ivshmem2_ring_rx_attach(struct ivshmem2_ring_rx *r, void *own, const void *peer,
			     const struct ivshmem2_net_layout *l, uint32_t me, uint32_t remote,
			     uint32_t queue);

/*
 * Entries the consumer may read, given the producer's @tail (from the peer)
 * and our @head. More than @ring_size means the peer is broken (or restarted):
 * returns UINT32_MAX then.
 */
static inline uint32_t
ivshmem2_ring_avail(uint32_t tail, uint32_t head, uint32_t ring_size)
{
	uint32_t n = tail - head;

	return n <= ring_size ? n : UINT32_MAX;
}

/*
 * Free entries for the producer, given the consumer's @head (from the peer).
 * A head outside [tail - ring_size, tail] is treated as a full ring: the
 * consumer has not resynchronised yet or is broken.
 */
static inline uint32_t
ivshmem2_ring_free(uint32_t tail, uint32_t head, uint32_t ring_size)
{
	uint32_t used = tail - head;

	return used <= ring_size ? ring_size - used : 0;
}

/* seg_off of a segment in its entry's slot (a pool segment's offset is always smaller). */
#define IVSHMEM2_RING_SEG_SLOT	UINT32_MAX

/* Result of scanning one frame's descriptor chain. */
struct ivshmem2_ring_frame {
	uint32_t nb_slots;			/* descriptors the frame spans */
	uint32_t len;				/* total bytes */
	bool incomplete;			/* valid so far, but runs past avail */
	uint16_t seg_len[IVSHMEM2_NET_MAX_CHAIN]; /* snapshot of each len */
	/* Pool offset of each segment, checked; IVSHMEM2_RING_SEG_SLOT: in the slot. */
	uint32_t seg_off[IVSHMEM2_NET_MAX_CHAIN];
	uint32_t own_segs;			/* bit i: segment i is a RETURN (own pool) */
};

union ivshmem2_ring_desc_word {
	uint32_t raw;
	struct ivshmem2_net_desc d;
};

/* One descriptor, read once as one word: the peer may rewrite it concurrently. */
static inline struct ivshmem2_net_desc
ivshmem2_ring_desc_read(const struct ivshmem2_net_desc *desc, uint32_t entry)
{
	union ivshmem2_ring_desc_word v;

	v.raw = __atomic_load_n((const uint32_t *)&desc[entry], __ATOMIC_RELAXED);
	return v.d;
}

/* True if @d is a usable slot descriptor: len in range, no flag but MORE. */
static inline bool
ivshmem2_ring_slot_desc_ok(struct ivshmem2_net_desc d)
{
	return d.len != 0 && d.len <= IVSHMEM2_NET_SLOT_SIZE &&
	       (d.flags & ~IVSHMEM2_NET_DESC_MORE) == 0;
}

/* True if a POOL segment of @len bytes at @offset lies inside a pool area of @pool_size. */
static inline bool
ivshmem2_ring_pool_seg_ok(uint16_t len, uint32_t offset, uint32_t pool_size)
{
	/* Overflow-safe: offset + len is never computed. */
	return len != 0 && len <= IVSHMEM2_NET_MAX_FRAME && offset <= pool_size &&
	       len <= pool_size - offset;
}

/*
 * Validate the frame starting at index @idx with @avail entries readable,
 * pool segments (their offsets in @pool_ref) against a pool area of
 * @pool_size bytes (the consumer's own layout). Each descriptor and pool
 * reference is read once (the peer may rewrite them concurrently), and the
 * snapshot in @f is what the caller must use. Returns true if valid;
 * otherwise false with f->nb_slots = entries to skip (at least 1).
 */
static inline bool
ivshmem2_ring_frame_scan(const struct ivshmem2_net_desc *desc, const uint32_t *pool_ref,
			 uint32_t mask, uint32_t idx, uint32_t avail, uint32_t pool_size,
			 struct ivshmem2_ring_frame *f)
{
	uint32_t i, total = 0;

	f->incomplete = false;
	f->own_segs = 0;
	for (i = 0; i < IVSHMEM2_NET_MAX_CHAIN && i < avail; i++) {
		uint32_t entry = (idx + i) & mask;
		struct ivshmem2_net_desc d = ivshmem2_ring_desc_read(desc, entry);

		if (__builtin_expect(ivshmem2_ring_slot_desc_ok(d), 1)) {
			f->seg_off[i] = IVSHMEM2_RING_SEG_SLOT;
		} else {
			uint16_t where = d.flags &
					 (IVSHMEM2_NET_DESC_POOL | IVSHMEM2_NET_DESC_RETURN);
			/* Exactly one of POOL and RETURN: both areas have our layout's size. */
			bool pool = (where == IVSHMEM2_NET_DESC_POOL ||
				     where == IVSHMEM2_NET_DESC_RETURN) &&
				    (d.flags & ~IVSHMEM2_NET_DESC_FLAGS_KNOWN) == 0;
			uint32_t off = 0;

			/* Only a POOL entry's reference is read: copied frames skip its line. */
			if (pool)
				off = __atomic_load_n(&pool_ref[entry], __ATOMIC_RELAXED);
			if (!pool || !ivshmem2_ring_pool_seg_ok(d.len, off, pool_size)) {
				f->nb_slots = i + 1;
				goto bad;
			}
			f->seg_off[i] = off;
			if (where == IVSHMEM2_NET_DESC_RETURN)
				f->own_segs |= 1u << i;
		}
		f->seg_len[i] = d.len;
		total += d.len;
		if (!(d.flags & IVSHMEM2_NET_DESC_MORE)) {
			f->nb_slots = i + 1;
			if (total > IVSHMEM2_NET_MAX_FRAME)
				goto bad;
			f->len = total;
			return true;
		}
	}
	/* Chain longer than a maximal frame, or not complete within avail. */
	f->incomplete = i == avail && i < IVSHMEM2_NET_MAX_CHAIN;
	f->nb_slots = i > 0 ? i : 1;
bad:
	f->len = 0;
	return false;
}

/* Address of slot @idx (any index: it is masked). */
static inline uint8_t *
ivshmem2_ring_slot(uint8_t *slots, uint32_t mask, uint32_t idx)
{
	return slots + (uint64_t)(idx & mask) * IVSHMEM2_NET_SLOT_STRIDE;
}

static inline const uint8_t *
ivshmem2_ring_slot_ro(const uint8_t *slots, uint32_t mask, uint32_t idx)
{
	return slots + (uint64_t)(idx & mask) * IVSHMEM2_NET_SLOT_STRIDE;
}

/* Slot index of @addr if it is the start of a slot of @slots, else UINT32_MAX. */
static inline uint32_t
ivshmem2_ring_slot_index(const uint8_t *slots, uint32_t ring_size, const void *addr)
{
	uintptr_t off = (uintptr_t)addr - (uintptr_t)slots;

	if ((uintptr_t)addr < (uintptr_t)slots || off % IVSHMEM2_NET_SLOT_STRIDE != 0 ||
	    off / IVSHMEM2_NET_SLOT_STRIDE >= ring_size)
		return UINT32_MAX;
	return (uint32_t)(off / IVSHMEM2_NET_SLOT_STRIDE);
}

/*
 * Post entry @entry (masked) of a segment: @flags IVSHMEM2_NET_DESC_*; for a
 * POOL (RETURN) segment its @offset inside the own (the consumer's) pool area
 * goes to @pool_ref first (else @offset is unused). The descriptor is one store.
 */
static inline void
ivshmem2_ring_desc_write(struct ivshmem2_net_desc *desc, uint32_t *pool_ref, uint32_t entry,
			 uint16_t len, uint16_t flags, uint32_t offset)
{
	union ivshmem2_ring_desc_word v;

	if (flags & (IVSHMEM2_NET_DESC_POOL | IVSHMEM2_NET_DESC_RETURN))
		__atomic_store_n(&pool_ref[entry], offset, __ATOMIC_RELAXED);
	v.d.len = len;
	v.d.flags = flags;
	__atomic_store_n((uint32_t *)&desc[entry], v.raw, __ATOMIC_RELAXED);
}

/* Source of segment @i of frame @f starting at entry @idx. */
static inline const uint8_t *
ivshmem2_ring_seg_src(const struct ivshmem2_ring_rx *r, const struct ivshmem2_ring_frame *f,
		      uint32_t idx, uint32_t i)
{
	if (f->seg_off[i] != IVSHMEM2_RING_SEG_SLOT)
		return ((f->own_segs >> i) & 1 ? r->own_pool : r->pool) + f->seg_off[i];
	return ivshmem2_ring_slot_ro(r->slots, r->mask, idx + i);
}

/*
 * Where entry @idx's bytes lie and how many, from its descriptor read once and
 * unchecked except that a pool offset stays inside the pool area: a prefetch
 * hint, never a source (ivshmem2_ring_frame_scan validates what is copied).
 */
static inline const uint8_t *
ivshmem2_ring_entry_hint(const struct ivshmem2_ring_rx *r, uint32_t idx, uint32_t *len)
{
	uint32_t entry = idx & r->mask;
	struct ivshmem2_net_desc d = ivshmem2_ring_desc_read(r->desc, entry);

	*len = d.len;
	if (d.flags & (IVSHMEM2_NET_DESC_POOL | IVSHMEM2_NET_DESC_RETURN)) {
		uint32_t off = __atomic_load_n(&r->pool_ref[entry], __ATOMIC_RELAXED);

		if (off < r->pool_size)
			return (d.flags & IVSHMEM2_NET_DESC_RETURN ? r->own_pool : r->pool) + off;
	}
	return ivshmem2_ring_slot_ro(r->slots, r->mask, idx);
}

#endif /* _IVSHMEM2_RING_H_ */

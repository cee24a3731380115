/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/*
 * Rx burst, copy and zero-copy (read-only external buffers on the slots).
 * Same hot path rules as ivshmem2_tx.c.
 */

#include <string.h>

#include <ethdev_driver.h>
#include <rte_atomic.h>
#include <rte_branch_prediction.h>
#include <rte_mbuf.h>
#include <rte_malloc.h>
#include <rte_memcpy.h>
#include <rte_prefetch.h>

#include "ivshmem2_rxtx.h"

static bool
rxq_resync(struct ivshmem2_rxq *q, uint32_t gen)
{
	struct ivshmem2_ring_rx ring[IVSHMEM2_NET_MAX_QUEUES];
	uint32_t start[IVSHMEM2_NET_MAX_QUEUES];
	uint32_t pairing;
	uint16_t i, nb_src;

	if (!ivshmem2_gen_up(gen) || !ivshmem2_map_current(q->map_gen, q->port_id))
		return false;
	nb_src = RTE_MIN(q->next_nb_src, (uint16_t)IVSHMEM2_NET_MAX_QUEUES);
	memcpy(ring, q->next_ring, sizeof(ring[0]) * nb_src);
	memcpy(start, q->next_start, sizeof(start[0]) * nb_src);
	pairing = q->next_pairing;
	if (!ivshmem2_gen_still(q->link_gen, gen))
		return false;	/* a link reset is under way: retry next burst */
	q->nb_src = nb_src;
	for (i = 0; i < nb_src; i++) {
		struct ivshmem2_rxq_src *s = &q->src[i];
		bool same_ring = s->ring.peer_tail == ring[i].peer_tail;
		/*
		 * A new pairing, even one this queue skipped over, starts where
		 * the control path said when it accepted the peer's session; so
		 * does a ring first polled later in the pairing (its rd and head
		 * are from an older one).
		 */
		bool restart = pairing != s->pairing;
		uint32_t tail, head;

		s->ring = ring[i];
		s->pairing = pairing;
		tail = __atomic_load_n(s->ring.peer_tail, __ATOMIC_ACQUIRE);
		if (restart) {
			/*
			 * The producer's tail when we accepted its session: every
			 * frame it sent after it saw the link up lies beyond.
			 */
			head = start[i];
			if (ivshmem2_ring_avail(tail, head, q->ring_size) == UINT32_MAX)
				head = tail;	/* broken peer: rx_from_src counts it */
		} else if (same_ring &&
			   ivshmem2_ring_avail(tail, s->head, q->ring_size) != UINT32_MAX &&
			   ivshmem2_ring_avail(tail, s->rd, q->ring_size) != UINT32_MAX) {
			continue;	/* same pairing: go on where we were */
		} else {
			/* Same pairing but inconsistent: only the published head is ours. */
			head = __atomic_load_n(s->ring.head, __ATOMIC_RELAXED);
			if (ivshmem2_ring_avail(tail, head, q->ring_size) == UINT32_MAX)
				head = tail;
		}
		s->rd = head;
		/*
		 * Zero-copy: slots the application still holds stay busy (their
		 * free clears them); a head one ring back lets the reclaim open
		 * only the slots nobody holds, so the producer never writes one.
		 */
		s->head = s->busy != NULL ? head - q->ring_size : head;
		__atomic_store_n(s->ring.head, s->head, __ATOMIC_RELEASE);
	}
	q->next_src = 0;
	q->gen = gen;
	return true;
}

/* Copy a chain of slots into @m, adding segments from the pool when it overflows. */
static int
rx_copy_chain(struct ivshmem2_rxq *q, struct ivshmem2_rxq_src *s, struct rte_mbuf *m,
	      const struct ivshmem2_ring_frame *f)
{
	struct rte_mbuf *seg = m;
	uint32_t i;

	m->pkt_len = f->len;
	m->data_len = 0;
	for (i = 0; i < f->nb_slots; i++) {
		const uint8_t *src = ivshmem2_ring_seg_src(&s->ring, f, s->rd, i);
		uint32_t left = f->seg_len[i];

		while (left > 0) {
			uint32_t room = rte_pktmbuf_tailroom(seg);
			uint32_t n;

			if (room == 0) {
				struct rte_mbuf *next = rte_pktmbuf_alloc(q->mp);

				if (next == NULL)
					return -1;
				seg->next = next;
				seg = next;
				m->nb_segs++;
				continue;
			}
			n = RTE_MIN(left, room);
			rte_memcpy(rte_pktmbuf_mtod_offset(seg, uint8_t *, seg->data_len), src, n);
			seg->data_len += n;
			src += n;
			left -= n;
		}
	}
	return 0;
}

static void
zc_free(struct ivshmem2_zc *zc)
{
	uint32_t expected = 0;

	/* The queue's release and the last free may both get here: one frees. */
	if (__atomic_compare_exchange_n(&zc->released, &expected, 1, false, __ATOMIC_ACQ_REL,
					__ATOMIC_RELAXED))
		rte_free(zc);
}

static void
zc_free_cb(void *addr __rte_unused, void *opaque)
{
	struct ivshmem2_zc_slot *slot = opaque;
	struct ivshmem2_zc *zc = slot->zc;

	__atomic_store_n(&zc->busy[slot - zc->slot], 0, __ATOMIC_RELEASE);
	if (__atomic_add_fetch(&zc->freed, 1, __ATOMIC_ACQ_REL) ==
	    __atomic_load_n(&zc->attached, __ATOMIC_ACQUIRE) &&
	    __atomic_load_n(&zc->orphaned, __ATOMIC_ACQUIRE))
		zc_free(zc);
}

int
ivshmem2_rxq_zc_alloc(struct ivshmem2_rxq *q, int socket)
{
	uint32_t i, j, n = IVSHMEM2_NET_MAX_QUEUES * q->ring_size;
	struct ivshmem2_zc *zc;

	zc = rte_zmalloc_socket("ivshmem2_zc", sizeof(*zc) + n * sizeof(zc->slot[0]) + n,
				RTE_CACHE_LINE_SIZE, socket);
	if (zc == NULL)
		return -ENOMEM;
	zc->nb_slots = n;
	zc->busy = (uint8_t *)&zc->slot[n];
	for (j = 0; j < n; j++) {
		zc->slot[j].shinfo.free_cb = zc_free_cb;
		zc->slot[j].shinfo.fcb_opaque = &zc->slot[j];
		zc->slot[j].zc = zc;
	}
	for (i = 0; i < IVSHMEM2_NET_MAX_QUEUES; i++) {
		q->src[i].busy = zc->busy + (size_t)i * q->ring_size;
		q->src[i].zc_slot = &zc->slot[(size_t)i * q->ring_size];
	}
	q->zc = zc;
	return 0;
}

uint64_t
ivshmem2_rxq_zc_release(struct ivshmem2_rxq *q)
{
	struct ivshmem2_zc *zc = q->zc;
	uint64_t held;

	if (zc == NULL)
		return 0;
	q->zc = NULL;
	__atomic_store_n(&zc->orphaned, 1, __ATOMIC_SEQ_CST);
	held = __atomic_load_n(&zc->attached, __ATOMIC_ACQUIRE) -
	       __atomic_load_n(&zc->freed, __ATOMIC_SEQ_CST);
	if (held == 0)
		zc_free(zc);
	return held;
}

/*
 * Attach segment @i of frame @f (entry @idx) read-only to @m (zero-copy): its
 * slot, or its place in the peer's pool area. The busy flag is the entry's.
 */
static inline void
rx_attach_slot(struct ivshmem2_rxq *q, struct ivshmem2_rxq_src *s, struct rte_mbuf *m,
	       const struct ivshmem2_ring_frame *f, uint32_t idx, uint32_t i)
{
	uint32_t slot = (idx + i) & s->ring.mask;
	uint8_t *addr = (uint8_t *)(uintptr_t)ivshmem2_ring_seg_src(&s->ring, f, idx, i);
	uint16_t len = f->seg_len[i];
	uint16_t buf_len = f->seg_off[i] == IVSHMEM2_RING_SEG_SLOT ? IVSHMEM2_NET_SLOT_SIZE : len;
	rte_iova_t iova = q->iova_is_va ? (rte_iova_t)(uintptr_t)addr : RTE_BAD_IOVA;

	__atomic_store_n(&s->busy[slot], 1, __ATOMIC_RELAXED);
	/* Counted before the mbuf exists: its free cannot see fewer attached than freed. */
	__atomic_store_n(&q->zc->attached, q->zc->attached + 1, __ATOMIC_RELEASE);
	rte_mbuf_ext_refcnt_set(&s->zc_slot[slot].shinfo, 1);
	rte_pktmbuf_attach_extbuf(m, addr, iova, buf_len, &s->zc_slot[slot].shinfo);
	m->data_off = 0;
	m->data_len = len;
}

/* Zero-copy: give back the contiguous prefix of slots the application freed. */
static inline void
rx_zc_reclaim(struct ivshmem2_rxq_src *s)
{
	uint32_t head = s->head;

	while (head != s->rd &&
	       __atomic_load_n(&s->busy[head & s->ring.mask], __ATOMIC_ACQUIRE) == 0)
		head++;
	if (head != s->head) {
		s->head = head;
		__atomic_store_n(s->ring.head, head, __ATOMIC_RELEASE);
	}
}

static int
rx_zc_frame(struct ivshmem2_rxq *q, struct ivshmem2_rxq_src *s, struct rte_mbuf *m,
	    const struct ivshmem2_ring_frame *f)
{
	struct rte_mbuf *prev = m;
	uint32_t i;

	rx_attach_slot(q, s, m, f, s->rd, 0);
	m->pkt_len = f->len;
	for (i = 1; i < f->nb_slots; i++) {
		struct rte_mbuf *seg = rte_pktmbuf_alloc(q->mp);

		if (seg == NULL)
			return -1;
		rx_attach_slot(q, s, seg, f, s->rd, i);
		prev->next = seg;
		prev = seg;
		m->nb_segs++;
	}
	return 0;
}

/*
 * A RETURN frame (single segment, in our own pool area): if the buffer it
 * names is a pool segment one of this port's tx entries still holds, take
 * that mbuf over (the entry's reference becomes the caller's) and return it
 * set up as received; @spare goes back to its pool. Else NULL: the caller
 * copies, as from any other offset. The peer chose the offset, so only a
 * buffer the map knows, bytes inside it and an entry that holds exactly
 * that mbuf pass; duplicates find the entry taken.
 */
static __rte_noinline struct rte_mbuf *
rx_take_back(struct ivshmem2_rxq *q, const struct ivshmem2_ring_frame *f, struct rte_mbuf *spare)
{
	const struct ivshmem2_pool_map *map = q->pool_map;
	uint32_t off = f->seg_off[0], b, at;
	struct ivshmem2_txq *txq;
	struct rte_mbuf *m, *expected;
	uint64_t posting;
	uint16_t queue;
	uint32_t entry;

	b = rte_reciprocal_divide(off, map->elt_div);
	if (b >= map->nb || q->port_data == NULL)
		return NULL;
	m = map->mbuf[b];
	at = off - b * map->elt;
	if (at > m->buf_len || f->len > (uint32_t)m->buf_len - at)
		return NULL;
	posting = __atomic_load_n(&map->posting[b], __ATOMIC_ACQUIRE);
	queue = (uint16_t)(posting >> 32);
	entry = (uint32_t)posting - 1;
	if (posting == 0 || (uint16_t)(posting >> 48) != q->port_id ||
	    queue >= q->port_data->nb_tx_queues)
		return NULL;
	txq = q->port_data->tx_queues[queue];
	/* Only the entry's reference: nobody else may still use the frame. */
	if (txq == NULL || entry >= txq->ring_size || rte_mbuf_refcnt_read(m) != 1)
		return NULL;
	expected = m;
	if (!__atomic_compare_exchange_n(&txq->held[entry], &expected, IVSHMEM2_HELD_TAKEN, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		return NULL;
	rte_mempool_put(spare->pool, spare);
	*(uint64_t *)RTE_PTR_ADD(m, offsetof(struct rte_mbuf, rearm_data)) = q->mbuf_initializer;
	m->data_off = (uint16_t)at;
	m->ol_flags = RTE_MBUF_F_EXTERNAL;	/* a pinned buffer, as every mbuf of the pool */
	m->packet_type = 0;
	m->next = NULL;			/* held as a segment: a chain's link may be stale */
	m->data_len = (uint16_t)f->len;
	m->pkt_len = f->len;
	q->taken_back++;
	return m;
}

/* Where a fresh mbuf of the queue's pool receives its frame (mbuf_initializer's data_off). */
static __rte_always_inline uint8_t *
rx_buf(const struct rte_mbuf *m)
{
	return (uint8_t *)m->buf_addr + RTE_PKTMBUF_HEADROOM;
}

/*
 * What to prefetch for entry @idx, a few frames ahead: its slot, unless the
 * producer posts pool segments; only then is its descriptor read this early
 * (a line the producer may still be writing: a stall on the slot-only path).
 * Sets @len to the entry's length when it read the descriptor, else leaves
 * the caller's guess.
 */
static __rte_always_inline const uint8_t *
rx_ahead_hint(const struct ivshmem2_rxq_src *s, uint32_t idx, uint32_t *len)
{
	if (likely(!s->pool_seen))
		return ivshmem2_ring_slot_ro(s->ring.slots, s->ring.mask, idx);
	return ivshmem2_ring_entry_hint(&s->ring, idx, len);
}

/*
 * All lines of entry @idx's bytes, for a copy two frames later: the producer
 * streamed them to memory, and such a miss outlasts the copy of one 1518 B
 * frame (one frame ahead, uni 1518 B took 198 cycles/packet, two ahead 157).
 * The loop asks IVSHMEM2_PREFETCH_AHEAD frames ahead; this covers a burst's first.
 */
static __rte_always_inline void
rx_prefetch_entry(const struct ivshmem2_rxq_src *s, uint32_t idx)
{
	uint32_t len;
	const uint8_t *at = ivshmem2_ring_entry_hint(&s->ring, idx, &len);

	ivshmem2_slot_prefetch_lines(at, len, false);
}

/*
 * One source ring's frames. @zero_copy and @dst_shared are the queue's modes,
 * passed as constants by the callers below so that each mode compiles to its
 * own loop: the plain copy mode carries no test for the others.
 */
static __rte_always_inline uint16_t
rx_from_src(struct ivshmem2_rxq *q, struct ivshmem2_rxq_src *s, struct rte_mbuf **pkts,
	    uint16_t nb_pkts, uint32_t gen, const bool zero_copy, const bool dst_shared)
{
	struct ivshmem2_ring_frame f;
	uint32_t tail, avail, n, rd;
	uint64_t bytes = 0;
	uint16_t got = 0;
	/*
	 * Copies into a shared destination (a pool mbuf) stream whole lines
	 * (no RFO) from the length on that Tx posts without a copy: this core
	 * does not read those back, but copies shorter ones into a slot.
	 */
	uint32_t stream_min = dst_shared && ivshmem2_copy_streams(q->copy) ?
			      IVSHMEM2_TX_POOL_MIN : UINT32_MAX;
	bool streamed = false;

	if (zero_copy)
		rx_zc_reclaim(s);
	tail = __atomic_load_n(s->ring.peer_tail, __ATOMIC_ACQUIRE);
	/*
	 * A tail the peer published after it saw our ack of a new session of
	 * its own belongs to the next pairing, which starts at the tail we
	 * took before that ack: read under this (older) generation, its frames
	 * would be delivered twice. The ack was stored after the generation
	 * went down, so having acquired such a tail we see the change here.
	 */
	if (unlikely(__atomic_load_n(q->link_gen, __ATOMIC_RELAXED) != gen))
		return 0;
	avail = ivshmem2_ring_avail(tail, s->rd, q->ring_size);
	if (avail == 0)
		return 0;
	if (unlikely(avail == UINT32_MAX)) {
		q->bad_index++;
		return 0;
	}
	if (zero_copy) {
		/* Never hand out more than the slots the producer cannot reuse. */
		avail = RTE_MIN(avail, q->ring_size - (s->rd - s->head));
		if (avail == 0)
			return 0;
	}
	n = RTE_MIN(avail, (uint32_t)nb_pkts);
	/* Copy mode takes raw mbufs and sets them up with one 8-byte store each. */
	if (unlikely((zero_copy ? rte_pktmbuf_alloc_bulk(q->mp, pkts, n) :
		      rte_mempool_get_bulk(q->mp, (void **)pkts, n)) != 0)) {
		q->mbuf_fail += n;
		*q->nombuf += n;
		return 0;
	}
	rd = s->rd;
	/*
	 * The burst's slots or pool segments at once, their misses overlap;
	 * then a few entries ahead of each frame, past the burst too.
	 */
	for (got = 0; got < RTE_MIN(n, IVSHMEM2_PREFETCH_BURST); got++) {
		uint32_t len;

		rte_prefetch0(rx_ahead_hint(s, rd + got, &len));
	}
	if (!zero_copy && avail > 1)
		rx_prefetch_entry(s, rd + 1);
	/* Buffers of the own section: the peer read their first line last. */
	for (got = 0; dst_shared && got < RTE_MIN(n, (uint32_t)IVSHMEM2_PREFETCH_AHEAD); got++)
		rte_prefetch0_write(rx_buf(pkts[got]));
	got = 0;
	while (got < n && avail > 0) {
		struct rte_mbuf *m = pkts[got], *taken;
		bool ok;

		if (unlikely(!ivshmem2_ring_frame_scan(s->ring.desc, s->ring.pool_ref,
						       s->ring.mask, rd, avail,
						       s->ring.pool_size, &f))) {
			/* Cut by the zero-copy limit, not by the producer: wait for slots. */
			if (f.incomplete && rd + avail != tail)
				break;
			q->rejected++;
			if (zero_copy) {
				uint32_t k;

				for (k = 0; k < f.nb_slots; k++)
					__atomic_store_n(&s->busy[(rd + k) & s->ring.mask], 0,
							 __ATOMIC_RELAXED);
			}
			rd += f.nb_slots;
			avail -= f.nb_slots;
			continue;
		}
		if (unlikely(f.seg_off[0] != IVSHMEM2_RING_SEG_SLOT))
			s->pool_seen = true;
		if (avail > f.nb_slots + IVSHMEM2_PREFETCH_AHEAD) {
			uint32_t ahead_len = f.len;
			const uint8_t *ahead = rx_ahead_hint(s, rd + f.nb_slots +
							     IVSHMEM2_PREFETCH_AHEAD, &ahead_len);

			rte_prefetch0(ahead);
			/*
			 * Its further lines too (the producer streamed them to
			 * memory): two frames ahead was too late. A slot's length
			 * is a guess (this frame's), a pool segment's is read.
			 * One way, cores sharing a cache: 256 B 213 -> 70
			 * cycles/packet, 1518 B 226 -> 175.
			 */
			if (!zero_copy)
				ivshmem2_slot_prefetch_lines(ahead, ahead_len, false);
		}
		if (dst_shared && (uint32_t)got + IVSHMEM2_PREFETCH_AHEAD < n)
			rte_prefetch0_write(rx_buf(pkts[got + IVSHMEM2_PREFETCH_AHEAD]));
		s->rd = rd;
		if (zero_copy) {
			ok = rx_zc_frame(q, s, m, &f) == 0;
		} else if (unlikely(f.own_segs == 1 && f.nb_slots == 1) && q->pool_map != NULL &&
			   (taken = rx_take_back(q, &f, m)) != NULL) {
			pkts[got] = m = taken;
			ok = true;
		} else {
			*(uint64_t *)RTE_PTR_ADD(m, offsetof(struct rte_mbuf, rearm_data)) =
				q->mbuf_initializer;
			m->ol_flags = dst_shared ? q->mbuf_ol_flags : 0;
			m->packet_type = 0;
			if (avail > f.nb_slots + 1)
				rx_prefetch_entry(s, rd + f.nb_slots + 1);
			/*
			 * A buffer of the own section (tx pool) was read by the peer
			 * last: ask for its lines back before the copy.
			 */
			if (dst_shared && avail > f.nb_slots && (uint32_t)got + 1 < n) {
				uint32_t next_len = ivshmem2_ring_desc_read(s->ring.desc,
						(rd + f.nb_slots) & s->ring.mask).len;

				if (next_len < stream_min)
					ivshmem2_slot_prefetch_lines(rx_buf(pkts[got + 1]), next_len,
								     true);
			}
			if (likely(f.nb_slots == 1 && f.len <= q->data_room)) {
				void *dst = rte_pktmbuf_mtod(m, void *);
				const void *src = ivshmem2_ring_seg_src(&s->ring, &f, rd, 0);

				if (f.len >= stream_min) {
					ivshmem2_copy_slot(q->copy, dst, src, f.len);
					streamed = true;
				} else {
					rte_memcpy(dst, src, f.len);
				}
				m->data_len = (uint16_t)f.len;
				m->pkt_len = f.len;
				ok = true;
			} else {
				ok = rx_copy_chain(q, s, m, &f) == 0;
			}
		}
		rd += f.nb_slots;
		avail -= f.nb_slots;
		if (unlikely(!ok)) {
			/* Out of mbufs for the extra segments: drop this frame. */
			q->mbuf_fail++;
			(*q->nombuf)++;
			rte_pktmbuf_free(m);
			memmove(&pkts[got], &pkts[got + 1], (n - got - 1) * sizeof(*pkts));
			n--;
			continue;
		}
		m->port = q->port_id;
		bytes += f.len;
		got++;
	}
	if (got < n) {
		if (zero_copy)
			rte_pktmbuf_free_bulk(pkts + got, n - got);
		else
			rte_mempool_put_bulk(q->mp, (void **)(pkts + got), n - got);
	}
	/* Whoever gets the mbufs next (our tx: the peer) must see the streamed bytes. */
	if (streamed)
		ivshmem2_copy_fence();
	s->rd = rd;
	if (zero_copy) {
		rx_zc_reclaim(s);
	} else {
		s->head = rd;
		__atomic_store_n(s->ring.head, rd, __ATOMIC_RELEASE);
	}
	q->pkts += got;
	q->bytes += bytes;
	return got;
}

/* Every source ring in turn, from where the last burst stopped; one mode. */
static __rte_always_inline uint16_t
rx_burst_mode(struct ivshmem2_rxq *q, struct rte_mbuf **pkts, uint16_t nb_pkts, uint32_t gen,
	      const bool zero_copy, const bool dst_shared)
{
	uint16_t nb_rx, i, k;

	if (likely(q->nb_src == 1))
		return rx_from_src(q, &q->src[0], pkts, nb_pkts, gen, zero_copy, dst_shared);
	nb_rx = 0;
	for (i = 0, k = q->next_src; i < q->nb_src && nb_rx < nb_pkts; i++) {
		nb_rx += rx_from_src(q, &q->src[k], pkts + nb_rx, nb_pkts - nb_rx, gen,
				     zero_copy, dst_shared);
		if (++k == q->nb_src)
			k = 0;
	}
	q->next_src = k;
	return nb_rx;
}

static __rte_noinline uint16_t
rx_burst_zero_copy(struct ivshmem2_rxq *q, struct rte_mbuf **pkts, uint16_t nb_pkts,
		   uint32_t gen)
{
	struct rte_eth_dev_data *data = q->port_data;
	uint16_t nb_rx = rx_burst_mode(q, pkts, nb_pkts, gen, true, false);
	uint16_t i;

	if (nb_rx != 0 || data == NULL)
		return nb_rx;
	/*
	 * Nothing came: frames our tx sent back (RETURN) may still hold their
	 * slots, and with them the peer's ring, until a tx burst; a forwarder
	 * that receives nothing sends nothing. Without this, io forwarding
	 * restarted with more frames than the ring lost them all (bidi 1024 B).
	 */
	for (i = 0; i < data->nb_tx_queues; i++)
		if (data->tx_queues[i] != NULL)
			ivshmem2_txq_reclaim_idle(data->tx_queues[i]);
	return 0;	/* the next poll opens the slots given back */
}

static __rte_noinline uint16_t
rx_burst_pinned(struct ivshmem2_rxq *q, struct rte_mbuf **pkts, uint16_t nb_pkts, uint32_t gen)
{
	return rx_burst_mode(q, pkts, nb_pkts, gen, false, true);
}

uint16_t
ivshmem2_rx_burst(void *queue, struct rte_mbuf **pkts, uint16_t nb_pkts)
{
	struct ivshmem2_rxq *q = queue;
	uint32_t gen = __atomic_load_n(q->link_gen, __ATOMIC_ACQUIRE);

	if (unlikely(gen != q->gen) && !rxq_resync(q, gen))
		return 0;
	if (unlikely(q->zero_copy))
		return rx_burst_zero_copy(q, pkts, nb_pkts, gen);
	if (unlikely(q->dst_shared))
		return rx_burst_pinned(q, pkts, nb_pkts, gen);
	return rx_burst_mode(q, pkts, nb_pkts, gen, false, false);
}

uint32_t
ivshmem2_rxq_pending(struct ivshmem2_rxq *q)
{
	uint32_t total = 0;
	uint16_t i;

	if (q->gen != __atomic_load_n(q->link_gen, __ATOMIC_ACQUIRE))
		return 0;
	for (i = 0; i < q->nb_src; i++) {
		uint32_t n = ivshmem2_ring_avail(__atomic_load_n(q->src[i].ring.peer_tail,
								 __ATOMIC_ACQUIRE),
						 q->src[i].rd, q->ring_size);

		if (n != UINT32_MAX)
			total += n;
	}
	return total;
}

bool
ivshmem2_rxq_wake_set(struct ivshmem2_rxq *q, bool enable)
{
	uint32_t gen = __atomic_load_n(q->link_gen, __ATOMIC_ACQUIRE);
	uint16_t i;

	/*
	 * The rings of an older generation may lie in memory that is no longer
	 * ours (a restarted server gave us another ID): take the current ones
	 * first. With the link down there is nothing to flag; link-up raises
	 * the rx vectors, and the woken poll comes back here.
	 */
	if (q->gen != gen && !rxq_resync(q, gen))
		return false;
	for (i = 0; i < q->nb_src; i++)
		__atomic_store_n(q->src[i].ring.wake, enable ? q->vector : 0, __ATOMIC_RELAXED);
	if (!enable)
		return false;
	/* Dekker with the producer: flag store, full fence, tail load. */
	rte_atomic_thread_fence(__ATOMIC_SEQ_CST);
	return ivshmem2_rxq_pending(q) != 0;
}

/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/*
 * Tx burst. Hot path rules (also ivshmem2_rx.c): no locks, no system calls
 * (a doorbell goes through IVSHMEM2_OPS(hw)->notify only when the peer
 * published that it sleeps), one acquire load of the peer's index and one
 * release store of our own per burst, bulk mbuf allocation and free.
 */

#include <string.h>

#include <ethdev_driver.h>
#include <rte_atomic.h>
#include <rte_branch_prediction.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "ivshmem2_rxtx.h"

/* Frames ahead whose slot lines are all requested (about 24 lines each at 1518 B). */
#define IVSHMEM2_TX_FILL_AHEAD	2u

/*
 * Take the rings of a new link generation. Returns false while the link is
 * down, or is down for this process (its mapping is older than the rings).
 */
static bool
txq_resync(struct ivshmem2_txq *q, uint32_t gen)
{
	struct ivshmem2_ring_tx ring;

	if (!ivshmem2_gen_up(gen) || !ivshmem2_map_current(q->map_gen, q->port_id))
		return false;
	ring = q->next_ring;
	if (!ivshmem2_gen_still(q->link_gen, gen))
		return false;	/* a link reset is under way: retry next burst */
	/*
	 * Pool segments held: on the same ring, indices go on and the new
	 * consumer's head gives them back in order (a zero-copy consumer's
	 * application may still read them). Rings reset or moved (a
	 * reconnection): nobody reads the old ones any more.
	 */
	if (q->nb_held != 0 && (ring.tail != q->ring.tail ||
				__atomic_load_n(ring.tail, __ATOMIC_RELAXED) != q->tail))
		ivshmem2_txq_held_release(q);
	q->ring = ring;
	/* Our own tail is authoritative: only this queue writes it. */
	q->tail = __atomic_load_n(q->ring.tail, __ATOMIC_RELAXED);
	q->free = 0;	/* read the consumer's head before the first write */
	q->gen = gen;
	return true;
}

/* Pool segments returned to the mempool at once. */
#define IVSHMEM2_TX_FREE_BULK	64u

/*
 * Give back the held segments of entries [q->reclaimed, head), at most @max
 * of them (stopping after the max-th). Returns the segments given back.
 */
static uint32_t
tx_reclaim_to(struct ivshmem2_txq *q, uint32_t head, uint32_t max)
{
	struct rte_mbuf *done[IVSHMEM2_TX_FREE_BULK];
	uint32_t i, n = 0, given = 0, mask = q->ring_size - 1;

	for (i = q->reclaimed; i != head && q->nb_held != 0 && given < max; i++) {
		struct rte_mbuf **cell = &q->held[i & mask];
		struct rte_mbuf *m = __atomic_load_n(cell, __ATOMIC_RELAXED);

		if (m == NULL)
			continue;
		/* The port's rx may take a pool segment over meanwhile (ivshmem2_rx.c). */
		if (q->pool_map != NULL)
			m = __atomic_exchange_n(cell, NULL, __ATOMIC_ACQ_REL);
		else
			*cell = NULL;
		q->nb_held--;
		given++;
		if (m == IVSHMEM2_HELD_TAKEN)
			continue;	/* its reference went with it */
		/* Segments, not chains: the next pointers of held segments are stale. */
		m = rte_pktmbuf_prefree_seg(m);
		if (m == NULL)
			continue;
		if (unlikely(m->pool != q->pool)) {
			/* A returned frame: its zero-copy rx mbuf (now detached). */
			rte_mempool_put(m->pool, m);
			continue;
		}
		done[n++] = m;
		if (n == IVSHMEM2_TX_FREE_BULK) {
			rte_mempool_put_bulk(q->pool, (void **)done, n);
			n = 0;
		}
	}
	if (n != 0)
		rte_mempool_put_bulk(q->pool, (void **)done, n);
	q->reclaimed = given < max ? head : i;
	return given;
}

/*
 * Zero-copy: the entries the consumer's @head passed are read. A head outside
 * [q->reclaimed, tail] (consumer resynchronising, or broken) frees nothing.
 */
static inline uint32_t
tx_reclaim(struct ivshmem2_txq *q, uint32_t tail, uint32_t head, uint32_t max)
{
	if (head - q->reclaimed <= tail - q->reclaimed)
		return tx_reclaim_to(q, head, max);
	return 0;
}

/*
 * True if @need entries fit. @free is what is known free without looking at
 * the peer; only when that is not enough is the consumer's index read (a
 * shared line) and @free refreshed. Entries the consumer passed may still
 * hold pool segments: they are given back before the entries count as free,
 * or their reuse would overwrite (and leak) what they hold.
 */
static inline bool
tx_room(struct ivshmem2_txq *q, uint32_t tail, uint32_t *free, uint32_t need)
{
	uint32_t head;

	if (likely(*free >= need))
		return true;
	head = __atomic_load_n(q->ring.peer_head, __ATOMIC_ACQUIRE);
	if (q->nb_held != 0)
		tx_reclaim(q, tail, head, UINT32_MAX);
	*free = ivshmem2_ring_free(tail, head, q->ring_size);
	return *free >= need;
}

/* Slots a frame's copied bytes are packed into: entry t, open while dst is set. */
struct tx_pack {
	uint8_t *dst;		/**< slot of entry t being filled, NULL if none */
	uint32_t room;		/**< bytes left in it */
	uint32_t off;		/**< bytes in it */
	uint32_t t;		/**< its entry */
};

/*
 * Append @left bytes at @src to the packed slots: a full slot's descriptor
 * is written (MORE) when the next byte needs a new one. Uses the queue's
 * copy variant: the caller fences before it publishes the tail.
 */
static __rte_always_inline void
tx_pack_bytes(struct ivshmem2_txq *q, struct tx_pack *p, const uint8_t *src, uint32_t left)
{
	while (left > 0) {
		uint32_t n;

		if (p->dst == NULL || p->room == 0) {
			if (p->dst != NULL) {
				ivshmem2_ring_desc_write(q->ring.desc, q->ring.pool_ref,
							 p->t & q->ring.mask,
							 IVSHMEM2_NET_SLOT_SIZE,
							 IVSHMEM2_NET_DESC_MORE, 0);
				p->t++;
			}
			p->dst = ivshmem2_ring_slot(q->ring.slots, q->ring.mask, p->t);
			p->room = IVSHMEM2_NET_SLOT_SIZE;
			p->off = 0;
		}
		n = RTE_MIN(left, p->room);
		ivshmem2_copy_slot(q->copy, p->dst + p->off, src, n);
		p->off += n;
		p->room -= n;
		src += n;
		left -= n;
	}
}

/* Write the descriptor of the open slot, if any (@flags: MORE when more entries follow). */
static __rte_always_inline void
tx_pack_close(struct ivshmem2_txq *q, struct tx_pack *p, uint16_t flags)
{
	if (p->dst == NULL)
		return;
	ivshmem2_ring_desc_write(q->ring.desc, q->ring.pool_ref, p->t & q->ring.mask,
				 (uint16_t)p->off, flags, 0);
	p->t++;
	p->dst = NULL;
}

/* Copy a multi-segment or large mbuf into a chain of slots. */
static __rte_noinline int
tx_copy_chain(struct ivshmem2_txq *q, struct rte_mbuf *m, uint32_t *tail, uint32_t *free)
{
	uint32_t len = m->pkt_len;
	uint32_t need = (len + IVSHMEM2_NET_SLOT_SIZE - 1) / IVSHMEM2_NET_SLOT_SIZE;
	struct tx_pack p = { .dst = NULL, .t = *tail };

	if (!tx_room(q, p.t, free, need))
		return -1;
	for (; m != NULL; m = m->next)
		tx_pack_bytes(q, &p, rte_pktmbuf_mtod(m, const uint8_t *), m->data_len);
	tx_pack_close(q, &p, 0);
	*free -= p.t - *tail;
	*tail = p.t;
	return 0;
}

void
ivshmem2_txq_held_release(struct ivshmem2_txq *q)
{
	if (q->held != NULL && q->nb_held != 0)
		tx_reclaim_to(q, q->reclaimed + q->ring_size, UINT32_MAX);
	q->nb_held = 0;
}

/* Give back the held segments the peer's head passed, if @gen is the rings' generation. */
static uint32_t
tx_reclaim_passed(struct ivshmem2_txq *q, uint32_t gen, uint32_t max)
{
	if (q->nb_held == 0 || gen != q->gen || !ivshmem2_gen_up(gen))
		return 0;
	return tx_reclaim(q, q->tail, __atomic_load_n(q->ring.peer_head, __ATOMIC_ACQUIRE), max);
}

void
ivshmem2_txq_reclaim_idle(struct ivshmem2_txq *q)
{
	uint32_t gen;

	if (!q->returns || !rte_spinlock_trylock(&q->held_lock))
		return;
	gen = __atomic_load_n(q->link_gen, __ATOMIC_ACQUIRE);
	/* New rings: taken as a burst would (rings reset: all given back). */
	if (q->nb_held != 0 && gen != q->gen)
		txq_resync(q, gen);
	tx_reclaim_passed(q, gen, UINT32_MAX);
	rte_spinlock_unlock(&q->held_lock);
}

int
ivshmem2_tx_done_cleanup(void *queue, uint32_t free_cnt)
{
	struct ivshmem2_txq *q = queue;
	uint32_t gen = __atomic_load_n(q->link_gen, __ATOMIC_ACQUIRE);
	uint32_t given;

	if (q->returns)
		rte_spinlock_lock(&q->held_lock);
	/* Copied frames are freed in their burst: only held pool segments are left. */
	given = tx_reclaim_passed(q, gen, free_cnt == 0 ? UINT32_MAX : free_cnt);
	if (q->returns)
		rte_spinlock_unlock(&q->held_lock);
	return (int)given;
}

/* True if segment @m lies in the queue's pool area: a direct mbuf of the pool. */
static inline bool
tx_seg_pooled(const struct ivshmem2_txq *q, const struct rte_mbuf *m)
{
	uintptr_t off;

	if (likely(m->pool != q->pool))
		return false;
	off = rte_pktmbuf_mtod(m, uintptr_t) - q->pool_base;
	return !RTE_MBUF_CLONED(m) && m->data_len > 0 && off <= q->pool_size &&
	       m->data_len <= q->pool_size - off;
}

/* Descriptors tx_pool_frame() posts for @m (pool segments as given, other bytes packed). */
static uint32_t
tx_pool_frame_descs(const struct ivshmem2_txq *q, const struct rte_mbuf *m)
{
	uint32_t need = 0, room = 0;

	for (; m != NULL; m = m->next) {
		uint32_t left = m->data_len, k;

		if (tx_seg_pooled(q, m)) {
			need++;
			room = 0;	/* the next copied byte opens a new slot */
			continue;
		}
		if (left <= room) {
			room -= left;
			continue;
		}
		left -= room;
		k = (left + IVSHMEM2_NET_SLOT_SIZE - 1) / IVSHMEM2_NET_SLOT_SIZE;
		need += k;
		room = k * IVSHMEM2_NET_SLOT_SIZE - left;
	}
	return need;
}

/*
 * Note that entry @entry holds pool segment @m: a RETURN of its buffer finds
 * the entry there. Published with the descriptor (the tail's release).
 */
static __rte_always_inline void
tx_pool_posting(struct ivshmem2_txq *q, const struct rte_mbuf *m, uint32_t entry)
{
	struct ivshmem2_pool_map *map = q->pool_map;
	uint32_t b = rte_reciprocal_divide((uint32_t)((uintptr_t)m->buf_addr - q->pool_base),
					   map->elt_div);

	if (likely(b < map->nb))
		__atomic_store_n(&map->posting[b],
				 ivshmem2_pool_posting(q->port_id, q->queue_id, entry),
				 __ATOMIC_RELAXED);
}

/*
 * A frame with a segment of the queue's pool: each pool segment is posted as
 * a POOL descriptor and held until the consumer's head passes it; the other
 * segments are copied into slots and freed. Returns -1 (ring full: nothing
 * posted), 0 (copied whole: the caller frees @m) or 1 (@m consumed).
 */
static __rte_noinline int
tx_pool_frame(struct ivshmem2_txq *q, struct rte_mbuf *m, uint32_t *tail, uint32_t *free)
{
	uint32_t need = tx_pool_frame_descs(q, m), mask = q->ring.mask;
	struct tx_pack p = { .dst = NULL, .t = *tail };
	struct rte_mbuf *next;

	if (need > IVSHMEM2_NET_MAX_CHAIN)
		return tx_copy_chain(q, m, tail, free);	/* many small segments: pack them */
	if (!tx_room(q, p.t, free, need))
		return -1;
	if (q->nb_held == 0)
		q->reclaimed = p.t;	/* nothing held below: skip the empty entries */
	for (; m != NULL; m = next) {
		const uint8_t *src = rte_pktmbuf_mtod(m, const uint8_t *);

		next = m->next;
		if (!tx_seg_pooled(q, m)) {
			tx_pack_bytes(q, &p, src, m->data_len);
			rte_pktmbuf_free_seg(m);
			continue;
		}
		tx_pack_close(q, &p, IVSHMEM2_NET_DESC_MORE);
		ivshmem2_ring_desc_write(q->ring.desc, q->ring.pool_ref, p.t & mask, m->data_len,
					 IVSHMEM2_NET_DESC_POOL |
					 (p.t + 1 - *tail < need ? IVSHMEM2_NET_DESC_MORE : 0),
					 (uint32_t)((uintptr_t)src - q->pool_base));
		__atomic_store_n(&q->held[p.t & mask], m, __ATOMIC_RELAXED);
		if (q->pool_map != NULL)
			tx_pool_posting(q, m, p.t & mask);
		q->nb_held++;
		q->pool_posted++;
		p.t++;
	}
	tx_pack_close(q, &p, 0);
	*free -= p.t - *tail;
	*tail = p.t;
	return 1;
}

/*
 * True if @m's bytes lie in the peer's pool area, i.e. @m is a frame of the
 * peer's pool that our zero-copy rx attached (only it maps them into an
 * mbuf), and nothing else of ours refers to them: the peer can take it back
 * as a RETURN entry, and reuse the buffer as soon as it read the entry. Sets
 * @off.
 */
static __rte_always_inline bool
tx_returnable(const struct ivshmem2_txq *q, const struct rte_mbuf *m, uint32_t *off)
{
	uintptr_t o = rte_pktmbuf_mtod(m, uintptr_t) - (uintptr_t)q->ring.peer_pool;

	*off = (uint32_t)o;
	return m->nb_segs == 1 && o <= q->ring.pool_size &&
	       m->data_len <= q->ring.pool_size - o && RTE_MBUF_HAS_EXTBUF(m) &&
	       rte_mbuf_refcnt_read(m) == 1 && rte_mbuf_ext_refcnt_read(m->shinfo) == 1;
}

/*
 * Send @m back where it came from: a RETURN entry at @off in the peer's pool
 * area, no copy. @m is held (and with it the peer's entry our rx has not
 * consumed) until the peer's head passes ours. Returns -1 (ring full) or 1.
 */
static __rte_noinline int
tx_return_frame(struct ivshmem2_txq *q, struct rte_mbuf *m, uint32_t off, uint32_t *tail,
		uint32_t *free)
{
	uint32_t entry = *tail & q->ring.mask;

	if (!tx_room(q, *tail, free, 1))
		return -1;
	if (q->nb_held == 0)
		q->reclaimed = *tail;	/* nothing held below: skip the empty entries */
	ivshmem2_ring_desc_write(q->ring.desc, q->ring.pool_ref, entry, m->data_len,
				 IVSHMEM2_NET_DESC_RETURN, off);
	q->held[entry] = m;
	q->nb_held++;
	q->returned++;
	(*tail)++;
	(*free)--;
	return 1;
}

static __rte_always_inline uint16_t
tx_burst(struct ivshmem2_txq *q, struct rte_mbuf **pkts, uint16_t nb_pkts)
{
	uint32_t gen = __atomic_load_n(q->link_gen, __ATOMIC_ACQUIRE);
	uint32_t tail, free, mask, wake;
	uint64_t bytes = 0;
	uint16_t i, sent = 0;
	/* Frames from here on are streamed (non-temporal) by the queue's variant. */
	uint32_t stream_min = ivshmem2_copy_streams(q->copy) ? IVSHMEM2_COPY_STREAM_MIN :
							      UINT32_MAX;
	bool streamed = false;
	/*
	 * While every sent mbuf is plain (direct, one segment, one reference,
	 * the first one's pool) the burst frees them with one bulk put, without
	 * reading their second lines as rte_pktmbuf_free_bulk() would.
	 */
	struct rte_mempool *free_pool = nb_pkts != 0 ? pkts[0]->pool : NULL;
	bool plain = free_pool != NULL;

	if (unlikely(gen != q->gen) && !txq_resync(q, gen)) {
		q->link_down += nb_pkts;	/* the caller keeps (and usually drops) them */
		return 0;
	}
	tail = q->tail;
	free = q->free;
	mask = q->ring.mask;
	if (unlikely(q->nb_held != 0)) {
		uint32_t head = __atomic_load_n(q->ring.peer_head, __ATOMIC_ACQUIRE);

		tx_reclaim(q, tail, head, UINT32_MAX);
		free = ivshmem2_ring_free(tail, head, q->ring_size);
	}
	tx_room(q, tail, &free, nb_pkts);	/* short: the loop stops where it is full */
	/*
	 * Ownership of the burst's slot lines, asked for at once so that the
	 * RFOs overlap; a streamed frame needs none (fetching the line would
	 * cost the cross-core miss the non-temporal stores avoid).
	 */
	for (i = 0; i < RTE_MIN(free, RTE_MIN((uint32_t)nb_pkts, IVSHMEM2_PREFETCH_BURST)); i++)
		if (pkts[i]->pkt_len < stream_min)
			rte_prefetch0_write(ivshmem2_ring_slot(q->ring.slots, mask, tail + i));
	for (i = 0; i < nb_pkts; i++) {
		struct rte_mbuf *m = pkts[i];
		uint32_t len = m->pkt_len, off;
		int ret;

		/* Bursts longer than the window: one more line per frame, within the burst. */
		if (unlikely(i + IVSHMEM2_PREFETCH_BURST < nb_pkts) && free > IVSHMEM2_PREFETCH_BURST &&
		    pkts[i + IVSHMEM2_PREFETCH_BURST]->pkt_len < stream_min)
			rte_prefetch0_write(ivshmem2_ring_slot(q->ring.slots, mask,
							       tail + IVSHMEM2_PREFETCH_BURST));

		if (unlikely(m->pool == q->pool) && len >= IVSHMEM2_TX_POOL_MIN &&
		    len <= IVSHMEM2_NET_MAX_FRAME) {
			/* Zero-copy pool (its first segment decides; q->pool NULL: never). */
			uint32_t t = tail, f = free;	/* tail, free stay in registers */

			ret = tx_pool_frame(q, m, &t, &f);

			tail = t;
			free = f;
			plain = false;
			if (ret < 0)
				break;
			if (ret > 0)
				pkts[i] = NULL;	/* held or freed segment by segment */
			streamed |= len >= stream_min;
		} else if (unlikely(len >= IVSHMEM2_TX_POOL_MIN && tx_returnable(q, m, &off))) {
			uint32_t t = tail, f = free;

			ret = tx_return_frame(q, m, off, &t, &f);
			tail = t;
			free = f;
			plain = false;
			if (ret < 0)
				break;
			pkts[i] = NULL;	/* held */
		} else if (likely(m->nb_segs == 1 && len <= IVSHMEM2_NET_SLOT_SIZE && len > 0)) {
			if (unlikely(free == 0))
				break;
			/*
			 * A frame's lines past its first, if it is not streamed
			 * (streamed lines need no ownership): none when every
			 * frame of more than a line streams.
			 */
			if (stream_min > RTE_CACHE_LINE_SIZE &&
			    i + IVSHMEM2_TX_FILL_AHEAD < nb_pkts && free > IVSHMEM2_TX_FILL_AHEAD) {
				uint32_t ahead = pkts[i + IVSHMEM2_TX_FILL_AHEAD]->data_len;

				if (ahead < stream_min)
					ivshmem2_slot_prefetch_lines(ivshmem2_ring_slot(q->ring.slots,
							mask, tail + IVSHMEM2_TX_FILL_AHEAD), ahead, true);
			}
			streamed |= len >= stream_min;
			plain &= m->pool == free_pool && RTE_MBUF_DIRECT(m) &&
				 rte_mbuf_refcnt_read(m) == 1;
			ivshmem2_copy_slot(q->copy, ivshmem2_ring_slot(q->ring.slots, mask, tail),
					   rte_pktmbuf_mtod(m, const void *), len);
			ivshmem2_ring_desc_write(q->ring.desc, q->ring.pool_ref, tail & mask,
						 (uint16_t)len, 0, 0);
			tail++;
			free--;
		} else if (len == 0 || len > IVSHMEM2_NET_MAX_FRAME) {
			q->oversize++;
			rte_pktmbuf_free(m);
			pkts[i] = NULL;
			plain = false;
			continue;
		} else {
			uint32_t t = tail, f = free;

			ret = tx_copy_chain(q, m, &t, &f);

			tail = t;
			free = f;
			plain = false;
			if (ret != 0)
				break;
			streamed |= len >= stream_min;
		}
		bytes += len;
		sent++;
	}
	q->free = free;
	if (unlikely(i < nb_pkts))
		q->ring_full += nb_pkts - i;
	if (tail == q->tail)
		goto out;

	/* Release does not order non-temporal stores: one fence for the whole burst. */
	if (streamed)
		ivshmem2_copy_fence();
	__atomic_store_n(q->ring.tail, tail, __ATOMIC_RELEASE);
	q->pkts += sent;
	q->bytes += bytes;
	q->tail = tail;
	/* Dekker with the consumer's "wake me" store: tail store, full fence, flag load. */
	rte_atomic_thread_fence(__ATOMIC_SEQ_CST);
	wake = __atomic_load_n(q->ring.peer_wake, __ATOMIC_RELAXED);
	if (unlikely(wake != 0)) {
		if (wake < q->vectors) {
			/* The doorbell fds are per process: this process's attachment. */
			struct ivshmem2_hw *hw = rte_eth_devices[q->port_id].process_private;

			IVSHMEM2_OPS(hw)->notify(hw, q->remote, wake);
			q->doorbells++;
		}
	} else {
		q->doorbells_suppressed++;
	}
out:
	if (likely(plain))
		rte_mempool_put_bulk(free_pool, (void **)pkts, i);
	else
		rte_pktmbuf_free_bulk(pkts, i);
	return i;
}

static __rte_noinline uint16_t
tx_burst_returns(struct ivshmem2_txq *q, struct rte_mbuf **pkts, uint16_t nb_pkts)
{
	uint16_t sent;

	rte_spinlock_lock(&q->held_lock);
	sent = tx_burst(q, pkts, nb_pkts);
	rte_spinlock_unlock(&q->held_lock);
	return sent;
}

uint16_t
ivshmem2_tx_burst(void *queue, struct rte_mbuf **pkts, uint16_t nb_pkts)
{
	struct ivshmem2_txq *q = queue;

	if (unlikely(q->returns))
		return tx_burst_returns(q, pkts, nb_pkts);
	return tx_burst(q, pkts, nb_pkts);
}

uint32_t
ivshmem2_txq_pending(const struct ivshmem2_txq *q)
{
	uint32_t used;

	if (q->gen != __atomic_load_n(q->link_gen, __ATOMIC_ACQUIRE) || !ivshmem2_gen_up(q->gen))
		return 0;
	used = q->tail - __atomic_load_n(q->ring.peer_head, __ATOMIC_ACQUIRE);
	return used <= q->ring_size ? used : 0;	/* a broken head: nothing to wait for */
}

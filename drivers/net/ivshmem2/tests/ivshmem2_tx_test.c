/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/*
 * tx_burst on a ring in private memory, with the consumer's side played by
 * the test: cases where the outcome depends on which indices the producer
 * reads, so timing cannot hide them. Run by tests/pmd/test_ring_unit.py.
 */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "ivshmem2_rxtx.h"

#include "burst_test.h"

#define RING_SIZE	16u
#define JUMBO_LEN	9000u	/* 5 slots */

static struct ivshmem2_net_desc desc[RING_SIZE];
static uint32_t pool_ref[RING_SIZE];
static uint8_t slots[RING_SIZE * IVSHMEM2_NET_SLOT_STRIDE];
static uint32_t tail, peer_head, peer_wake, link_gen = 1;


static void
txq_init(struct ivshmem2_txq *q)
{
	memset(q, 0, sizeof(*q));
	q->ring.desc = desc;
	q->ring.pool_ref = pool_ref;
	q->ring.slots = slots;
	q->ring.tail = &tail;
	q->ring.peer_head = &peer_head;
	q->ring.peer_wake = &peer_wake;
	q->ring.mask = RING_SIZE - 1;
	q->ring_size = RING_SIZE;
	q->link_gen = &link_gen;
	q->gen = link_gen;
}

/* A frame of @len bytes in @seg_size segments. */
static struct rte_mbuf *
chain(struct rte_mempool *mp, uint32_t len, uint16_t seg_size)
{
	struct rte_mbuf *head = NULL;

	while (len > 0) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
		uint16_t n = RTE_MIN(len, (uint32_t)seg_size);

		if (m == NULL || rte_pktmbuf_append(m, n) == NULL)
			return NULL;
		memset(rte_pktmbuf_mtod(m, void *), 0x5a, n);
		if (head == NULL)
			head = m;
		else if (rte_pktmbuf_chain(head, m) != 0)
			return NULL;
		len -= n;
	}
	return head;
}

/*
 * Offer one jumbo frame (10 segments of 1000 bytes) at tail 12 with the
 * consumer's index at @head and a cached free count of 4: enough for one
 * packet, not for the 5 slots the frame needs. Returns the frames sent.
 */
static uint16_t
send_jumbo(struct ivshmem2_txq *q, struct rte_mempool *mp, uint32_t head)
{
	struct rte_mbuf *m = chain(mp, JUMBO_LEN, 1000);
	uint16_t sent;

	txq_init(q);
	tail = 12;
	peer_head = head;
	q->tail = tail;
	q->free = 4;
	CHECK(m != NULL, "no mbufs");
	if (m == NULL)
		return 0;
	sent = ivshmem2_tx_burst(q, &m, 1);
	if (sent == 0)
		rte_pktmbuf_free(m);
	return sent;
}

/* The consumer has in fact emptied the ring: look again instead of stalling. */
static void
test_jumbo_rereads_consumer_index(struct rte_mempool *mp)
{
	struct ivshmem2_txq q;
	uint16_t sent = send_jumbo(&q, mp, 12);

	CHECK(sent == 1, "jumbo frame refused with an empty ring (sent %u)", sent);
	CHECK(tail == 17, "tail %u, expected 17 (5 slots)", tail);
	CHECK(q.ring_full == 0, "ring_full %" PRIu64, q.ring_full);
}

/* Only 4 slots are really free: the frame is refused and counted. */
static void
test_jumbo_refused_when_full(struct rte_mempool *mp)
{
	struct ivshmem2_txq q;
	uint16_t sent = send_jumbo(&q, mp, 12 - RING_SIZE + 4);

	CHECK(sent == 0, "jumbo frame sent into 4 free slots");
	CHECK(tail == 12, "tail moved to %u", tail);
	CHECK(q.ring_full == 1, "ring_full %" PRIu64, q.ring_full);
}

/*
 * Copied frames go back to their pools in their burst: with one bulk put
 * while all are plain (one pool, direct, one reference), each by its own
 * rules otherwise. Each burst below mixes a plain mbuf with one that is not.
 */
static void
test_copied_frames_freed(struct rte_mempool *mp)
{
	struct rte_mempool *other = rte_pktmbuf_pool_create("tx_test_other", 64, 0, 0,
							    RTE_MBUF_DEFAULT_BUF_SIZE,
							    SOCKET_ID_ANY);
	unsigned int avail = rte_mempool_avail_count(mp);
	struct rte_mbuf *m[4], *kept;
	struct ivshmem2_txq q;
	unsigned int k;

	CHECK(other != NULL, "second pool");
	if (other == NULL)
		return;
	txq_init(&q);
	tail = peer_head = 0;
	for (k = 0; k < 4; k++)
		m[k] = chain(mp, 60 + k, 2048);
	CHECK(ivshmem2_tx_burst(&q, m, 4) == 4 && tail == 4, "plain burst: tail %u", tail);
	CHECK(rte_mempool_avail_count(mp) == avail, "plain burst: %u of %u mbufs back",
	      rte_mempool_avail_count(mp), avail);

	/* A second reference: only dropped. */
	kept = chain(mp, 100, 2048);
	m[0] = chain(mp, 60, 2048);
	m[1] = kept;
	CHECK(kept != NULL && m[0] != NULL, "refcnt burst: mbufs");
	if (kept == NULL || m[0] == NULL)
		return;
	rte_mbuf_refcnt_update(kept, 1);	/* the caller keeps a reference */
	CHECK(ivshmem2_tx_burst(&q, m, 2) == 2 && tail == 6, "refcnt burst: tail %u", tail);
	CHECK(rte_mbuf_refcnt_read(kept) == 1 && rte_mempool_avail_count(mp) == avail - 1,
	      "refcnt burst: refcnt %u, %u of %u mbufs back", rte_mbuf_refcnt_read(kept),
	      rte_mempool_avail_count(mp), avail - 1);

	/* A clone: detached, freed, and the reference it held on @kept dropped. */
	m[0] = chain(mp, 60, 2048);
	m[1] = rte_pktmbuf_clone(kept, mp);
	CHECK(m[0] != NULL && m[1] != NULL, "clone burst: mbufs");
	if (m[0] == NULL || m[1] == NULL)
		return;
	CHECK(ivshmem2_tx_burst(&q, m, 2) == 2 && tail == 8, "clone burst: tail %u", tail);
	CHECK(desc[7].len == 100 && memcmp(slots + 7 * IVSHMEM2_NET_SLOT_STRIDE,
					   rte_pktmbuf_mtod(kept, void *), 100) == 0,
	      "clone's bytes");
	CHECK(rte_mbuf_refcnt_read(kept) == 1 && rte_mempool_avail_count(mp) == avail - 1,
	      "clone burst: refcnt %u, %u of %u mbufs back", rte_mbuf_refcnt_read(kept),
	      rte_mempool_avail_count(mp), avail - 1);
	rte_pktmbuf_free(kept);

	/* Another pool: each mbuf to its own. */
	m[0] = chain(mp, 60, 2048);
	m[1] = chain(other, 60, 2048);
	CHECK(m[0] != NULL && m[1] != NULL, "two pools: mbufs");
	if (m[0] == NULL || m[1] == NULL)
		return;
	CHECK(ivshmem2_tx_burst(&q, m, 2) == 2 && tail == 10, "two pools: tail %u", tail);
	CHECK(rte_mempool_avail_count(mp) == avail && rte_mempool_avail_count(other) == 64,
	      "two pools: %u of %u, other %u of 64", rte_mempool_avail_count(mp), avail,
	      rte_mempool_avail_count(other));
	rte_mempool_free(other);
}

/* Zero-copy tx: a pool whose buffers are a private "pool area". */
#define POOL_N		64u
#define POOL_ELT	2176u	/* RTE_MBUF_DEFAULT_BUF_SIZE, cache aligned */

static struct rte_mempool *zpool;
static uint8_t *zarea;
static struct rte_mbuf *held[RING_SIZE];

static void
txq_pool_init(struct ivshmem2_txq *q)
{
	txq_init(q);
	memset(held, 0, sizeof(held));
	q->pool = zpool;
	q->pool_base = (uintptr_t)zarea;
	q->pool_size = POOL_N * POOL_ELT;
	q->held = held;
	tail = peer_head = 0;
	q->tail = 0;
}

static unsigned int
zpool_out(void)
{
	return POOL_N - rte_mempool_avail_count(zpool);
}

static void
check_pool_desc(uint32_t idx, const struct rte_mbuf *m, uint16_t flags)
{
	const struct ivshmem2_net_desc *d = &desc[idx & (RING_SIZE - 1)];
	uint32_t ref = pool_ref[idx & (RING_SIZE - 1)];
	uintptr_t off = rte_pktmbuf_mtod(m, uintptr_t) - (uintptr_t)zarea;

	CHECK(d->flags == (IVSHMEM2_NET_DESC_POOL | flags) && d->len == m->data_len &&
	      ref == off, "entry %u: len %u flags %#x offset %u, expected %u %#x %" PRIuPTR,
	      idx, d->len, d->flags, ref, m->data_len, IVSHMEM2_NET_DESC_POOL | flags, off);
}

/* Pool mbufs are posted by offset and held; others copied; given back in order. */
static void
test_pool_posted_held_reclaimed(struct rte_mempool *mp)
{
	struct ivshmem2_txq q;
	struct rte_mbuf *m[4];
	uint16_t sent;

	txq_pool_init(&q);
	m[0] = chain(zpool, IVSHMEM2_TX_POOL_MIN, 2048);
	m[1] = chain(mp, 100, 2048);
	m[2] = chain(zpool, 1500, 2048);
	m[3] = chain(zpool, 2000, 2048);
	CHECK(m[0] && m[1] && m[2] && m[3], "no mbufs");
	if (!(m[0] && m[1] && m[2] && m[3]))
		return;
	memset(rte_pktmbuf_mtod(m[1], void *), 0x11, 100);
	sent = ivshmem2_tx_burst(&q, m, 4);
	CHECK(sent == 4 && tail == 4, "sent %u, tail %u", sent, tail);
	check_pool_desc(0, held[0], 0);
	CHECK(desc[1].flags == 0 && desc[1].len == 100 && slots[IVSHMEM2_NET_SLOT_STRIDE] == 0x11,
	      "the other pool's mbuf is copied into its slot");
	check_pool_desc(2, held[2], 0);
	check_pool_desc(3, held[3], 0);
	CHECK(held[1] == NULL && q.nb_held == 3 && zpool_out() == 3 && q.pool_posted == 3,
	      "held %u, out %u", q.nb_held, zpool_out());
	/* The consumer took two entries: the first pool mbuf comes back, not the third. */
	peer_head = 2;
	ivshmem2_tx_burst(&q, m, 0);
	CHECK(q.nb_held == 2 && zpool_out() == 2 && held[0] == NULL && held[2] != NULL,
	      "after head 2: held %u, out %u", q.nb_held, zpool_out());
	/* tx_done_cleanup without a burst: nothing new consumed, nothing back. */
	CHECK(ivshmem2_tx_done_cleanup(&q, 0) == 0 && q.nb_held == 2, "cleanup freed early");
	/* Both consumed, one asked for: one back; then the rest. */
	peer_head = 4;
	CHECK(ivshmem2_tx_done_cleanup(&q, 1) == 1 && q.nb_held == 1 && zpool_out() == 1 &&
	      held[2] == NULL && held[3] != NULL, "cleanup of 1: held %u", q.nb_held);
	CHECK(ivshmem2_tx_done_cleanup(&q, 0) == 1 && q.nb_held == 0 && zpool_out() == 0,
	      "cleanup of all: held %u", q.nb_held);
	/* Held again (the same mbufs back on entries 4-5: their slots are free). */
	m[0] = chain(zpool, 1000, 2048);
	m[1] = chain(zpool, 1000, 2048);
	if (m[0] == NULL || m[1] == NULL)
		return;
	CHECK(ivshmem2_tx_burst(&q, m, 2) == 2 && q.nb_held == 2, "held %u", q.nb_held);
	/* A head outside [reclaimed, tail] frees nothing. */
	peer_head = 2 - RING_SIZE;
	ivshmem2_tx_burst(&q, m, 0);
	peer_head = 9;
	ivshmem2_tx_burst(&q, m, 0);
	CHECK(q.nb_held == 2 && zpool_out() == 2, "a bad head freed: held %u", q.nb_held);
	peer_head = 6;
	ivshmem2_tx_burst(&q, m, 0);
	CHECK(q.nb_held == 0 && zpool_out() == 0, "all consumed: held %u, out %u", q.nb_held,
	      zpool_out());
	/* A short pool frame is copied and freed at once. */
	m[0] = chain(zpool, IVSHMEM2_TX_POOL_MIN - 1, 2048);
	if (m[0] == NULL)
		return;
	memset(rte_pktmbuf_mtod(m[0], void *), 0x33, IVSHMEM2_TX_POOL_MIN - 1);
	CHECK(ivshmem2_tx_burst(&q, m, 1) == 1 && desc[6].flags == 0 &&
	      desc[6].len == IVSHMEM2_TX_POOL_MIN - 1 &&
	      slots[6 * IVSHMEM2_NET_SLOT_STRIDE] == 0x33 && q.nb_held == 0 &&
	      zpool_out() == 0 && q.pool_posted == 5, "short pool frame: flags %#x held %u",
	      desc[6].flags, q.nb_held);
}

/* A jumbo frame in pool mbufs: a POOL descriptor per segment, MORE on all but the last. */
static void
test_pool_jumbo_chain(void)
{
	struct ivshmem2_txq q;
	struct rte_mbuf *m;
	uint32_t i;

	txq_pool_init(&q);
	m = chain(zpool, JUMBO_LEN, 2048);
	CHECK(m != NULL && m->nb_segs == 5, "no chain");
	if (m == NULL)
		return;
	CHECK(ivshmem2_tx_burst(&q, &m, 1) == 1 && tail == 5, "tail %u", tail);
	for (i = 0; i < 5; i++)
		check_pool_desc(i, held[i], i < 4 ? IVSHMEM2_NET_DESC_MORE : 0);
	CHECK(desc[4].len == JUMBO_LEN - 4 * 2048, "last segment %u", desc[4].len);
	CHECK(q.nb_held == 5 && zpool_out() == 5, "held %u", q.nb_held);
	/* The consumer stops half-way through the frame: only its first segments come back. */
	peer_head = 3;
	ivshmem2_tx_burst(&q, &m, 0);
	CHECK(q.nb_held == 2 && zpool_out() == 2, "held %u", q.nb_held);
	ivshmem2_txq_held_release(&q);	/* dev_stop */
	CHECK(q.nb_held == 0 && zpool_out() == 0, "after release: out %u", zpool_out());
}

/* A chain mixing pool and other segments: POOL, slot, POOL; the copied one is freed at once. */
static void
test_pool_mixed_chain(struct rte_mempool *mp)
{
	struct ivshmem2_txq q;
	struct rte_mbuf *a, *b, *c, *first;
	unsigned int mp_avail = rte_mempool_avail_count(mp);

	txq_pool_init(&q);
	a = chain(zpool, 1000, 2048);
	b = chain(mp, 300, 2048);
	c = chain(zpool, 700, 2048);
	CHECK(a && b && c, "no mbufs");
	if (!(a && b && c))
		return;
	memset(rte_pktmbuf_mtod(b, void *), 0x22, 300);
	CHECK(rte_pktmbuf_chain(a, b) == 0 && rte_pktmbuf_chain(a, c) == 0, "chain");
	first = a;
	CHECK(ivshmem2_tx_burst(&q, &a, 1) == 1 && tail == 3, "tail %u", tail);
	CHECK(a == NULL, "a frame the queue holds is not the caller's any more");
	check_pool_desc(0, held[0], IVSHMEM2_NET_DESC_MORE);
	CHECK(held[0] == first && held[1] == NULL && held[2] == c, "held entries");
	CHECK(desc[1].flags == IVSHMEM2_NET_DESC_MORE && desc[1].len == 300 &&
	      slots[IVSHMEM2_NET_SLOT_STRIDE + 299] == 0x22, "copied middle segment");
	check_pool_desc(2, c, 0);
	CHECK(rte_mempool_avail_count(mp) == mp_avail, "the copied segment was not freed");
	/* Its data outside the queue's pool area (a smaller area): copied, not posted. */
	peer_head = 3;
	ivshmem2_tx_burst(&q, &a, 0);
	CHECK(zpool_out() == 0, "out %u", zpool_out());
	a = chain(zpool, 600, 2048);
	if (a == NULL)
		return;
	q.pool_size = (uint32_t)(rte_pktmbuf_mtod(a, uintptr_t) - q.pool_base) + 599;
	CHECK(ivshmem2_tx_burst(&q, &a, 1) == 1 && desc[3].flags == 0 && desc[3].len == 600 &&
	      q.nb_held == 0 && zpool_out() == 0, "outside the area: flags %#x held %u",
	      desc[3].flags, q.nb_held);
}

/*
 * New link generation: on the same ring the held mbufs wait for the new
 * consumer's head; on rings reset by a reconnection they are all given back.
 */
static void
test_pool_resync(void)
{
	static uint32_t other_tail;
	struct ivshmem2_txq q;
	struct rte_mbuf *m[3];

	txq_pool_init(&q);
	m[0] = chain(zpool, IVSHMEM2_TX_POOL_MIN, 2048);
	m[1] = chain(zpool, 1500, 2048);
	m[2] = chain(zpool, 1500, 2048);
	CHECK(ivshmem2_tx_burst(&q, m, 3) == 3 && q.nb_held == 3, "held %u", q.nb_held);
	q.next_ring = q.ring;
	link_gen += 2;
	peer_head = 3 - RING_SIZE;	/* a zero-copy consumer's start: one ring back */
	ivshmem2_tx_burst(&q, m, 0);
	CHECK(q.gen == link_gen && q.nb_held == 3, "same ring: held %u", q.nb_held);
	peer_head = 3;
	ivshmem2_tx_burst(&q, m, 0);
	CHECK(q.nb_held == 0 && zpool_out() == 0, "same ring, consumed: out %u", zpool_out());

	m[0] = chain(zpool, IVSHMEM2_TX_POOL_MIN, 2048);
	m[1] = chain(zpool, 1500, 2048);
	CHECK(ivshmem2_tx_burst(&q, m, 2) == 2 && q.nb_held == 2, "held %u", q.nb_held);
	other_tail = 0;
	q.next_ring = q.ring;
	q.next_ring.tail = &other_tail;	/* the section was re-initialised */
	link_gen += 2;
	peer_head = 0;
	ivshmem2_tx_burst(&q, m, 0);
	CHECK(q.nb_held == 0 && zpool_out() == 0, "rings reset: out %u", zpool_out());
	link_gen -= 4;
}

#define PEER_POOL	8192u	/* the peer's pool area; the bytes after it are not */

static uint8_t peer_area[2 * PEER_POOL];
static unsigned int peer_frees;

static void
peer_buf_free(void *addr __rte_unused, void *opaque __rte_unused)
{
	peer_frees++;
}

/* An mbuf of @mp attached to @len bytes at @off of the peer's area (as zero-copy rx does). */
static struct rte_mbuf *
peer_frame(struct rte_mempool *mp, struct rte_mbuf_ext_shared_info *shinfo, uint32_t off,
	   uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);

	if (m == NULL)
		return NULL;
	shinfo->free_cb = peer_buf_free;
	shinfo->fcb_opaque = NULL;
	rte_mbuf_ext_refcnt_set(shinfo, 1);
	rte_pktmbuf_attach_extbuf(m, peer_area + off, RTE_BAD_IOVA, len, shinfo);
	m->data_off = 0;
	m->data_len = len;
	m->pkt_len = len;
	return m;
}

/*
 * Frames of the peer's pool area go back as RETURN entries and are held
 * until the peer's head passes them; short ones, chains, bytes past the
 * area and frames the application still shares are copied and freed at once.
 */
static void
test_return_peer_frames(struct rte_mempool *mp)
{
	static struct rte_mbuf_ext_shared_info shinfo[6];
	unsigned int avail = rte_mempool_avail_count(mp);
	struct rte_mbuf *clone;
	struct ivshmem2_txq q;
	struct rte_mbuf *m[4];

	txq_init(&q);
	memset(held, 0, sizeof(held));
	q.held = held;
	q.ring.peer_pool = peer_area;
	q.ring.pool_size = PEER_POOL;
	tail = peer_head = 0;
	peer_frees = 0;
	memset(peer_area, 0x77, sizeof(peer_area));
	m[0] = peer_frame(mp, &shinfo[0], 1024, 1500);
	m[1] = peer_frame(mp, &shinfo[1], 0, IVSHMEM2_TX_POOL_MIN - 1);
	m[2] = peer_frame(mp, &shinfo[2], PEER_POOL - 600, 600);	/* ends at the end */
	m[3] = peer_frame(mp, &shinfo[3], PEER_POOL - 599, 600);	/* one byte past it */
	CHECK(m[0] && m[1] && m[2] && m[3], "no mbufs");
	if (!(m[0] && m[1] && m[2] && m[3]))
		return;
	CHECK(ivshmem2_tx_burst(&q, m, 4) == 4 && tail == 4, "sent, tail %u", tail);
	CHECK(desc[0].flags == IVSHMEM2_NET_DESC_RETURN && desc[0].len == 1500 &&
	      pool_ref[0] == 1024 && held[0] != NULL, "entry 0: flags %#x len %u ref %u",
	      desc[0].flags, desc[0].len, pool_ref[0]);
	CHECK(desc[1].flags == 0 && desc[1].len == IVSHMEM2_TX_POOL_MIN - 1 &&
	      slots[IVSHMEM2_NET_SLOT_STRIDE] == 0x77 && held[1] == NULL, "short frame copied");
	CHECK(desc[2].flags == IVSHMEM2_NET_DESC_RETURN && pool_ref[2] == PEER_POOL - 600,
	      "entry 2: flags %#x ref %u", desc[2].flags, pool_ref[2]);
	CHECK(desc[3].flags == 0 && desc[3].len == 600 && held[3] == NULL,
	      "bytes past the area copied: flags %#x", desc[3].flags);
	CHECK(q.returned == 2 && q.nb_held == 2 && peer_frees == 2,
	      "returned %" PRIu64 ", held %u, freed %u", q.returned, q.nb_held, peer_frees);
	/* A chain in the peer's area is copied. */
	m[0] = peer_frame(mp, &shinfo[4], 2048, 1000);
	m[1] = chain(mp, 1000, 2048);
	if (m[0] == NULL || m[1] == NULL || rte_pktmbuf_chain(m[0], m[1]) != 0)
		return;
	CHECK(ivshmem2_tx_burst(&q, m, 1) == 1 && desc[4].flags == 0 && desc[4].len == 2000 &&
	      q.returned == 2 && peer_frees == 3, "chain: flags %#x", desc[4].flags);
	/* The peer consumed the first three entries: the first returned frame is let go. */
	peer_head = 3;
	ivshmem2_tx_burst(&q, m, 0);
	CHECK(q.nb_held == 0 && peer_frees == 5 && held[0] == NULL && held[2] == NULL,
	      "after head 3: held %u, freed %u", q.nb_held, peer_frees);
	/*
	 * A frame whose bytes the application still shares (a clone) is copied:
	 * the peer may rewrite a buffer as soon as it read its RETURN entry.
	 */
	m[0] = peer_frame(mp, &shinfo[5], 4096, 1500);
	clone = m[0] != NULL ? rte_pktmbuf_clone(m[0], mp) : NULL;
	CHECK(clone != NULL, "no clone");
	if (clone == NULL)
		return;
	CHECK(ivshmem2_tx_burst(&q, m, 1) == 1 && desc[5].flags == 0 && desc[5].len == 1500 &&
	      q.returned == 2 && q.nb_held == 0 && peer_frees == 5,
	      "shared frame: flags %#x, returned %" PRIu64, desc[5].flags, q.returned);
	rte_pktmbuf_free(clone);
	CHECK(peer_frees == 6, "the clone's free let go of the buffer: %u", peer_frees);
	CHECK(rte_mempool_avail_count(mp) == avail, "mbufs lost: %u of %u back",
	      rte_mempool_avail_count(mp), avail);
}

static int
zpool_create(void)
{
	struct rte_pktmbuf_extmem ext;

	zarea = rte_malloc("tx_test_area", POOL_N * POOL_ELT, 4096);
	if (zarea == NULL)
		return -1;
	ext = (struct rte_pktmbuf_extmem){
		.buf_ptr = zarea, .buf_iova = RTE_BAD_IOVA,
		.buf_len = POOL_N * POOL_ELT, .elt_size = POOL_ELT,
	};
	zpool = rte_pktmbuf_pool_create_extbuf("tx_test_zpool", POOL_N, 0, 0,
					       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY, &ext, 1);
	return zpool == NULL ? -1 : 0;
}

static void
run(struct rte_mempool *mp)
{
	test_jumbo_rereads_consumer_index(mp);
	test_jumbo_refused_when_full(mp);
	test_copied_frames_freed(mp);
	test_return_peer_frames(mp);
	CHECK(zpool_create() == 0, "extbuf pool");
	if (zpool == NULL)
		return;
	test_pool_posted_held_reclaimed(mp);
	test_pool_jumbo_chain();
	test_pool_mixed_chain(mp);
	test_pool_resync();
	rte_mempool_free(zpool);
	rte_free(zarea);
}

int
main(int argc, char **argv)
{
	return burst_test_main(argc, argv, run);
}

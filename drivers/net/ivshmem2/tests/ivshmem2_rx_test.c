/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/*
 * rx_burst in zero-copy mode on a ring in private memory, with the
 * producer's side played by the test: the life of the buffers the
 * application holds, across a new pairing and past their queue; and frames
 * of our own pool sent back (RETURN), taken back without a copy.
 * Run by tests/pmd/test_ring_unit.py.
 */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ethdev_driver.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "ivshmem2_rxtx.h"

#include "burst_test.h"

#define RING_SIZE	16u

static struct ivshmem2_net_desc desc[RING_SIZE];
static uint32_t pool_ref[RING_SIZE];
static uint8_t slots[RING_SIZE * IVSHMEM2_NET_SLOT_STRIDE];
static uint32_t peer_tail, head, wake, link_gen = 1;


/* A zero-copy rx queue whose next pairing starts at @start. */
static struct ivshmem2_rxq *
rxq_new(struct rte_mempool *mp, uint32_t start)
{
	struct ivshmem2_rxq *q = rte_zmalloc("rx_test", sizeof(*q), RTE_CACHE_LINE_SIZE);

	if (q == NULL)
		return NULL;
	q->mp = mp;
	q->ring_size = RING_SIZE;
	q->link_gen = &link_gen;
	q->gen = IVSHMEM2_GEN_NONE;
	q->zero_copy = true;
	q->iova_is_va = true;
	q->nombuf = &q->mbuf_fail;
	if (ivshmem2_rxq_zc_alloc(q, SOCKET_ID_ANY) != 0) {
		rte_free(q);
		return NULL;
	}
	q->next_ring[0] = (struct ivshmem2_ring_rx){
		.desc = desc, .pool_ref = pool_ref, .slots = slots, .peer_tail = &peer_tail,
		.head = &head, .wake = &wake, .mask = RING_SIZE - 1,
	};
	q->next_nb_src = 1;
	q->next_start[0] = start;
	q->next_pairing = 1;
	return q;
}

/* The producer sends @n frames of @slots slots each. */
static void
produce_frames(uint32_t n, uint32_t slots)
{
	uint32_t k, idx = peer_tail;

	while (n-- > 0)
		for (k = 0; k < slots; k++, idx++)
			ivshmem2_ring_desc_write(desc, pool_ref, idx & (RING_SIZE - 1),
						 k + 1 < slots ? IVSHMEM2_NET_SLOT_SIZE : 60,
						 k + 1 < slots ? IVSHMEM2_NET_DESC_MORE : 0, 0);
	__atomic_store_n(&peer_tail, idx, __ATOMIC_RELEASE);
}

static void
produce(uint32_t n)
{
	produce_frames(n, 1);
}

/* Heap bytes in use, to see whether the bookkeeping was freed. */
static size_t
heap_used(void)
{
	struct rte_malloc_socket_stats st;

	rte_malloc_get_socket_stats(rte_socket_id(), &st);
	return st.heap_allocsz_bytes;
}

/*
 * Buffers held across a new pairing of the same ring: the producer must
 * never be allowed into their slots, and their late free must not release
 * slots that newer buffers hold.
 */
static void
test_held_buffers_survive_new_pairing(struct rte_mempool *mp)
{
	struct rte_mbuf *old[4], *new[8];
	struct ivshmem2_rxq *q;
	uint16_t n;

	peer_tail = head = 0;
	q = rxq_new(mp, 0);
	CHECK(q != NULL, "no queue");
	if (q == NULL)
		return;
	produce(4);
	n = ivshmem2_rx_burst(q, old, 4);
	CHECK(n == 4, "got %u frames, expected 4", n);

	/* The peer starts a new session at its tail; the link comes up again. */
	q->next_start[0] = peer_tail;
	q->next_pairing = 2;
	link_gen += 2;
	n = ivshmem2_rx_burst(q, new, 8);
	CHECK(n == 0, "frames out of nothing: %u", n);
	/* Slots 0..3 are held: the producer may write up to index 15 only. */
	CHECK(head + RING_SIZE <= 16, "head %u lets the producer overwrite held slots", head);

	produce(8);	/* indices 4..11 */
	n = ivshmem2_rx_burst(q, new, 8);
	CHECK(n == 8, "got %u new frames, expected 8", n);
	rte_pktmbuf_free_bulk(old, 4);
	ivshmem2_rx_burst(q, new + 8, 0);	/* reclaim */
	/* Slots 4..11 are held now: the producer stops before slot 4 of the next lap. */
	CHECK(head + RING_SIZE <= 20, "head %u after the old buffers' free", head);
	rte_pktmbuf_free_bulk(new, 8);
	ivshmem2_rx_burst(q, new, 0);
	CHECK(head == 12, "head %u with nothing held, expected 12", head);
	CHECK(ivshmem2_rxq_zc_release(q) == 0, "buffers still counted as held");
	rte_free(q);
}

/*
 * A frame that runs past the slots zero-copy may hand out (the application
 * holds the others) is not a bad frame: it waits, whole, for slots to come
 * back, instead of losing its head and delivering its tail as a frame.
 */
static void
test_frame_cut_by_held_slots_waits(struct rte_mempool *mp)
{
	struct rte_mbuf *held[14], *m[2];
	struct ivshmem2_rxq *q;
	uint16_t n;

	peer_tail = head = 0;
	q = rxq_new(mp, 0);
	CHECK(q != NULL, "no queue");
	if (q == NULL)
		return;
	produce(14);
	n = ivshmem2_rx_burst(q, held, 14);
	CHECK(n == 14, "got %u frames, expected 14", n);
	/* A 3-slot frame at 14..16, although only 2 slots are free for us to hand out. */
	produce_frames(1, 3);
	n = ivshmem2_rx_burst(q, m, 2);
	CHECK(n == 0, "%u frame(s) out of a frame cut by held slots", n);
	CHECK(q->rejected == 0, "the cut frame was rejected (%" PRIu64 ")", q->rejected);
	rte_pktmbuf_free_bulk(held, 14);
	n = ivshmem2_rx_burst(q, m, 2);
	CHECK(n == 1 && m[0]->pkt_len == 2 * IVSHMEM2_NET_SLOT_SIZE + 60 && m[0]->nb_segs == 3,
	      "after the frees: %u frame(s), first of %u bytes", n, n ? m[0]->pkt_len : 0);
	if (n > 0)
		rte_pktmbuf_free_bulk(m, n);
	ivshmem2_rx_burst(q, m, 0);
	CHECK(ivshmem2_rxq_zc_release(q) == 0, "buffers still counted as held");
	rte_free(q);
}

/* A queue released while the application holds its buffers. */
static void
test_buffers_outlive_their_queue(struct rte_mempool *mp)
{
	struct rte_mbuf *m[4];
	struct ivshmem2_rxq *q;
	size_t before, during;
	uint64_t held;
	uint16_t n;

	peer_tail = head = 0;
	before = heap_used();
	q = rxq_new(mp, 0);
	CHECK(q != NULL, "no queue");
	if (q == NULL)
		return;
	produce(4);
	n = ivshmem2_rx_burst(q, m, 4);
	CHECK(n == 4, "got %u frames, expected 4", n);
	held = ivshmem2_rxq_zc_release(q);
	CHECK(held == 4, "%" PRIu64 " buffers held, expected 4", held);
	rte_free(q);
	during = heap_used();
	CHECK(during > before, "bookkeeping freed while buffers are held");
	rte_pktmbuf_free_bulk(m, 3);
	CHECK(heap_used() == during, "bookkeeping freed before the last buffer");
	rte_pktmbuf_free(m[3]);
	CHECK(heap_used() == before, "bookkeeping not freed by the last buffer (%zu vs %zu)",
	      heap_used(), before);
}

/* The peer's pool area (since layout version 2), as rx_attach computes it. */
#define POOL_SIZE	(16u * 1024)
static uint8_t pool_area[POOL_SIZE];

/*
 * POOL segments: copy mode copies from the pool area, zero-copy attaches it;
 * one out of range is dropped and counted, the frames around it delivered.
 */
static void
test_pool_segments(struct rte_mempool *mp, bool zero_copy)
{
	struct rte_mbuf *m[4] = { NULL };
	const uint8_t *data;
	uint8_t buf[IVSHMEM2_NET_MAX_FRAME];
	struct ivshmem2_rxq *q;
	uint32_t i;
	uint16_t n;

	unsigned int avail = rte_mempool_avail_count(mp);
	struct rte_mbuf *fresh = rte_pktmbuf_alloc(mp);

	peer_tail = head = 0;
	q = fresh != NULL ? rxq_new(mp, 0) : NULL;
	CHECK(q != NULL, "no queue");
	if (q == NULL)
		return;
	if (!zero_copy) {
		/* What rx_queue_setup gives a copy-mode queue: a fresh mbuf's rearm word. */
		ivshmem2_rxq_zc_release(q);
		q->zero_copy = false;
		q->mbuf_initializer = *(uint64_t *)RTE_PTR_ADD(fresh, offsetof(struct rte_mbuf,
										rearm_data));
		q->data_room = rte_pktmbuf_data_room_size(mp) - RTE_PKTMBUF_HEADROOM;
		q->src[0].busy = NULL;
	}
	q->next_ring[0].pool = pool_area;
	q->next_ring[0].pool_size = POOL_SIZE;
	for (i = 0; i < POOL_SIZE; i++)
		pool_area[i] = (uint8_t)(i * 7);
	memset(slots + 2 * IVSHMEM2_NET_SLOT_STRIDE, 0x33, IVSHMEM2_NET_SLOT_SIZE);
	/* 0: pool 100 B at 1000; 1: bad (past the end); 2-3: 2048 B slot + 7000 B pool at 5000. */
	ivshmem2_ring_desc_write(desc, pool_ref, 0, 100, IVSHMEM2_NET_DESC_POOL, 1000);
	ivshmem2_ring_desc_write(desc, pool_ref, 1, 100, IVSHMEM2_NET_DESC_POOL, POOL_SIZE - 99);
	ivshmem2_ring_desc_write(desc, pool_ref, 2, IVSHMEM2_NET_SLOT_SIZE, IVSHMEM2_NET_DESC_MORE,
				 0);
	ivshmem2_ring_desc_write(desc, pool_ref, 3, 7000, IVSHMEM2_NET_DESC_POOL, 5000);
	__atomic_store_n(&peer_tail, 4, __ATOMIC_RELEASE);
	n = ivshmem2_rx_burst(q, m, 4);
	CHECK(n == 2 && q->rejected == 1, "got %u frames, %" PRIu64 " rejected", n, q->rejected);
	if (n != 2)
		goto out;
	data = rte_pktmbuf_read(m[0], 0, 100, buf);
	CHECK(m[0]->pkt_len == 100 && data != NULL && memcmp(data, pool_area + 1000, 100) == 0,
	      "pool segment bytes");
	data = rte_pktmbuf_read(m[1], 0, 9048, buf);
	CHECK(m[1]->pkt_len == 9048 && data != NULL && data[0] == 0x33 &&
	      memcmp(data + IVSHMEM2_NET_SLOT_SIZE, pool_area + 5000, 7000) == 0,
	      "slot + pool segment bytes (len %u)", m[1]->pkt_len);
	if (zero_copy)
		CHECK(rte_pktmbuf_mtod(m[0], uint8_t *) == pool_area + 1000 &&
		      rte_pktmbuf_mtod(m[1]->next, uint8_t *) == pool_area + 5000,
		      "zero-copy attaches the pool area");
	else
		CHECK(rte_pktmbuf_mtod(m[0], uint8_t *) != pool_area + 1000, "copy mode copies");
	rte_pktmbuf_free_bulk(m, n);
	ivshmem2_rx_burst(q, m, 0);
	CHECK(head == 4, "head %u, expected 4", head);
out:
	if (zero_copy)
		ivshmem2_rxq_zc_release(q);
	rte_free(q);
	rte_pktmbuf_free(fresh);
	CHECK(rte_mempool_avail_count(mp) == avail, "mbufs leaked: %u of %u back",
	      rte_mempool_avail_count(mp), avail);
}

/* The own section's pool area of test_return_taken_back(): 8 buffers of 2176 B. */
#define OWN_ELT		2176u
#define OWN_BUFS	8u
static uint8_t own_area[OWN_BUFS * OWN_ELT] __rte_aligned(RTE_CACHE_LINE_SIZE);

/*
 * RETURN entries: the one naming a buffer that our tx entry holds comes back
 * as that very mbuf (no copy), and the entry gives up its reference; every
 * other kind is copied like any offset into our own memory, and no mbuf is
 * lost or freed twice.
 */
static void
test_return_taken_back(struct rte_mempool *mp)
{
	struct rte_pktmbuf_extmem ext = {
		.buf_ptr = own_area, .buf_iova = RTE_BAD_IOVA, .buf_len = sizeof(own_area),
		.elt_size = OWN_ELT,
	};
	struct rte_mbuf *b[OWN_BUFS], *m[8] = { NULL };
	struct rte_eth_dev_data data = { .nb_tx_queues = 1 };
	struct ivshmem2_pool_map *map = NULL;
	struct ivshmem2_txq *txq = NULL;
	struct ivshmem2_rxq *q = NULL;
	struct rte_mempool *own;
	struct rte_mbuf *fresh;
	uint32_t i, entry;
	uint16_t n;

	own = rte_pktmbuf_pool_create_extbuf("own_pool", OWN_BUFS, 0, 0, OWN_ELT, SOCKET_ID_ANY,
					     &ext, 1);
	CHECK(own != NULL, "extbuf pool: %s", rte_strerror(rte_errno));
	if (own == NULL)
		return;
	CHECK(rte_pktmbuf_alloc_bulk(own, b, OWN_BUFS) == 0, "pool buffers");
	fresh = rte_pktmbuf_alloc(mp);
	/* What ivshmem2_pool.c builds with the pool: buffer i's mbuf, and who posted it. */
	map = ivshmem2_pool_map_create(own, (uintptr_t)own_area, OWN_ELT, OWN_BUFS, SOCKET_ID_ANY);
	txq = rte_zmalloc("txq", sizeof(*txq) + RING_SIZE * sizeof(txq->held[0]), 0);
	q = rxq_new(mp, 0);
	CHECK(fresh != NULL && map != NULL && txq != NULL && q != NULL, "setup");
	if (fresh == NULL || map == NULL || txq == NULL || q == NULL)
		goto out;
	for (i = 0; i < OWN_BUFS; i++) {
		uint32_t k = (uint32_t)(((uint8_t *)b[i]->buf_addr - own_area) / OWN_ELT);

		CHECK(map->mbuf[k] == b[i], "map: buffer %u", k);
		memset(b[i]->buf_addr, 0x40 + k, OWN_ELT);
	}
	/* Our tx queue 0 holds buffers 0, 1 (a second reference) and 4 at entries 5, 6, 7. */
	txq->held = (struct rte_mbuf **)(txq + 1);
	txq->ring_size = RING_SIZE;
	txq->pool = own;
	txq->pool_map = map;
	for (i = 0; i < 3; i++) {
		uint32_t k = i < 2 ? i : 4;

		entry = 5 + i;
		txq->held[entry] = map->mbuf[k];
		map->posting[k] = ivshmem2_pool_posting(0, 0, entry);
	}
	txq->nb_held = 3;
	txq->reclaimed = 5;
	rte_mbuf_refcnt_update(map->mbuf[1], 1);
	map->posting[2] = ivshmem2_pool_posting(1, 0, 9);	/* another port's */
	data.tx_queues = (void **)&txq;

	/* A copy-mode queue of port 0 that knows the pool. */
	ivshmem2_rxq_zc_release(q);
	q->zero_copy = false;
	q->src[0].busy = NULL;
	q->mbuf_initializer = *(uint64_t *)RTE_PTR_ADD(fresh, offsetof(struct rte_mbuf,
									rearm_data));
	q->data_room = rte_pktmbuf_data_room_size(mp) - RTE_PKTMBUF_HEADROOM;
	q->port_data = &data;
	q->pool_map = map;
	q->next_ring[0].own_pool = own_area;
	q->next_ring[0].pool_size = sizeof(own_area);
	peer_tail = head = 0;
	/*
	 * 0: buffer 0 (held, one reference): taken back. 1: buffer 0 again (taken).
	 * 2: buffer 1 (held, two references). 3: buffer 2 (another port posted it).
	 * 4: buffer 3 (never posted). 5: buffer 4, bytes past its end. 6: buffer 4 at
	 * 200: taken back.
	 */
	ivshmem2_ring_desc_write(desc, pool_ref, 0, 1000, IVSHMEM2_NET_DESC_RETURN, 128);
	ivshmem2_ring_desc_write(desc, pool_ref, 1, 1000, IVSHMEM2_NET_DESC_RETURN, 128);
	ivshmem2_ring_desc_write(desc, pool_ref, 2, 600, IVSHMEM2_NET_DESC_RETURN,
				 OWN_ELT + 128);
	ivshmem2_ring_desc_write(desc, pool_ref, 3, 600, IVSHMEM2_NET_DESC_RETURN,
				 2 * OWN_ELT + 128);
	ivshmem2_ring_desc_write(desc, pool_ref, 4, 600, IVSHMEM2_NET_DESC_RETURN,
				 3 * OWN_ELT + 128);
	ivshmem2_ring_desc_write(desc, pool_ref, 5, 600, IVSHMEM2_NET_DESC_RETURN,
				 5 * OWN_ELT - 100);
	ivshmem2_ring_desc_write(desc, pool_ref, 6, 700, IVSHMEM2_NET_DESC_RETURN,
				 4 * OWN_ELT + 200);
	__atomic_store_n(&peer_tail, 7, __ATOMIC_RELEASE);
	n = ivshmem2_rx_burst(q, m, 8);
	CHECK(n == 7 && q->rejected == 0, "got %u frames, %" PRIu64 " rejected", n, q->rejected);
	if (n != 7)
		goto out;
	CHECK(q->taken_back == 2, "%" PRIu64 " taken back, expected 2", q->taken_back);
	CHECK(m[0] == map->mbuf[0] && rte_pktmbuf_mtod(m[0], uint8_t *) == own_area + 128 &&
	      m[0]->pkt_len == 1000 && m[0]->data_len == 1000 && m[0]->nb_segs == 1 &&
	      m[0]->next == NULL && rte_mbuf_refcnt_read(m[0]) == 1 &&
	      (m[0]->ol_flags & RTE_MBUF_F_EXTERNAL), "entry 0 comes back as buffer 0's mbuf");
	CHECK(m[6] == map->mbuf[4] && rte_pktmbuf_mtod(m[6], uint8_t *) == own_area +
	      4 * OWN_ELT + 200 && m[6]->pkt_len == 700, "entry 6 comes back as buffer 4's mbuf");
	CHECK(txq->held[5] == IVSHMEM2_HELD_TAKEN && txq->held[7] == IVSHMEM2_HELD_TAKEN &&
	      txq->held[6] == map->mbuf[1], "tx entries: taken, held, taken");
	for (i = 1; i < 6; i++)
		CHECK(m[i]->pool == mp && rte_pktmbuf_mtod(m[i], uint8_t *)[0] ==
		      own_area[pool_ref[i]], "entry %u copied", i);
	/* The tx side lets go: taken entries free nothing, the other drops its reference. */
	ivshmem2_txq_held_release(txq);
	CHECK(txq->nb_held == 0 && rte_mbuf_refcnt_read(map->mbuf[1]) == 1,
	      "held %u, buffer 1 references %u", txq->nb_held,
	      rte_mbuf_refcnt_read(map->mbuf[1]));
	CHECK(rte_mempool_avail_count(own) == 0, "tx freed %u buffers it had given away",
	      rte_mempool_avail_count(own));
	rte_pktmbuf_free_bulk(m, n);
	for (i = 0; i < OWN_BUFS; i++)
		if (i != 0 && i != 4)
			rte_pktmbuf_free(map->mbuf[i]);
	CHECK(rte_mempool_avail_count(own) == OWN_BUFS, "own pool: %u of %u back",
	      rte_mempool_avail_count(own), OWN_BUFS);
out:
	rte_free(q);
	rte_free(txq);
	rte_free(map);
	rte_pktmbuf_free(fresh);
	rte_mempool_free(own);
}

static void
run(struct rte_mempool *mp)
{
	test_held_buffers_survive_new_pairing(mp);
	test_buffers_outlive_their_queue(mp);
	test_frame_cut_by_held_slots_waits(mp);
	test_pool_segments(mp, false);
	test_pool_segments(mp, true);
	test_return_taken_back(mp);
}

int
main(int argc, char **argv)
{
	return burst_test_main(argc, argv, run);
}

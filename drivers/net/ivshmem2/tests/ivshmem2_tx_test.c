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

#include <rte_mbuf.h>

#include "ivshmem2_rxtx.h"

#include "burst_test.h"

#define RING_SIZE	16u
#define JUMBO_LEN	9000u	/* 5 slots */

static struct ivshmem2_net_desc desc[RING_SIZE];
static uint8_t slots[RING_SIZE * IVSHMEM2_NET_SLOT_STRIDE];
static uint32_t tail, peer_head, peer_wake, link_gen = 1;


static void
txq_init(struct ivshmem2_txq *q)
{
	memset(q, 0, sizeof(*q));
	q->ring.desc = desc;
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

static void
run(struct rte_mempool *mp)
{
	test_jumbo_rereads_consumer_index(mp);
	test_jumbo_refused_when_full(mp);
}

int
main(int argc, char **argv)
{
	return burst_test_main(argc, argv, run);
}

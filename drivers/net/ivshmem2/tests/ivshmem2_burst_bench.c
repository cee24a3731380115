/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/*
 * The bursts' own cost: one thread runs tx_burst then rx_burst over one ring
 * of two sections in private memory, so no line moves between cores. What it
 * prints (TSC cycles per packet, tx + rx + mbuf alloc/free) is the code's
 * share of a two-core run's cycles; the rest of those is the line traffic.
 * A benchmark, not a test: it asserts only that every packet came through.
 *
 *   ivshmem2_burst_bench [FRAME_BYTES [BURSTS [REPS]]]   (defaults 64 200000 5)
 */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "ivshmem2_rxtx.h"

#define BENCH_BURST	32u
#define BENCH_SECTION	(4u << 20)

static uint32_t link_gen = 1;

/* A producer queue (me = 0) and the consumer queue (me = 1) of ring 0 -> 1. */
static int
queues_setup(struct ivshmem2_txq *tq, struct ivshmem2_rxq *rq, struct rte_mempool *mp)
{
	struct ivshmem2_net_layout l;
	uint8_t *a, *b;
	const char *why;

	if (ivshmem2_net_layout_compute(&l, BENCH_SECTION, 2) != IVSHMEM2_NET_LAYOUT_OK)
		return -1;
	a = rte_zmalloc("bench_a", BENCH_SECTION, 4096);
	b = rte_zmalloc("bench_b", BENCH_SECTION, 4096);
	if (a == NULL || b == NULL)
		return -1;
	ivshmem2_ring_section_init(a, &l, 0);
	ivshmem2_ring_section_init(b, &l, 1);

	ivshmem2_ring_tx_attach(&tq->next_ring, a, b, &l, 0, 1, 0);
	tq->ring_size = l.ring_size;
	tq->link_gen = &link_gen;
	tq->gen = IVSHMEM2_GEN_NONE;
	tq->copy = ivshmem2_copy_select(&why);

	ivshmem2_ring_rx_attach(&rq->next_ring[0], b, a, &l, 1, 0, 0);
	rq->next_nb_src = 1;
	rq->next_pairing = 1;
	rq->mp = mp;
	rq->mbuf_initializer = ivshmem2_mbuf_initializer(0);
	rq->data_room = rte_pktmbuf_data_room_size(mp) - RTE_PKTMBUF_HEADROOM;
	rq->link_gen = &link_gen;
	rq->gen = IVSHMEM2_GEN_NONE;
	rq->ring_size = l.ring_size;
	rq->nombuf = &rq->mbuf_fail;
	printf("ring %u entries, copy variant %s (%s)\n", l.ring_size,
	       ivshmem2_copy_name(tq->copy), why);
	return 0;
}

/* @bursts rounds of tx then rx; returns TSC cycles per packet, or -1 on a loss. */
static double
run(struct ivshmem2_txq *tq, struct ivshmem2_rxq *rq, struct rte_mempool *mp,
    uint16_t len, long bursts)
{
	struct rte_mbuf *tx[BENCH_BURST], *rx[BENCH_BURST];
	uint64_t start = rte_rdtsc(), pkts = 0;
	long i;
	uint16_t k, sent, got;

	for (i = 0; i < bursts; i++) {
		if (rte_pktmbuf_alloc_bulk(mp, tx, BENCH_BURST) != 0)
			return -1;
		for (k = 0; k < BENCH_BURST; k++)
			rte_pktmbuf_append(tx[k], len);
		sent = ivshmem2_tx_burst(tq, tx, BENCH_BURST);
		got = ivshmem2_rx_burst(rq, rx, BENCH_BURST);
		rte_pktmbuf_free_bulk(rx, got);
		if (sent != BENCH_BURST || got != BENCH_BURST) {
			rte_pktmbuf_free_bulk(tx + sent, BENCH_BURST - sent);
			fprintf(stderr, "burst %ld: sent %u, received %u\n", i, sent, got);
			return -1;
		}
		pkts += got;
	}
	return (double)(rte_rdtsc() - start) / pkts;
}

int
main(int argc, char **argv)
{
	char prefix[32];
	char *eal_args[] = { argv[0], "--no-huge", "-m", "256", "--no-pci", "--no-telemetry",
			     "--log-level=lib.*:error", "--file-prefix", prefix, NULL };
	uint16_t len = argc > 1 ? (uint16_t)atoi(argv[1]) : 64;
	long bursts = argc > 2 ? atol(argv[2]) : 200000;
	int reps = argc > 3 ? atoi(argv[3]) : 5, r;
	struct ivshmem2_txq *tq;
	struct ivshmem2_rxq *rq;
	struct rte_mempool *mp;

	if (len == 0 || len > IVSHMEM2_NET_SLOT_SIZE || bursts <= 0 || reps <= 0) {
		fprintf(stderr, "usage: %s [FRAME_BYTES (1..%u) [BURSTS [REPS]]]\n", argv[0],
			IVSHMEM2_NET_SLOT_SIZE);
		return 2;
	}
	/* Its own runtime directory: runs side by side do not share one. */
	snprintf(prefix, sizeof(prefix), "iv2bench%d", (int)getpid());
	if (rte_eal_init(RTE_DIM(eal_args) - 1, eal_args) < 0)
		return 1;
	mp = rte_pktmbuf_pool_create("bench", 4096, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				     SOCKET_ID_ANY);
	tq = rte_zmalloc("bench_txq", sizeof(*tq), RTE_CACHE_LINE_SIZE);
	rq = rte_zmalloc("bench_rxq", sizeof(*rq), RTE_CACHE_LINE_SIZE);
	if (mp == NULL || tq == NULL || rq == NULL || queues_setup(tq, rq, mp) != 0) {
		fprintf(stderr, "setup failed\n");
		return 1;
	}
	if (run(tq, rq, mp, len, 1000) < 0)	/* warm-up */
		return 1;
	printf("| frame bytes | rep | cycles/packet (tx + rx + mbuf alloc/free, one thread) |\n");
	printf("|---|---|---|\n");
	for (r = 1; r <= reps; r++) {
		double cpp = run(tq, rq, mp, len, bursts);

		if (cpp < 0)
			return 1;
		printf("| %u | %d | %.1f |\n", len, r, cpp);
	}
	rte_eal_cleanup();
	return 0;
}

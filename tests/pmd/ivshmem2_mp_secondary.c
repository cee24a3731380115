/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/*
 * Secondary-process check for tests/pmd/test_secondary.py: attaches to a
 * primary that started a net_ivshmem2 port (without forwarding), sends
 * sequence-numbered frames on queue 0 and expects every one back unchanged
 * (the peer echoes them with macswap). Prints one line "sent N received N
 * corrupt N tx_stats N rx_stats N" and exits 0 only if all came back intact.
 *
 * Usage: ivshmem2_mp_secondary <EAL args with --proc-type=secondary> -- <count>
 */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#define BURST		32
#define WINDOW		256	/* frames in flight: below every ring size, so no drops */
#define FRAME_MIN	64
#define FRAME_SPAN	1400
#define TIMEOUT_S	20
#define MAGIC		0x49563253u	/* "IV2S" */

/* Right after the 14-byte Ethernet header: not 4-byte aligned. */
struct payload {
	uint32_t magic;
	uint32_t seq;
	uint32_t len;
} __rte_packed;

static uint32_t
frame_len(uint32_t seq)
{
	return FRAME_MIN + (seq * 37) % FRAME_SPAN;
}

static uint8_t
fill_byte(uint32_t seq, uint32_t i)
{
	return (uint8_t)(seq * 7 + i);
}

static struct rte_mbuf *
make_frame(struct rte_mempool *mp, uint32_t seq)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	uint32_t len = frame_len(seq), i;
	struct payload *p;
	uint8_t *d;

	if (m == NULL)
		return NULL;
	d = (uint8_t *)rte_pktmbuf_append(m, len);
	if (d == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	memset(d, 0xff, RTE_ETHER_ADDR_LEN);			/* dst: broadcast */
	memset(d + RTE_ETHER_ADDR_LEN, 0x02, RTE_ETHER_ADDR_LEN);
	d[12] = 0x88;						/* local experimental */
	d[13] = 0xb5;
	p = (struct payload *)(d + RTE_ETHER_HDR_LEN);
	p->magic = MAGIC;
	p->seq = seq;
	p->len = len;
	for (i = RTE_ETHER_HDR_LEN + sizeof(*p); i < len; i++)
		d[i] = fill_byte(seq, i);
	return m;
}

/* Returns the sequence number of an intact frame, or -1. */
static int64_t
check_frame(const struct rte_mbuf *m)
{
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
	const struct payload *p;
	uint32_t i;

	if (m->nb_segs != 1 || m->pkt_len < RTE_ETHER_HDR_LEN + sizeof(*p))
		return -1;
	p = (const struct payload *)(d + RTE_ETHER_HDR_LEN);
	if (p->magic != MAGIC || p->len != m->pkt_len || p->len != frame_len(p->seq))
		return -1;
	for (i = RTE_ETHER_HDR_LEN + sizeof(*p); i < p->len; i++)
		if (d[i] != fill_byte(p->seq, i))
			return -1;
	return p->seq;
}

int
main(int argc, char **argv)
{
	struct rte_mbuf *tx[BURST], *rx[BURST];
	uint64_t deadline, received = 0, corrupt = 0;
	uint32_t count, sent = 0;
	struct rte_eth_stats st;
	struct rte_mempool *mp;
	uint8_t *seen;
	uint16_t port = 0, n, i, k;
	int ret;

	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "EAL init failed\n");
		return 2;
	}
	argc -= ret;
	argv += ret;
	count = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 0) : 10000;
	if (rte_eal_process_type() != RTE_PROC_SECONDARY || rte_eth_dev_count_avail() == 0 ||
	    !rte_eth_dev_is_valid_port(port)) {
		fprintf(stderr, "not a secondary with an attached port\n");
		return 2;
	}
	mp = rte_pktmbuf_pool_create("mp_secondary", 4096, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				     SOCKET_ID_ANY);
	seen = calloc(count, 1);
	if (mp == NULL || seen == NULL) {
		fprintf(stderr, "no memory\n");
		return 2;
	}
	deadline = rte_get_timer_cycles() + TIMEOUT_S * rte_get_timer_hz();
	while (received < count && rte_get_timer_cycles() < deadline) {
		for (n = 0; n < BURST && sent + n < count && sent + n - received < WINDOW; n++) {
			tx[n] = make_frame(mp, sent + n);
			if (tx[n] == NULL)
				break;
		}
		k = rte_eth_tx_burst(port, 0, tx, n);
		for (i = k; i < n; i++)
			rte_pktmbuf_free(tx[i]);	/* ring full: resent later */
		sent += k;
		n = rte_eth_rx_burst(port, 0, rx, BURST);
		for (i = 0; i < n; i++) {
			int64_t seq = check_frame(rx[i]);

			if (seq < 0 || seq >= count || seen[seq]) {
				corrupt++;
			} else {
				seen[seq] = 1;
				received++;
			}
			rte_pktmbuf_free(rx[i]);
		}
	}
	memset(&st, 0, sizeof(st));
	rte_eth_stats_get(port, &st);
	printf("sent %" PRIu32 " received %" PRIu64 " corrupt %" PRIu64 " tx_stats %" PRIu64
	       " rx_stats %" PRIu64 "\n", sent, received, corrupt, st.opackets, st.ipackets);
	free(seen);
	rte_eal_cleanup();
	return sent == count && received == count && corrupt == 0 ? 0 : 1;
}

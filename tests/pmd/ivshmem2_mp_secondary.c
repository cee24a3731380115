/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/*
 * Secondary-process checks for tests/pmd/test_secondary.py. Attaches to a
 * primary that started a net_ivshmem2 port (without forwarding) and, by mode:
 *
 *   <count>         sends sequence-numbered frames on queue 0 and expects every
 *                   one back unchanged (the peer echoes them with macswap);
 *                   prints "sent N received N corrupt N tx_stats N rx_stats N"
 *                   and exits 0 only if all came back intact.
 *   soak <seconds>  the same round trip for a while, frames lost on the way
 *                   (the link went down) given up after 200 ms; prints
 *                   "progress sent N received N corrupt N" every 500 ms and
 *                   "soak sent N received N corrupt N" at the end (or on
 *                   SIGINT/SIGTERM); exits 0 if no frame came back corrupt.
 *   ring <txq> <frames> <gap_ms>
 *                   sends single frames on tx queue <txq>, <gap_ms> apart (each
 *                   may ring the peer's vector of the rx queue polling that
 *                   ring), waiting while the link is down; prints "ring txq Q
 *                   sent N doorbells N" (the port's tx_doorbells_sent) and exits
 *                   0 if every frame was sent or SIGINT/SIGTERM stopped it.
 *
 * Usage: ivshmem2_mp_secondary <EAL args with --proc-type=secondary> -- <mode>
 */

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#define BURST		32
#define WINDOW		256u	/* frames in flight: below every ring size, so no drops */
#define FRAME_MIN	64
#define FRAME_SPAN	1400
#define TIMEOUT_S	20
#define LOST_MS		200	/* soak: frames not back by then are lost */
#define REPORT_MS	500	/* soak: progress line period */
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

static volatile sig_atomic_t stop_requested;

static void
on_signal(int sig __rte_unused)
{
	stop_requested = 1;
}

/* Frames sent, back intact, and back damaged (or duplicated) in one mode's run. */
struct counts {
	uint64_t sent;
	uint64_t received;
	uint64_t corrupt;
};

/* Send up to @want frames numbered from c->sent on queue 0; the rest is dropped for a retry. */
static void
tx_frames(uint16_t port, struct rte_mempool *mp, struct counts *c, uint16_t want)
{
	struct rte_mbuf *tx[BURST];
	uint16_t n, k, i;

	for (n = 0; n < want && n < BURST; n++) {
		tx[n] = make_frame(mp, (uint32_t)(c->sent + n));
		if (tx[n] == NULL)
			break;
	}
	k = rte_eth_tx_burst(port, 0, tx, n);
	for (i = k; i < n; i++)
		rte_pktmbuf_free(tx[i]);	/* ring full or link down: resent later */
	c->sent += k;
}

/* Receive on queue 0; @seen (may be NULL) marks sequence numbers below @count. */
static uint16_t
rx_frames(uint16_t port, struct counts *c, uint8_t *seen, uint32_t count)
{
	struct rte_mbuf *rx[BURST];
	uint16_t n, i;

	n = rte_eth_rx_burst(port, 0, rx, BURST);
	for (i = 0; i < n; i++) {
		int64_t seq = check_frame(rx[i]);

		if (seq < 0 || (seen != NULL && (seq >= count || seen[seq]))) {
			c->corrupt++;
		} else {
			if (seen != NULL)
				seen[seq] = 1;
			c->received++;
		}
		rte_pktmbuf_free(rx[i]);
	}
	return n;
}

/* Every one of @count frames must come back intact. */
static int
round_trip(uint16_t port, struct rte_mempool *mp, uint32_t count)
{
	struct counts c = { 0 };
	struct rte_eth_stats st;
	uint64_t deadline;
	uint8_t *seen = calloc(count, 1);

	if (seen == NULL) {
		fprintf(stderr, "no memory\n");
		return 2;
	}
	deadline = rte_get_timer_cycles() + TIMEOUT_S * rte_get_timer_hz();
	while (c.received < count && rte_get_timer_cycles() < deadline) {
		uint64_t room = RTE_MIN(count - c.sent, WINDOW - (c.sent - c.received));

		tx_frames(port, mp, &c, (uint16_t)RTE_MIN(room, (uint64_t)BURST));
		rx_frames(port, &c, seen, count);
	}
	free(seen);
	memset(&st, 0, sizeof(st));
	rte_eth_stats_get(port, &st);
	printf("sent %" PRIu64 " received %" PRIu64 " corrupt %" PRIu64 " tx_stats %" PRIu64
	       " rx_stats %" PRIu64 "\n", c.sent, c.received, c.corrupt, st.opackets, st.ipackets);
	return c.sent == count && c.received == count && c.corrupt == 0 ? 0 : 1;
}

/*
 * Round trips for @seconds while the link may go away and come back: frames
 * still out after LOST_MS without any coming back are given up.
 */
static int
soak(uint16_t port, struct rte_mempool *mp, uint32_t seconds)
{
	uint64_t hz = rte_get_timer_hz(), now = rte_get_timer_cycles();
	uint64_t end = now + seconds * hz, last_rx = now, report = now;
	uint64_t lost = 0;
	struct counts c = { 0 };

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	while (!stop_requested && now < end) {
		uint64_t out = c.sent - c.received - lost;

		if (out < WINDOW)
			tx_frames(port, mp, &c, (uint16_t)RTE_MIN(WINDOW - out, (uint64_t)BURST));
		now = rte_get_timer_cycles();
		if (rx_frames(port, &c, NULL, 0) > 0)
			last_rx = now;
		if (c.received + lost > c.sent)
			lost = c.sent - c.received;	/* late ones came back after all */
		if (c.sent - c.received - lost > 0 && now - last_rx > hz / 1000 * LOST_MS) {
			lost = c.sent - c.received;
			last_rx = now;
		}
		if (now >= report) {
			printf("progress sent %" PRIu64 " received %" PRIu64 " corrupt %" PRIu64
			       "\n", c.sent, c.received, c.corrupt);
			fflush(stdout);
			report = now + hz / 1000 * REPORT_MS;
		}
	}
	printf("soak sent %" PRIu64 " received %" PRIu64 " corrupt %" PRIu64 "\n", c.sent,
	       c.received, c.corrupt);
	return c.corrupt == 0 ? 0 : 1;
}

static uint64_t
xstat(uint16_t port, const char *name)
{
	uint64_t id, value = 0;

	if (rte_eth_xstats_get_id_by_name(port, name, &id) != 0 ||
	    rte_eth_xstats_get_by_id(port, &id, &value, 1) != 1)
		return UINT64_MAX;
	return value;
}

/*
 * Single frames on tx queue @txq, @gap_ms apart (the peer sleeps in between);
 * while the link is down a frame waits for it. Stops early on SIGINT/SIGTERM.
 */
static int
ring(uint16_t port, struct rte_mempool *mp, uint16_t txq, uint32_t frames, uint32_t gap_ms)
{
	uint64_t hz = rte_get_timer_hz();
	uint64_t deadline = rte_get_timer_cycles() +
			    (TIMEOUT_S + (uint64_t)frames * gap_ms / 1000) * hz;
	uint32_t sent = 0;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	while (sent < frames && !stop_requested && rte_get_timer_cycles() < deadline) {
		struct rte_mbuf *m = make_frame(mp, sent);

		if (m == NULL)
			break;
		if (rte_eth_tx_burst(port, txq, &m, 1) != 1) {
			rte_pktmbuf_free(m);	/* link not up yet: again */
			rte_delay_us_sleep(1000);
			continue;
		}
		sent++;
		rte_delay_us_sleep(gap_ms * 1000);
	}
	printf("ring txq %u sent %" PRIu32 " doorbells %" PRIu64 "\n", txq, sent,
	       xstat(port, "tx_doorbells_sent"));
	return sent == frames || stop_requested ? 0 : 1;
}

int
main(int argc, char **argv)
{
	struct rte_mempool *mp;
	uint16_t port = 0;
	int ret;

	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "EAL init failed\n");
		return 2;
	}
	argc -= ret;
	argv += ret;
	if (rte_eal_process_type() != RTE_PROC_SECONDARY || rte_eth_dev_count_avail() == 0 ||
	    !rte_eth_dev_is_valid_port(port)) {
		fprintf(stderr, "not a secondary with an attached port\n");
		return 2;
	}
	/* Mempools outlive their secondary: a later one takes over the pool. */
	mp = rte_mempool_lookup("mp_secondary");
	if (mp == NULL)
		mp = rte_pktmbuf_pool_create("mp_secondary", 4096, 0, 0,
					     RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (mp == NULL) {
		fprintf(stderr, "cannot create the mbuf pool: %s\n", rte_strerror(rte_errno));
		return 2;
	}
	if (argc > 2 && strcmp(argv[1], "soak") == 0) {
		ret = soak(port, mp, (uint32_t)strtoul(argv[2], NULL, 0));
	} else if (argc > 4 && strcmp(argv[1], "ring") == 0) {
		ret = ring(port, mp, (uint16_t)strtoul(argv[2], NULL, 0),
			   (uint32_t)strtoul(argv[3], NULL, 0),
			   (uint32_t)strtoul(argv[4], NULL, 0));
	} else if (argc <= 2) {
		ret = round_trip(port, mp, argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 0) : 10000);
	} else {
		fprintf(stderr, "usage: %s <EAL args> -- <count> | soak <seconds> | "
			"ring <txq> <frames> <gap_ms>\n", argv[0]);
		ret = 2;
	}
	fflush(stdout);
	rte_eal_cleanup();
	return ret;
}

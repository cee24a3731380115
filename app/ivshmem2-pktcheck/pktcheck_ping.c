/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/*
 * Ping-pong: one frame in flight. Ping sends frame i, waits for it to come
 * back (from "--mode pong" or any forwarder such as testpmd io mode),
 * verifies it and records the round trip. Pong sends back what it receives.
 */

#include <stdio.h>
#include <stdlib.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "pktcheck.h"

#define PING_WAIT_S	1.0	/* a reply later than this counts as lost */

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double
percentile_us(const uint64_t *sorted, uint64_t n, double p, uint64_t hz)
{
	uint64_t idx = (uint64_t)(p * (double)(n - 1) + 0.5);

	return (double)sorted[idx] * 1e6 / (double)hz;
}

static void
summarize(struct pktcheck_ping_result *r, uint64_t *rtt, uint64_t n, uint64_t hz)
{
	long double sum = 0;
	uint64_t i;

	r->answered = n;
	if (n == 0)
		return;
	qsort(rtt, n, sizeof(rtt[0]), cmp_u64);
	for (i = 0; i < n; i++)
		sum += rtt[i];
	r->min_us = percentile_us(rtt, n, 0, hz);
	r->p50_us = percentile_us(rtt, n, 0.5, hz);
	r->p90_us = percentile_us(rtt, n, 0.9, hz);
	r->p99_us = percentile_us(rtt, n, 0.99, hz);
	r->max_us = percentile_us(rtt, n, 1, hz);
	r->avg_us = (double)(sum / n) * 1e6 / (double)hz;
}

/* Wait for frame @seq of @stream; other frames are verified and accounted too. */
static bool
wait_reply(struct pktcheck_ctx *ctx, uint16_t stream, uint64_t seq, uint64_t deadline)
{
	struct rte_mbuf *pkts[PKTCHECK_MAX_BURST];
	struct pktcheck_frame_info info;
	bool got = false;
	uint16_t n, i;

	do {
		n = rte_eth_rx_burst(ctx->opt.rx_port, 0, pkts, ctx->opt.burst);
		for (i = 0; i < n; i++) {
			if (pktcheck_rx_account(ctx, pkts[i], &info) && info.stream == stream &&
			    info.seq == seq && !(info.flags & PKTCHECK_FLAG_FIN))
				got = true;
		}
		rte_pktmbuf_free_bulk(pkts, n);
	} while (!got && !*ctx->quit && rte_get_tsc_cycles() < deadline);
	return got;
}

int
pktcheck_ping_run(struct pktcheck_ctx *ctx)
{
	const struct pktcheck_options *opt = &ctx->opt;
	struct pktcheck_txq *t = &ctx->txq[0];
	uint64_t wait = (uint64_t)(PING_WAIT_S * ctx->tsc_hz);
	uint64_t *rtt, nb_rtt = 0, seq, t0, deadline;
	double last_progress = 0;
	struct rte_mbuf *m;
	uint32_t len;

	rtt = calloc(opt->frames, sizeof(*rtt));
	if (rtt == NULL) {
		fprintf(stderr, "pktcheck: no memory for %" PRIu64 " round trips\n", opt->frames);
		return -1;
	}
	for (seq = 0; seq < opt->frames && !*ctx->quit; seq++) {
		if (opt->duration > 0 && pktcheck_now(ctx) >= opt->duration)
			break;
		if (opt->timeout > 0 && pktcheck_now(ctx) >= opt->timeout) {
			ctx->timed_out = true;
			break;
		}
		len = pktcheck_size_for(opt, t->stream, seq);
		m = pktcheck_frame_build(ctx->pool, ctx->scratch, &ctx->src_mac, &opt->dst_mac,
					 t->stream, 0, seq, len, ctx->seg_size);
		if (m == NULL) {
			t->nombuf++;
			break;
		}
		ctx->ping.sent++;
		t0 = rte_get_tsc_cycles();
		deadline = t0 + wait;
		while (rte_eth_tx_burst(opt->tx_port, 0, &m, 1) == 0) {
			t->refused++;
			if (*ctx->quit || rte_get_tsc_cycles() >= deadline)
				break;
		}
		if (*ctx->quit || rte_get_tsc_cycles() >= deadline) {
			rte_pktmbuf_free(m);
			ctx->ping.lost++;
			continue;
		}
		t->frames++;
		t->bytes += len;
		if (wait_reply(ctx, t->stream, seq, deadline))
			rtt[nb_rtt++] = rte_get_tsc_cycles() - t0;
		else
			ctx->ping.lost++;
		if (opt->progress > 0 && pktcheck_now(ctx) - last_progress >= opt->progress) {
			last_progress = pktcheck_now(ctx);
			pktcheck_progress(ctx);
		}
	}
	summarize(&ctx->ping, rtt, nb_rtt, ctx->tsc_hz);
	free(rtt);
	return 0;
}

int
pktcheck_pong_run(struct pktcheck_ctx *ctx)
{
	const struct pktcheck_options *opt = &ctx->opt;
	struct rte_mbuf *pkts[PKTCHECK_MAX_BURST];
	double last_progress = 0;
	uint16_t q, n, sent;

	while (!*ctx->quit) {
		if (opt->duration > 0 && pktcheck_now(ctx) >= opt->duration)
			break;
		if (opt->timeout > 0 && pktcheck_now(ctx) >= opt->timeout)
			break;
		for (q = 0; q < opt->nb_queues; q++) {
			n = rte_eth_rx_burst(opt->rx_port, q, pkts, opt->burst);
			if (n == 0)
				continue;
			ctx->rx.frames += n;
			sent = 0;
			while (sent < n && !*ctx->quit)
				sent += rte_eth_tx_burst(opt->tx_port, q, pkts + sent, n - sent);
			ctx->txq[q].frames += sent;
			rte_pktmbuf_free_bulk(pkts + sent, n - sent);
		}
		if (opt->progress > 0 && pktcheck_now(ctx) - last_progress >= opt->progress) {
			last_progress = pktcheck_now(ctx);
			pktcheck_progress(ctx);
		}
	}
	return 0;
}

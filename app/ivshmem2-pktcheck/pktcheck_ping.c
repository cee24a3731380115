/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/*
 * Ping-pong. By default one frame in flight: ping sends frame i, waits for
 * it to come back (from "--mode pong" or any forwarder such as testpmd io
 * mode), verifies it and records the round trip. With --rate, ping sends
 * open-loop at that rate (frame i is due at start + i / rate) and takes the
 * round trip of every verified frame that comes back from the TSC its
 * header carries, so the latency under load includes the queueing. Every
 * round trip goes into a log-linear histogram. Pong sends back what it
 * receives.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "pktcheck.h"

#define PING_WAIT_S	1.0	/* a reply later than this counts as lost */

static inline void
hist_add(struct pktcheck_ping_result *r, uint64_t cycles, uint64_t hz)
{
	uint64_t ns = (uint64_t)((double)cycles * 1e9 / (double)hz);

	r->hist[pktcheck_hist_bucket(ns)]++;
}

/* Percentile from the histogram: the upper edge of the bucket holding it. */
static double
hist_percentile_us(const struct pktcheck_ping_result *r, uint64_t n, double p)
{
	uint64_t rank = (uint64_t)(p * (double)(n - 1) + 0.5), seen = 0;
	unsigned int b;

	for (b = 0; b < PKTCHECK_HIST_BUCKETS; b++) {
		seen += r->hist[b];
		if (seen > rank)
			return (double)(b + 1 < PKTCHECK_HIST_BUCKETS ?
					pktcheck_hist_lower(b + 1) : UINT64_MAX) / 1e3;
	}
	return 0;
}

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

/* Receive what came back; every verified data frame of @stream is a round trip. */
static uint64_t
rate_rx(struct pktcheck_ctx *ctx, uint16_t stream, uint64_t *sum, uint64_t *min,
	uint64_t *max)
{
	struct rte_mbuf *pkts[PKTCHECK_MAX_BURST];
	struct pktcheck_frame_info info;
	uint64_t now, rtt, got = 0;
	uint16_t n, i;

	n = rte_eth_rx_burst(ctx->opt.rx_port, 0, pkts, ctx->opt.burst);
	if (n == 0)
		return 0;
	now = rte_get_tsc_cycles();
	for (i = 0; i < n; i++) {
		if (pktcheck_rx_account(ctx, pkts[i], &info) && info.stream == stream &&
		    !(info.flags & PKTCHECK_FLAG_FIN)) {
			rtt = now > info.tsc ? now - info.tsc : 0;
			hist_add(&ctx->ping, rtt, ctx->tsc_hz);
			*sum += rtt;
			*min = RTE_MIN(*min, rtt);
			*max = RTE_MAX(*max, rtt);
			got++;
		}
	}
	rte_pktmbuf_free_bulk(pkts, n);
	return got;
}

/*
 * Open-loop ping at opt->rate frames/s until --frames or --duration, then
 * wait up to PING_WAIT_S for the frames still out. Frames the PMD refuses
 * stay pending and go first next time (their TSC is their build time, so
 * the wait counts in their round trip).
 */
static int
ping_rate_run(struct pktcheck_ctx *ctx)
{
	const struct pktcheck_options *opt = &ctx->opt;
	struct pktcheck_txq *t = &ctx->txq[0];
	struct pktcheck_ping_result *r = &ctx->ping;
	uint64_t hz = ctx->tsc_hz, start = rte_get_tsc_cycles(), now, due, answered = 0;
	uint64_t end = opt->duration > 0 ? start + (uint64_t)(opt->duration * (double)hz) :
					   UINT64_MAX;
	uint64_t sum = 0, min = UINT64_MAX, max = 0, seq = 0, drain_end = 0;
	double last_progress = 0, send_s = 0;
	struct rte_mbuf *pend[PKTCHECK_MAX_BURST];
	uint16_t nb_pend = 0, sent;
	uint32_t len;

	r->rate = opt->rate;
	while (!*ctx->quit) {
		now = rte_get_tsc_cycles();
		if (drain_end == 0 && ((opt->frames > 0 && seq >= opt->frames && nb_pend == 0) ||
				       now >= end)) {
			send_s = (double)(now - start) / (double)hz;
			drain_end = now + (uint64_t)(PING_WAIT_S * (double)hz);
		}
		if (drain_end != 0 && (answered >= r->sent || now >= drain_end))
			break;
		if (opt->timeout > 0 && pktcheck_now(ctx) >= opt->timeout) {
			ctx->timed_out = true;
			break;
		}
		if (drain_end == 0) {
			due = (uint64_t)((double)(now - start) * opt->rate / (double)hz) + 1;
			if (opt->frames > 0)
				due = RTE_MIN(due, opt->frames);
			while (nb_pend < opt->burst && seq < due) {
				len = pktcheck_size_for(opt, t->stream, seq);
				pend[nb_pend] = pktcheck_frame_build(ctx->pool, ctx->scratch,
								     &ctx->src_mac, &opt->dst_mac,
								     t->stream, 0, seq, len,
								     ctx->seg_size);
				if (pend[nb_pend] == NULL) {
					t->nombuf++;
					break;
				}
				t->bytes += len;
				nb_pend++;
				seq++;
			}
			if (nb_pend > 0) {
				sent = rte_eth_tx_burst(opt->tx_port, 0, pend, nb_pend);
				if (sent < nb_pend) {
					t->refused += nb_pend - sent;
					t->full_events++;
					memmove(pend, pend + sent, (nb_pend - sent) * sizeof(pend[0]));
				}
				nb_pend -= sent;
				t->frames += sent;
				r->sent += sent;
			}
		}
		answered += rate_rx(ctx, t->stream, &sum, &min, &max);
		if (opt->progress > 0 && pktcheck_now(ctx) - last_progress >= opt->progress) {
			last_progress = pktcheck_now(ctx);
			pktcheck_progress(ctx);
		}
	}
	if (nb_pend > 0)
		rte_pktmbuf_free_bulk(pend, nb_pend);
	if (send_s == 0)
		send_s = (double)(rte_get_tsc_cycles() - start) / (double)hz;
	r->answered = answered;
	r->lost = r->sent > answered ? r->sent - answered : 0;
	r->sent_pps = send_s > 0 ? (double)r->sent / send_s : 0;
	if (answered > 0) {
		r->min_us = (double)min * 1e6 / (double)hz;
		r->max_us = (double)max * 1e6 / (double)hz;
		r->avg_us = (double)sum / (double)answered * 1e6 / (double)hz;
		r->p50_us = hist_percentile_us(r, answered, 0.5);
		r->p90_us = hist_percentile_us(r, answered, 0.9);
		r->p99_us = hist_percentile_us(r, answered, 0.99);
	}
	return 0;
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

	if (opt->rate > 0)
		return ping_rate_run(ctx);
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
		if (wait_reply(ctx, t->stream, seq, deadline)) {
			rtt[nb_rtt] = rte_get_tsc_cycles() - t0;
			hist_add(&ctx->ping, rtt[nb_rtt], ctx->tsc_hz);
			nb_rtt++;
		} else
			ctx->ping.lost++;
		if (opt->progress > 0 && pktcheck_now(ctx) - last_progress >= opt->progress) {
			last_progress = pktcheck_now(ctx);
			pktcheck_progress(ctx);
		}
	}
	summarize(&ctx->ping, rtt, nb_rtt, ctx->tsc_hz);
	ctx->ping.sent_pps = pktcheck_now(ctx) > 0 ? (double)ctx->ping.sent / pktcheck_now(ctx) : 0;
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

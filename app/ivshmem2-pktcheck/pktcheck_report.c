/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/*
 * Progress lines, the summary table and one machine-readable line:
 *   PKTCHECK_JSON {...}
 * The verdict (the errors list) is decided here and only here.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>

#include "pktcheck.h"

#define MAX_ERRORS	32
#define ERROR_LEN	128

struct error_list {
	unsigned int n;		/**< errors found, may exceed MAX_ERRORS */
	char msg[MAX_ERRORS][ERROR_LEN];
};

static void __rte_format_printf(2, 3)
add_error(struct error_list *e, const char *fmt, ...)
{
	va_list ap;

	if (e->n < MAX_ERRORS) {
		va_start(ap, fmt);
		vsnprintf(e->msg[e->n], ERROR_LEN, fmt, ap);
		va_end(ap);
	}
	e->n++;
}

struct tx_totals {
	uint64_t frames, bytes, refused, full_events, dropped, nombuf;
	uint16_t fins_sent;
};

static void
tx_totals(const struct pktcheck_ctx *ctx, struct tx_totals *t)
{
	uint16_t q;

	memset(t, 0, sizeof(*t));
	for (q = 0; q < ctx->opt.nb_queues; q++) {
		const struct pktcheck_txq *x = &ctx->txq[q];

		t->frames += x->frames;
		t->bytes += x->bytes;
		t->refused += x->refused;
		t->full_events += x->full_events;
		t->dropped += x->dropped;
		t->nombuf += x->nombuf;
		t->fins_sent += x->fin_sent;
	}
}

static bool
does_tx(enum pktcheck_mode m)
{
	return m == PKTCHECK_MODE_TX || m == PKTCHECK_MODE_BOTH;
}

static bool
does_rx(enum pktcheck_mode m)
{
	return m == PKTCHECK_MODE_RX || m == PKTCHECK_MODE_BOTH;
}

void
pktcheck_progress(const struct pktcheck_ctx *ctx)
{
	static double last_t;
	static uint64_t last_tx, last_rx;
	struct tx_totals tx;
	double t = pktcheck_now(ctx), dt = t - last_t;
	uint64_t bad = ctx->rx.frames - ctx->rx.verdicts[PKTCHECK_OK];

	tx_totals(ctx, &tx);
	if (dt <= 0)
		dt = 1;
	printf("pktcheck: [%7.1f s] tx %" PRIu64 " (%.3f Mpps, refused %" PRIu64 ")  rx %" PRIu64
	       " (%.3f Mpps, bad %" PRIu64 ")\n",
	       t, tx.frames, (double)(tx.frames - last_tx) / dt / 1e6, tx.refused, ctx->rx.frames,
	       (double)(ctx->rx.frames - last_rx) / dt / 1e6, bad);
	fflush(stdout);
	last_t = t;
	last_tx = tx.frames;
	last_rx = ctx->rx.frames;
}

static void
check_streams(const struct pktcheck_ctx *ctx, struct error_list *e, uint64_t *lost_total)
{
	const struct pktcheck_stream *s;
	uint64_t lost;
	uint32_t i;

	*lost_total = 0;
	for (i = 0; i < PKTCHECK_MAX_STREAMS; i++) {
		s = &ctx->streams[i];
		if (!s->active)
			continue;
		lost = pktcheck_stream_lost(s);
		*lost_total += lost;
		if (s->dups)
			add_error(e, "stream %u: %" PRIu64 " duplicated frames", i, s->dups);
		if (s->late)
			add_error(e, "stream %u: %" PRIu64 " frames out of order", i, s->late);
		if (s->after_fin)
			add_error(e, "stream %u: %" PRIu64 " frames after the FIN", i, s->after_fin);
		if (s->fin_seen && (s->received > s->fin_seq || s->next_seq > s->fin_seq))
			add_error(e, "stream %u: %" PRIu64 " frames received, up to seq %" PRIu64
				  ", but only %" PRIu64 " sent", i, s->received, s->next_seq,
				  s->fin_seq);
		if (lost && !ctx->opt.allow_loss)
			add_error(e, "stream %u: %" PRIu64 " of %" PRIu64 " frames lost", i, lost,
				  s->fin_seq);
	}
}

static void
collect_errors(const struct pktcheck_ctx *ctx, struct error_list *e, uint64_t *lost)
{
	const struct pktcheck_options *opt = &ctx->opt;
	struct tx_totals tx;
	int v;

	*lost = 0;
	tx_totals(ctx, &tx);
	if (ctx->link_down)
		add_error(e, "port %u: link never came up", opt->tx_port);
	if (does_tx(opt->mode) && tx.fins_sent < opt->nb_queues)
		add_error(e, "only %u of %u TX streams completed (FIN sent)", tx.fins_sent,
			  opt->nb_queues);
	if (opt->mode == PKTCHECK_MODE_PONG)
		return;
	for (v = PKTCHECK_OK + 1; v < PKTCHECK_VERDICT_MAX; v++)
		if (ctx->rx.verdicts[v])
			add_error(e, "%" PRIu64 " frames %s", ctx->rx.verdicts[v],
				  pktcheck_verdict_name(v));
	if (ctx->rx.size_mismatch)
		add_error(e, "%" PRIu64 " frames with a length off the size plan",
			  ctx->rx.size_mismatch);
	if (ctx->rx.bad_stream)
		add_error(e, "%" PRIu64 " frames with a stream id out of range",
			  ctx->rx.bad_stream);
	check_streams(ctx, e, lost);
	if (does_rx(opt->mode) && ctx->rx.fin_streams < opt->expect_streams)
		add_error(e, "only %" PRIu64 " of %u expected streams completed (FIN received)",
			  ctx->rx.fin_streams, opt->expect_streams);
	if (opt->mode == PKTCHECK_MODE_PING) {
		if (ctx->ping.answered == 0)
			add_error(e, "no ping was answered");
		else if (ctx->ping.lost && !opt->allow_loss)
			add_error(e, "%" PRIu64 " pings lost", ctx->ping.lost);
	}
	if (ctx->timed_out)
		add_error(e, "timed out after %.1f s", opt->timeout);
}

static void
port_stats(uint16_t port, struct rte_eth_stats *st)
{
	memset(st, 0, sizeof(*st));
	rte_eth_stats_get(port, st);
}

/* The receive port's extended statistics that are not 0, as a JSON object's members. */
static void
print_json_xstats(uint16_t port)
{
	struct rte_eth_xstat_name *names = NULL;
	struct rte_eth_xstat *xs = NULL;
	const char *sep = "";
	int i, n;

	n = rte_eth_xstats_get(port, NULL, 0);
	if (n > 0) {
		names = calloc(n, sizeof(*names));
		xs = calloc(n, sizeof(*xs));
	}
	if (names != NULL && xs != NULL && rte_eth_xstats_get_names(port, names, n) == n &&
	    rte_eth_xstats_get(port, xs, n) == n) {
		for (i = 0; i < n; i++) {
			if (xs[i].value == 0 || xs[i].id >= (uint64_t)n)
				continue;
			printf("%s\"%s\":%" PRIu64, sep, names[xs[i].id].name, xs[i].value);
			sep = ",";
		}
	}
	free(names);
	free(xs);
}

static double
mpps(uint64_t frames, double s)
{
	return s > 0 ? (double)frames / s / 1e6 : 0;
}

/* Frame bytes without CRC, preamble and gap. */
static double
gbps(uint64_t bytes, double s)
{
	return s > 0 ? (double)bytes * 8 / s / 1e9 : 0;
}

/* Where the first gaps were, with the planned sizes of the missing frames. */
static void
print_gaps(const struct pktcheck_options *opt, uint32_t stream, const struct pktcheck_stream *x)
{
	uint32_t g;
	uint64_t k;

	for (g = 0; g < x->nb_gap_log; g++) {
		printf("    gap: seq %" PRIu64 " + %" PRIu64 " missing, sizes", x->gap_from[g],
		       x->gap_len[g]);
		for (k = 0; k < RTE_MIN(x->gap_len[g], (uint64_t)8); k++)
			printf(" %u", pktcheck_size_for(opt, stream, x->gap_from[g] + k));
		printf("%s\n", x->gap_len[g] > 8 ? " ..." : "");
	}
}

/* A receiver's rate counts from its first frame, not from its start. */
static double
rx_seconds(const struct pktcheck_ctx *ctx)
{
	if (ctx->opt.mode != PKTCHECK_MODE_RX || ctx->rx.first_tsc == 0)
		return ctx->elapsed;
	return (double)(ctx->rx.last_tsc - ctx->rx.first_tsc) / (double)ctx->tsc_hz;
}

static void
print_table(const struct pktcheck_ctx *ctx, const struct tx_totals *tx, uint64_t lost,
	    const struct rte_eth_stats *st)
{
	const struct pktcheck_options *opt = &ctx->opt;
	double s = ctx->elapsed, rx_s = rx_seconds(ctx);
	uint32_t i;
	int v;

	printf("\npktcheck summary: mode %s, %.2f s, %u queue(s), tx port %u, rx port %u\n",
	       pktcheck_mode_name(opt->mode), s, opt->nb_queues, opt->tx_port, opt->rx_port);
	printf("  %-4s %14s %16s %10s %10s\n", "dir", "frames", "bytes", "Mpps", "Gbit/s");
	printf("  %-4s %14" PRIu64 " %16" PRIu64 " %10.3f %10.3f\n", "tx", tx->frames, tx->bytes,
	       mpps(tx->frames, s), gbps(tx->bytes, s));
	printf("  %-4s %14" PRIu64 " %16" PRIu64 " %10.3f %10.3f\n", "rx", ctx->rx.frames,
	       ctx->rx.bytes, mpps(ctx->rx.frames, rx_s), gbps(ctx->rx.bytes, rx_s));
	printf("  tx: refused by the PMD (ring full) %" PRIu64 " times in %" PRIu64
	       " bursts, dropped %" PRIu64 ", pool empty %" PRIu64 ", FINs sent %u\n",
	       tx->refused, tx->full_events, tx->dropped, tx->nombuf, tx->fins_sent);
	printf("  rx: data %" PRIu64 ", FINs %" PRIu64 ", lost %" PRIu64, ctx->rx.data_frames,
	       ctx->rx.fins, lost);
	for (v = PKTCHECK_OK + 1; v < PKTCHECK_VERDICT_MAX; v++)
		printf(", %s %" PRIu64, pktcheck_verdict_name(v), ctx->rx.verdicts[v]);
	printf(", size_mismatch %" PRIu64 "\n", ctx->rx.size_mismatch);
	for (i = 0; i < PKTCHECK_MAX_STREAMS; i++) {
		const struct pktcheck_stream *x = &ctx->streams[i];

		if (!x->active)
			continue;
		printf("  stream %4u: received %" PRIu64 ", sent %s%" PRIu64 ", lost %" PRIu64
		       ", dups %" PRIu64 ", late %" PRIu64 "\n", i, x->received,
		       x->fin_seen ? "" : "? >= ", x->fin_seen ? x->fin_seq : x->next_seq,
		       pktcheck_stream_lost(x), x->dups, x->late);
		print_gaps(opt, i, x);
	}
	if (opt->mode == PKTCHECK_MODE_PING)
		printf("  ping: %" PRIu64 " sent (%.0f/s, asked %.0f/s), %" PRIu64 " answered, %"
		       PRIu64 " lost; round trip us: min %.2f avg %.2f p50 %.2f p90 %.2f p99 %.2f "
		       "max %.2f\n", ctx->ping.sent, ctx->ping.sent_pps, ctx->ping.rate,
		       ctx->ping.answered, ctx->ping.lost, ctx->ping.min_us,
		       ctx->ping.avg_us, ctx->ping.p50_us, ctx->ping.p90_us, ctx->ping.p99_us,
		       ctx->ping.max_us);
	printf("  port %u: ipackets %" PRIu64 " opackets %" PRIu64 " imissed %" PRIu64
	       " ierrors %" PRIu64 " oerrors %" PRIu64 " rx_nombuf %" PRIu64 "\n", opt->rx_port,
	       st->ipackets, st->opackets, st->imissed, st->ierrors, st->oerrors, st->rx_nombuf);
}

static void
print_json(const struct pktcheck_ctx *ctx, const struct tx_totals *tx, uint64_t lost,
	   const struct rte_eth_stats *st, const struct error_list *e)
{
	const struct pktcheck_options *opt = &ctx->opt;
	const char *sep = "";
	unsigned int i;
	int v;

	printf("PKTCHECK_JSON {\"ok\":%s,\"mode\":\"%s\",\"elapsed_s\":%.6f,\"rx_s\":%.6f,"
	       "\"queues\":%u,", e->n == 0 ? "true" : "false", pktcheck_mode_name(opt->mode),
	       ctx->elapsed, rx_seconds(ctx), opt->nb_queues);
	printf("\"tx\":{\"frames\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"refused\":%" PRIu64
	       ",\"full_events\":%" PRIu64 ",\"dropped\":%" PRIu64 ",\"nombuf\":%" PRIu64
	       ",\"fins_sent\":%u},", tx->frames, tx->bytes, tx->refused, tx->full_events,
	       tx->dropped, tx->nombuf, tx->fins_sent);
	printf("\"rx\":{\"frames\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"data_frames\":%" PRIu64
	       ",\"fins\":%" PRIu64 ",\"fin_streams\":%" PRIu64 ",\"lost\":%" PRIu64
	       ",\"size_mismatch\":%" PRIu64 ",\"bad_stream\":%" PRIu64, ctx->rx.frames,
	       ctx->rx.bytes, ctx->rx.data_frames, ctx->rx.fins, ctx->rx.fin_streams, lost,
	       ctx->rx.size_mismatch, ctx->rx.bad_stream);
	for (v = 0; v < PKTCHECK_VERDICT_MAX; v++)
		printf(",\"%s\":%" PRIu64, pktcheck_verdict_name(v), ctx->rx.verdicts[v]);
	printf(",\"streams\":[");
	for (i = 0; i < PKTCHECK_MAX_STREAMS; i++) {
		const struct pktcheck_stream *x = &ctx->streams[i];

		if (!x->active)
			continue;
		printf("%s{\"id\":%u,\"received\":%" PRIu64 ",\"fin\":%s,\"sent\":%" PRIu64
		       ",\"lost\":%" PRIu64 ",\"dups\":%" PRIu64 ",\"late\":%" PRIu64 "}", sep, i,
		       x->received, x->fin_seen ? "true" : "false", x->fin_seq,
		       pktcheck_stream_lost(x), x->dups, x->late);
		sep = ",";
	}
	printf("]},");
	printf("\"ping\":{\"sent\":%" PRIu64 ",\"answered\":%" PRIu64 ",\"lost\":%" PRIu64
	       ",\"min_us\":%.3f,\"avg_us\":%.3f,\"p50_us\":%.3f,\"p90_us\":%.3f,\"p99_us\":%.3f"
	       ",\"max_us\":%.3f,\"rate_pps\":%.1f,\"sent_pps\":%.1f,\"hist\":{\"unit\":\"ns\","
	       "\"buckets\":[", ctx->ping.sent, ctx->ping.answered, ctx->ping.lost,
	       ctx->ping.min_us, ctx->ping.avg_us, ctx->ping.p50_us, ctx->ping.p90_us,
	       ctx->ping.p99_us, ctx->ping.max_us, ctx->ping.rate, ctx->ping.sent_pps);
	/* Non-empty buckets only: [lower bound ns, upper bound ns, count]. */
	sep = "";
	for (i = 0; i < PKTCHECK_HIST_BUCKETS; i++) {
		if (ctx->ping.hist[i] == 0)
			continue;
		printf("%s[%" PRIu64 ",%" PRIu64 ",%" PRIu64 "]", sep, pktcheck_hist_lower(i),
		       i + 1 < PKTCHECK_HIST_BUCKETS ? pktcheck_hist_lower(i + 1) : UINT64_MAX,
		       ctx->ping.hist[i]);
		sep = ",";
	}
	printf("]}},");
	printf("\"port\":{\"ipackets\":%" PRIu64 ",\"opackets\":%" PRIu64 ",\"imissed\":%" PRIu64
	       ",\"ierrors\":%" PRIu64 ",\"oerrors\":%" PRIu64 ",\"rx_nombuf\":%" PRIu64 "},",
	       st->ipackets, st->opackets, st->imissed, st->ierrors, st->oerrors, st->rx_nombuf);
	printf("\"xstats\":{");
	print_json_xstats(opt->rx_port);
	printf("},");
	printf("\"errors\":[");
	for (i = 0; i < RTE_MIN(e->n, (unsigned int)MAX_ERRORS); i++)
		printf("%s\"%s\"", i ? "," : "", e->msg[i]);
	printf("]}\n");
}

unsigned int
pktcheck_report(const struct pktcheck_ctx *ctx)
{
	struct error_list errors;
	struct rte_eth_stats st;
	struct tx_totals tx;
	uint64_t lost;
	unsigned int i;

	memset(&errors, 0, sizeof(errors));
	tx_totals(ctx, &tx);
	collect_errors(ctx, &errors, &lost);
	port_stats(ctx->opt.rx_port, &st);
	print_table(ctx, &tx, lost, &st);
	if (errors.n == 0) {
		printf("pktcheck: PASS: every frame received was verified\n");
	} else {
		for (i = 0; i < RTE_MIN(errors.n, (unsigned int)MAX_ERRORS); i++)
			printf("pktcheck: FAIL: %s\n", errors.msg[i]);
	}
	print_json(ctx, &tx, lost, &st, &errors);
	fflush(stdout);
	return errors.n;
}

/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/* The checker: every received frame is verified completely before it is freed. */

#include <rte_ethdev.h>

#include "pktcheck.h"

bool
pktcheck_rx_account(struct pktcheck_ctx *ctx, const struct rte_mbuf *m,
		    struct pktcheck_frame_info *out)
{
	struct pktcheck_frame_info local;
	struct pktcheck_frame_info *info = out != NULL ? out : &local;
	enum pktcheck_verdict v;
	struct pktcheck_stream *s;

	ctx->rx.frames++;
	ctx->rx.bytes += rte_pktmbuf_pkt_len(m);
	v = pktcheck_frame_verify(m, ctx->scratch, info);
	ctx->rx.verdicts[v]++;
	if (v != PKTCHECK_OK)
		return false;
	if (info->stream >= PKTCHECK_MAX_STREAMS) {
		ctx->rx.bad_stream++;
		return false;
	}
	s = &ctx->streams[info->stream];
	if (info->flags & PKTCHECK_FLAG_FIN) {
		ctx->rx.fins++;
		if (!s->fin_seen)
			ctx->rx.fin_streams++;
		pktcheck_stream_fin(s, info->seq);
		return true;
	}
	ctx->rx.data_frames++;
	if (info->frame_len != pktcheck_size_for(&ctx->opt, info->stream, info->seq)) {
		ctx->rx.size_mismatch++;
		return false;
	}
	pktcheck_stream_data(s, info->seq);
	return true;
}

uint32_t
pktcheck_rx_poll(struct pktcheck_ctx *ctx)
{
	struct rte_mbuf *pkts[PKTCHECK_MAX_BURST];
	uint32_t total = 0;
	uint16_t q, n, i;

	for (q = 0; q < ctx->opt.nb_queues; q++) {
		n = rte_eth_rx_burst(ctx->opt.rx_port, q, pkts, ctx->opt.burst);
		if (n == 0)
			continue;
		ctx->rx.last_tsc = rte_get_tsc_cycles();
		if (ctx->rx.first_tsc == 0)
			ctx->rx.first_tsc = ctx->rx.last_tsc;
		for (i = 0; i < n; i++)
			pktcheck_rx_account(ctx, pkts[i], NULL);
		rte_pktmbuf_free_bulk(pkts, n);
		total += n;
	}
	return total;
}

bool
pktcheck_rx_done(const struct pktcheck_ctx *ctx)
{
	return ctx->rx.fin_streams >= ctx->opt.expect_streams;
}

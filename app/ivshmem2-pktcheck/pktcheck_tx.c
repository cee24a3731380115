/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/*
 * The generator. A frame gets its sequence number when it is built; frames
 * the PMD refuses (ring full) are offered again in the same order, or with
 * --on-full drop freed and their numbers reused. Either way the numbers the
 * PMD accepted are consecutive, so a gap at the receiver is a frame the
 * transport lost after accepting it, never one the ring had no room for.
 */

#include <string.h>

#include <rte_ethdev.h>

#include "pktcheck.h"

void
pktcheck_tx_init(struct pktcheck_ctx *ctx)
{
	const struct pktcheck_options *opt = &ctx->opt;
	uint16_t q;

	for (q = 0; q < opt->nb_queues; q++) {
		struct pktcheck_txq *t = &ctx->txq[q];

		memset(t, 0, sizeof(*t));
		t->queue = q;
		t->stream = pktcheck_stream_id(opt->sender_id, q);
		if (opt->frames > 0)
			t->quota = opt->frames / opt->nb_queues + (q < opt->frames % opt->nb_queues);
		else
			t->quota = UINT64_MAX;
	}
}

static bool
push(struct pktcheck_ctx *ctx, struct pktcheck_txq *t, uint16_t flags, uint64_t seq,
     uint32_t len)
{
	struct rte_mbuf *m;

	m = pktcheck_frame_build(ctx->pool, ctx->scratch, &ctx->src_mac, &ctx->opt.dst_mac,
				 t->stream, flags, seq, len, ctx->seg_size);
	if (m == NULL) {
		t->nombuf++;
		return false;
	}
	t->pending[t->nb_pending] = m;
	t->pending_seq[t->nb_pending] = seq;
	t->pending_len[t->nb_pending] = len;
	t->nb_pending++;
	return true;
}

static void
corrupt_last_byte(struct rte_mbuf *m)
{
	struct rte_mbuf *last = rte_pktmbuf_lastseg(m);

	rte_pktmbuf_mtod(last, uint8_t *)[last->data_len - 1] ^= 0x5a;
}

/* Build one new data frame, or two for the dup/swap self-tests. */
static bool
push_data(struct pktcheck_ctx *ctx, struct pktcheck_txq *t, uint16_t room)
{
	const struct pktcheck_options *opt = &ctx->opt;
	uint64_t seq = t->next_seq;
	bool inject = opt->inject_every > 0 && t->built % opt->inject_every == opt->inject_every - 1;

	if (inject && opt->inject_kind == PKTCHECK_INJECT_SKIP)
		seq++;
	if (inject && opt->inject_kind == PKTCHECK_INJECT_SWAP && room >= 2 &&
	    seq + 1 < t->quota) {
		if (!push(ctx, t, 0, seq + 1, pktcheck_size_for(opt, t->stream, seq + 1)))
			return false;
		if (!push(ctx, t, 0, seq, pktcheck_size_for(opt, t->stream, seq))) {
			rte_pktmbuf_free(t->pending[--t->nb_pending]);
			return false;
		}
		t->next_seq = seq + 2;
		t->built += 2;
		return true;
	}
	if (!push(ctx, t, 0, seq, pktcheck_size_for(opt, t->stream, seq)))
		return false;
	if (inject && opt->inject_kind == PKTCHECK_INJECT_CORRUPT)
		corrupt_last_byte(t->pending[t->nb_pending - 1]);
	if (inject && opt->inject_kind == PKTCHECK_INJECT_DUP && room >= 2)
		push(ctx, t, 0, seq, pktcheck_size_for(opt, t->stream, seq));
	t->next_seq = seq + 1;
	t->built++;
	return true;
}

/*
 * --window: data frames accepted by the PMD (every queue) and not yet
 * verified back, plus those built and waiting; building stops at the window.
 */
static bool
window_full(const struct pktcheck_ctx *ctx)
{
	uint64_t out = 0;
	uint16_t q;

	if (ctx->opt.window == 0)
		return false;
	for (q = 0; q < ctx->opt.nb_queues; q++)
		out += ctx->txq[q].frames + ctx->txq[q].nb_pending;
	return out >= ctx->rx.data_frames + ctx->opt.window;
}

static void
fill_pending(struct pktcheck_ctx *ctx, struct pktcheck_txq *t, bool stop_data)
{
	uint16_t burst = ctx->opt.burst;

	while (t->nb_pending < burst && !t->fin_pending && !t->fin_sent) {
		if (stop_data || t->next_seq >= t->quota) {
			/* The FIN goes alone, after every data frame was accepted. */
			if (t->nb_pending == 0 &&
			    push(ctx, t, PKTCHECK_FLAG_FIN, t->next_seq, PKTCHECK_MIN_FRAME))
				t->fin_pending = true;
			return;
		}
		if (window_full(ctx) || !push_data(ctx, t, burst - t->nb_pending))
			return;
	}
}

static void
send_pending(struct pktcheck_ctx *ctx, struct pktcheck_txq *t)
{
	uint16_t n, i, nb = t->nb_pending;

	if (nb == 0)
		return;
	n = rte_eth_tx_burst(ctx->opt.tx_port, t->queue, t->pending, nb);
	if (t->fin_pending) {
		if (n == 1) {
			t->fin_pending = false;
			t->fin_sent = true;
			t->nb_pending = 0;
		} else {
			t->refused++;
		}
		return;
	}
	for (i = 0; i < n; i++)
		t->bytes += t->pending_len[i];
	t->frames += n;
	if (n == nb) {
		t->nb_pending = 0;
		return;
	}
	t->refused += nb - n;
	t->full_events++;
	if (ctx->opt.on_full == PKTCHECK_FULL_DROP) {
		t->next_seq = t->pending_seq[n];
		rte_pktmbuf_free_bulk(&t->pending[n], nb - n);
		t->dropped += nb - n;
		t->nb_pending = 0;
		return;
	}
	memmove(&t->pending[0], &t->pending[n], (nb - n) * sizeof(t->pending[0]));
	memmove(&t->pending_seq[0], &t->pending_seq[n], (nb - n) * sizeof(t->pending_seq[0]));
	memmove(&t->pending_len[0], &t->pending_len[n],
		(nb - n) * sizeof(t->pending_len[0]));
	t->nb_pending = nb - n;
}

bool
pktcheck_tx_poll(struct pktcheck_ctx *ctx, bool stop_data)
{
	bool done = true;
	uint16_t q;

	for (q = 0; q < ctx->opt.nb_queues; q++) {
		struct pktcheck_txq *t = &ctx->txq[q];

		if (t->fin_sent)
			continue;
		fill_pending(ctx, t, stop_data);
		send_pending(ctx, t);
		done = done && t->fin_sent;
	}
	return done;
}

void
pktcheck_tx_release(struct pktcheck_ctx *ctx)
{
	uint16_t q;

	for (q = 0; q < ctx->opt.nb_queues; q++) {
		struct pktcheck_txq *t = &ctx->txq[q];

		rte_pktmbuf_free_bulk(t->pending, t->nb_pending);
		t->nb_pending = 0;
		t->fin_pending = false;
	}
}

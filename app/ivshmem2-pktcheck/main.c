/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/*
 * ivshmem2-pktcheck: traffic generator and checker for any DPDK port.
 *
 *   ivshmem2-pktcheck [EAL options] -- --mode tx|rx|both|ping|pong [options]
 *
 * See pktcheck_frame.h for the frame format and pktcheck_tx.c for why a gap
 * at the receiver can only be a frame lost after the PMD accepted it.
 */

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>

#include "pktcheck.h"
#include "pktcheck_port.h"

#define EXIT_VERIFY_FAILED	1
#define EXIT_SETUP_FAILED	2
#define FIN_GRACE_S		2.0	/* after a signal, try this long to send the FINs */

static volatile bool force_quit;

static void
signal_handler(int signum)
{
	if (signum == SIGINT || signum == SIGTERM)
		force_quit = true;
}

static bool
time_up(const struct pktcheck_ctx *ctx, double t)
{
	return ctx->opt.duration > 0 && t >= ctx->opt.duration;
}

/* TX, RX or both on one lcore until every stream is finished. */
static void
run_stream_modes(struct pktcheck_ctx *ctx)
{
	const struct pktcheck_options *opt = &ctx->opt;
	bool tx = opt->mode == PKTCHECK_MODE_TX || opt->mode == PKTCHECK_MODE_BOTH;
	bool rx = opt->mode == PKTCHECK_MODE_RX || opt->mode == PKTCHECK_MODE_BOTH;
	bool tx_done = !tx, rx_done = !rx;
	double t, last_progress = 0, quit_at = 0;

	while (!(tx_done && rx_done)) {
		t = pktcheck_now(ctx);
		if (force_quit && quit_at == 0) {
			quit_at = t;
			ctx->interrupted = true;
		}
		/* After a signal the receiver stops; the sender still tries its FINs. */
		if (quit_at > 0 && (rx || t - quit_at > FIN_GRACE_S))
			break;
		if (opt->timeout > 0 && t >= opt->timeout) {
			ctx->timed_out = true;
			break;
		}
		if (!tx_done)
			tx_done = pktcheck_tx_poll(ctx, quit_at > 0 || time_up(ctx, t));
		if (!rx_done) {
			pktcheck_rx_poll(ctx);
			rx_done = pktcheck_rx_done(ctx);
		}
		if (opt->progress > 0 && t - last_progress >= opt->progress) {
			last_progress = t;
			pktcheck_progress(ctx);
		}
	}
}

/* Keep the port open a moment so a peer can drain what we sent last. */
static void
linger(struct pktcheck_ctx *ctx)
{
	uint64_t end = rte_get_tsc_cycles() + (uint64_t)(ctx->opt.linger * ctx->tsc_hz);
	bool rx = ctx->opt.mode != PKTCHECK_MODE_TX;

	while (!force_quit && rte_get_tsc_cycles() < end) {
		if (rx)
			pktcheck_rx_poll(ctx);
		else
			rte_delay_ms(10);
	}
}

/* Wait after link up, receiving (and verifying) meanwhile in RX modes. */
static void
start_delay(struct pktcheck_ctx *ctx)
{
	uint64_t end = rte_get_tsc_cycles() + (uint64_t)(ctx->opt.start_delay * ctx->tsc_hz);
	bool rx = ctx->opt.mode == PKTCHECK_MODE_BOTH;

	while (!force_quit && rte_get_tsc_cycles() < end) {
		if (rx)
			pktcheck_rx_poll(ctx);
		else
			rte_delay_ms(1);
	}
}

static int
setup(struct pktcheck_ctx *ctx)
{
	const struct pktcheck_options *opt = &ctx->opt;
	uint32_t room;
	int ret;

	if (!rte_eth_dev_is_valid_port(opt->tx_port) || !rte_eth_dev_is_valid_port(opt->rx_port)) {
		fprintf(stderr, "pktcheck: port %u or %u does not exist (%u ports; add --vdev?)\n",
			opt->tx_port, opt->rx_port, rte_eth_dev_count_avail());
		return -1;
	}
	ctx->pool = pktcheck_pool_create(opt, opt->tx_port);
	if (ctx->pool == NULL)
		return -1;
	room = pktcheck_pool_data_room(ctx->pool);
	ctx->seg_size = opt->seg_size ? opt->seg_size : room;
	if (ctx->seg_size > room) {
		fprintf(stderr, "pktcheck: --seg-size %u above the mbuf data room %u\n",
			ctx->seg_size, room);
		return -1;
	}
	if (pktcheck_max_size(opt) / ctx->seg_size + 1 > RTE_MBUF_MAX_NB_SEGS) {
		fprintf(stderr, "pktcheck: frames of %u bytes need too many %u-byte segments\n",
			pktcheck_max_size(opt), ctx->seg_size);
		return -1;
	}
	if (pktcheck_port_init(opt, opt->tx_port, ctx->pool) != 0)
		return -1;
	if (opt->rx_port != opt->tx_port && pktcheck_port_init(opt, opt->rx_port, ctx->pool) != 0)
		return -1;
	ret = rte_eth_macaddr_get(opt->tx_port, &ctx->src_mac);
	if (ret != 0)
		memset(&ctx->src_mac, 0, sizeof(ctx->src_mac));
	ctx->scratch = rte_zmalloc("pktcheck_scratch", sizeof(*ctx->scratch), RTE_CACHE_LINE_SIZE);
	ctx->streams = rte_zmalloc("pktcheck_streams",
				   sizeof(*ctx->streams) * PKTCHECK_MAX_STREAMS, 0);
	if (ctx->scratch == NULL || ctx->streams == NULL) {
		fprintf(stderr, "pktcheck: out of memory\n");
		return -1;
	}
	pktcheck_tx_init(ctx);
	return 0;
}

static void
run(struct pktcheck_ctx *ctx)
{
	const struct pktcheck_options *opt = &ctx->opt;
	bool needs_link = opt->mode != PKTCHECK_MODE_RX && opt->mode != PKTCHECK_MODE_PONG;

	ctx->tsc_hz = rte_get_tsc_hz();
	ctx->start_tsc = rte_get_tsc_cycles();
	if (needs_link && pktcheck_port_wait_link(opt->tx_port, opt->link_timeout, &force_quit)) {
		ctx->link_down = !force_quit;
		ctx->interrupted = force_quit;
		return;
	}
	if (needs_link && opt->start_delay > 0)
		start_delay(ctx);
	/* Time counts from link up, so --duration and the rates mean traffic time. */
	ctx->start_tsc = rte_get_tsc_cycles();
	printf("pktcheck: running mode %s\n", pktcheck_mode_name(opt->mode));
	fflush(stdout);
	if (opt->mode == PKTCHECK_MODE_PING)
		pktcheck_ping_run(ctx);
	else if (opt->mode == PKTCHECK_MODE_PONG)
		pktcheck_pong_run(ctx);
	else
		run_stream_modes(ctx);
	ctx->elapsed = pktcheck_now(ctx);
	linger(ctx);
}

int
main(int argc, char **argv)
{
	static struct pktcheck_ctx ctx;
	unsigned int errors;
	int ret;

	ret = rte_eal_init(argc, argv);
	if (ret < 0)
		rte_exit(EXIT_SETUP_FAILED, "pktcheck: EAL initialisation failed\n");
	argc -= ret;
	argv += ret;
	argv[0] = (char *)(uintptr_t)"ivshmem2-pktcheck";

	signal(SIGINT, signal_handler);
	signal(SIGTERM, signal_handler);
	ctx.quit = &force_quit;

	if (pktcheck_options_parse(&ctx.opt, argc, argv) != 0 || setup(&ctx) != 0) {
		rte_eal_cleanup();
		return EXIT_SETUP_FAILED;
	}
	run(&ctx);
	errors = pktcheck_report(&ctx);

	pktcheck_tx_release(&ctx);
	pktcheck_port_close(ctx.opt.tx_port);
	if (ctx.opt.rx_port != ctx.opt.tx_port)
		pktcheck_port_close(ctx.opt.rx_port);
	rte_free(ctx.streams);
	rte_free(ctx.scratch);
	rte_eal_cleanup();
	return errors == 0 ? EXIT_SUCCESS : EXIT_VERIFY_FAILED;
}

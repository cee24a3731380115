/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>

#include "pktcheck_frame.h"
#include "pktcheck_options.h"
#include "pktcheck_stream.h"

#define CMD_LINE_OPT_MODE		"mode"
#define CMD_LINE_OPT_PORT		"port"
#define CMD_LINE_OPT_TX_PORT		"tx-port"
#define CMD_LINE_OPT_RX_PORT		"rx-port"
#define CMD_LINE_OPT_QUEUES		"queues"
#define CMD_LINE_OPT_BURST		"burst"
#define CMD_LINE_OPT_RXD		"rxd"
#define CMD_LINE_OPT_TXD		"txd"
#define CMD_LINE_OPT_ID			"id"
#define CMD_LINE_OPT_EXPECT_STREAMS	"expect-streams"
#define CMD_LINE_OPT_FRAMES		"frames"
#define CMD_LINE_OPT_DURATION		"duration"
#define CMD_LINE_OPT_TIMEOUT		"timeout"
#define CMD_LINE_OPT_LINK_TIMEOUT	"link-timeout"
#define CMD_LINE_OPT_LINGER		"linger"
#define CMD_LINE_OPT_START_DELAY	"start-delay"
#define CMD_LINE_OPT_PROGRESS		"progress"
#define CMD_LINE_OPT_SIZES		"sizes"
#define CMD_LINE_OPT_SEED		"seed"
#define CMD_LINE_OPT_SEG_SIZE		"seg-size"
#define CMD_LINE_OPT_MBUFS		"mbufs"
#define CMD_LINE_OPT_TX_POOL		"tx-pool"
#define CMD_LINE_OPT_MTU		"mtu"
#define CMD_LINE_OPT_ON_FULL		"on-full"
#define CMD_LINE_OPT_ALLOW_LOSS		"allow-loss"
#define CMD_LINE_OPT_WINDOW		"window"
#define CMD_LINE_OPT_RATE		"rate"
#define CMD_LINE_OPT_DST_MAC		"dst-mac"
#define CMD_LINE_OPT_INJECT		"inject"
#define CMD_LINE_OPT_HELP		"help"

enum {
	CMD_LINE_OPT_MIN_NUM = 256,
	CMD_LINE_OPT_MODE_NUM,
	CMD_LINE_OPT_PORT_NUM,
	CMD_LINE_OPT_TX_PORT_NUM,
	CMD_LINE_OPT_RX_PORT_NUM,
	CMD_LINE_OPT_QUEUES_NUM,
	CMD_LINE_OPT_BURST_NUM,
	CMD_LINE_OPT_RXD_NUM,
	CMD_LINE_OPT_TXD_NUM,
	CMD_LINE_OPT_ID_NUM,
	CMD_LINE_OPT_EXPECT_STREAMS_NUM,
	CMD_LINE_OPT_FRAMES_NUM,
	CMD_LINE_OPT_DURATION_NUM,
	CMD_LINE_OPT_TIMEOUT_NUM,
	CMD_LINE_OPT_LINK_TIMEOUT_NUM,
	CMD_LINE_OPT_LINGER_NUM,
	CMD_LINE_OPT_START_DELAY_NUM,
	CMD_LINE_OPT_PROGRESS_NUM,
	CMD_LINE_OPT_SIZES_NUM,
	CMD_LINE_OPT_SEED_NUM,
	CMD_LINE_OPT_SEG_SIZE_NUM,
	CMD_LINE_OPT_MBUFS_NUM,
	CMD_LINE_OPT_TX_POOL_NUM,
	CMD_LINE_OPT_MTU_NUM,
	CMD_LINE_OPT_ON_FULL_NUM,
	CMD_LINE_OPT_ALLOW_LOSS_NUM,
	CMD_LINE_OPT_WINDOW_NUM,
	CMD_LINE_OPT_RATE_NUM,
	CMD_LINE_OPT_DST_MAC_NUM,
	CMD_LINE_OPT_INJECT_NUM,
	CMD_LINE_OPT_HELP_NUM,
};

static const struct option long_options[] = {
	{CMD_LINE_OPT_MODE, required_argument, NULL, CMD_LINE_OPT_MODE_NUM},
	{CMD_LINE_OPT_PORT, required_argument, NULL, CMD_LINE_OPT_PORT_NUM},
	{CMD_LINE_OPT_TX_PORT, required_argument, NULL, CMD_LINE_OPT_TX_PORT_NUM},
	{CMD_LINE_OPT_RX_PORT, required_argument, NULL, CMD_LINE_OPT_RX_PORT_NUM},
	{CMD_LINE_OPT_QUEUES, required_argument, NULL, CMD_LINE_OPT_QUEUES_NUM},
	{CMD_LINE_OPT_BURST, required_argument, NULL, CMD_LINE_OPT_BURST_NUM},
	{CMD_LINE_OPT_RXD, required_argument, NULL, CMD_LINE_OPT_RXD_NUM},
	{CMD_LINE_OPT_TXD, required_argument, NULL, CMD_LINE_OPT_TXD_NUM},
	{CMD_LINE_OPT_ID, required_argument, NULL, CMD_LINE_OPT_ID_NUM},
	{CMD_LINE_OPT_EXPECT_STREAMS, required_argument, NULL, CMD_LINE_OPT_EXPECT_STREAMS_NUM},
	{CMD_LINE_OPT_FRAMES, required_argument, NULL, CMD_LINE_OPT_FRAMES_NUM},
	{CMD_LINE_OPT_DURATION, required_argument, NULL, CMD_LINE_OPT_DURATION_NUM},
	{CMD_LINE_OPT_TIMEOUT, required_argument, NULL, CMD_LINE_OPT_TIMEOUT_NUM},
	{CMD_LINE_OPT_LINK_TIMEOUT, required_argument, NULL, CMD_LINE_OPT_LINK_TIMEOUT_NUM},
	{CMD_LINE_OPT_LINGER, required_argument, NULL, CMD_LINE_OPT_LINGER_NUM},
	{CMD_LINE_OPT_START_DELAY, required_argument, NULL, CMD_LINE_OPT_START_DELAY_NUM},
	{CMD_LINE_OPT_PROGRESS, required_argument, NULL, CMD_LINE_OPT_PROGRESS_NUM},
	{CMD_LINE_OPT_SIZES, required_argument, NULL, CMD_LINE_OPT_SIZES_NUM},
	{CMD_LINE_OPT_SEED, required_argument, NULL, CMD_LINE_OPT_SEED_NUM},
	{CMD_LINE_OPT_SEG_SIZE, required_argument, NULL, CMD_LINE_OPT_SEG_SIZE_NUM},
	{CMD_LINE_OPT_MBUFS, required_argument, NULL, CMD_LINE_OPT_MBUFS_NUM},
	{CMD_LINE_OPT_TX_POOL, no_argument, NULL, CMD_LINE_OPT_TX_POOL_NUM},
	{CMD_LINE_OPT_MTU, required_argument, NULL, CMD_LINE_OPT_MTU_NUM},
	{CMD_LINE_OPT_ON_FULL, required_argument, NULL, CMD_LINE_OPT_ON_FULL_NUM},
	{CMD_LINE_OPT_ALLOW_LOSS, no_argument, NULL, CMD_LINE_OPT_ALLOW_LOSS_NUM},
	{CMD_LINE_OPT_WINDOW, required_argument, NULL, CMD_LINE_OPT_WINDOW_NUM},
	{CMD_LINE_OPT_RATE, required_argument, NULL, CMD_LINE_OPT_RATE_NUM},
	{CMD_LINE_OPT_DST_MAC, required_argument, NULL, CMD_LINE_OPT_DST_MAC_NUM},
	{CMD_LINE_OPT_INJECT, required_argument, NULL, CMD_LINE_OPT_INJECT_NUM},
	{CMD_LINE_OPT_HELP, no_argument, NULL, CMD_LINE_OPT_HELP_NUM},
	{NULL, 0, NULL, 0},
};

static const char * const mode_names[] = {
	[PKTCHECK_MODE_TX] = "tx",
	[PKTCHECK_MODE_RX] = "rx",
	[PKTCHECK_MODE_BOTH] = "both",
	[PKTCHECK_MODE_PING] = "ping",
	[PKTCHECK_MODE_PONG] = "pong",
};

static const char * const inject_names[] = {
	[PKTCHECK_INJECT_NONE] = "none",
	[PKTCHECK_INJECT_CORRUPT] = "corrupt",
	[PKTCHECK_INJECT_DUP] = "dup",
	[PKTCHECK_INJECT_SKIP] = "skip",
	[PKTCHECK_INJECT_SWAP] = "swap",
};

const char *
pktcheck_mode_name(enum pktcheck_mode mode)
{
	return mode < RTE_DIM(mode_names) ? mode_names[mode] : "?";
}

static void
usage(const char *prog)
{
	printf("Usage: %s [EAL options] -- [options]\n"
	       "Send sequence-numbered, checksummed frames and verify every frame received.\n"
	       "  --mode tx|rx|both|ping|pong  what to do (default both)\n"
	       "  --port P          port for TX and RX (default 0); --tx-port/--rx-port split them\n"
	       "  --queues N        queue pairs (default 1); each TX queue is one stream\n"
	       "  --burst N         frames per burst (default 32)\n"
	       "  --rxd N --txd N   descriptors per queue (default 1024)\n"
	       "  --id N            sender id, 0..%d, part of the stream id (default 0)\n"
	       "  --expect-streams N  FIN frames RX waits for (default: --queues)\n"
	       "  --frames N        data frames to send over all queues (default 100000)\n"
	       "  --duration S      send for S seconds instead of a frame count\n"
	       "  --timeout S       give up after S seconds (default 0: never)\n"
	       "  --link-timeout S  wait for link up before sending (default 30)\n"
	       "  --linger S        keep polling S seconds after done (default 1)\n"
	       "  --start-delay S   wait S seconds after link up before sending (default 0)\n"
	       "  --progress S      progress line every S seconds (default 2, 0 = off)\n"
	       "  --sizes SPEC      frame sizes %d..%d: N, N1,N2,... (in turn) or random:LO-HI\n"
	       "  --seed N          seed of random sizes (default 1); RX must use the same\n"
	       "  --seg-size N      bytes per TX segment (default: mbuf data room)\n"
	       "  --mbufs N         mbufs in the pool (default 16383)\n"
	       "  --tx-pool         take the mbufs from the net_ivshmem2 port's own output\n"
	       "                    section (rte_pmd_ivshmem2_pktmbuf_pool_create): TX posts\n"
	       "                    them without a copy, and so does forwarding what RX got;\n"
	       "                    --mbufs must fit in the section (server -o)\n"
	       "  --mtu N           port MTU (default: from the largest size)\n"
	       "  --on-full retry|drop  frames the PMD refused: offer again or free (default retry)\n"
	       "  --allow-loss      count losses but do not fail on them\n"
	       "  --window N        mode both: at most N data frames sent and not yet back\n"
	       "                    (default 0: no limit); keeps a forwarder's rings from\n"
	       "                    overflowing, so any loss is the transport's (a lost\n"
	       "                    frame stays in the window)\n"
	       "  --rate PPS        mode ping: send PPS frames/s open-loop (many in flight), the\n"
	       "                    round trip of each from the TSC it carries (default 0:\n"
	       "                    one frame in flight); the JSON has a latency histogram\n"
	       "  --dst-mac MAC     destination MAC (default ff:ff:ff:ff:ff:ff)\n"
	       "  --inject KIND:N   self-test: corrupt|dup|skip|swap every N-th frame\n"
	       "Exit status: 0 all verified, 1 a frame was corrupt, duplicated, reordered, lost\n"
	       "or missing, 2 bad usage or set-up failure.\n",
	       prog, PKTCHECK_MAX_SENDERS - 1, PKTCHECK_MIN_FRAME, PKTCHECK_MAX_FRAME);
}

static int
parse_u64(const char *name, const char *arg, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(arg, &end, 0);
	if (errno != 0 || end == arg || *end != '\0' || arg[0] == '-' || v < min || v > max) {
		fprintf(stderr, "pktcheck: --%s: '%s' is not a number in %" PRIu64 "..%" PRIu64 "\n",
			name, arg, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

static int
parse_u16(const char *name, const char *arg, uint16_t min, uint16_t max, uint16_t *out)
{
	uint64_t v;

	if (parse_u64(name, arg, min, max, &v) != 0)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

static int
parse_seconds(const char *name, const char *arg, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno != 0 || end == arg || *end != '\0' || !(v >= 0 && v < 1e7)) {
		fprintf(stderr, "pktcheck: --%s: '%s' is not a number of seconds\n", name, arg);
		return -1;
	}
	*out = v;
	return 0;
}

static int
parse_rate(const char *arg, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno != 0 || end == arg || *end != '\0' || !(v >= 0 && v <= 1e9)) {
		fprintf(stderr, "pktcheck: --rate: '%s' is not a rate in 0..1e9 frames/s\n", arg);
		return -1;
	}
	*out = v;
	return 0;
}

static int
parse_size(const char *arg, uint32_t *out)
{
	uint64_t v;

	if (parse_u64(CMD_LINE_OPT_SIZES, arg, PKTCHECK_MIN_FRAME, PKTCHECK_MAX_FRAME, &v) != 0)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int
parse_sizes(struct pktcheck_options *opt, const char *arg)
{
	char buf[1024];
	char *tok, *save, *dash;

	if (strlen(arg) >= sizeof(buf)) {
		fprintf(stderr, "pktcheck: --sizes: list too long\n");
		return -1;
	}
	strcpy(buf, arg);
	if (strncmp(buf, "random:", 7) == 0) {
		dash = strchr(buf + 7, '-');
		if (dash == NULL) {
			fprintf(stderr, "pktcheck: --sizes: expected random:LO-HI, got '%s'\n", arg);
			return -1;
		}
		*dash = '\0';
		if (parse_size(buf + 7, &opt->sizes[0]) != 0 ||
		    parse_size(dash + 1, &opt->sizes[1]) != 0)
			return -1;
		if (opt->sizes[0] > opt->sizes[1]) {
			fprintf(stderr, "pktcheck: --sizes: LO above HI in '%s'\n", arg);
			return -1;
		}
		opt->size_mode = PKTCHECK_SIZES_RANDOM;
		opt->nb_sizes = 2;
		return 0;
	}
	opt->size_mode = PKTCHECK_SIZES_LIST;
	opt->nb_sizes = 0;
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		if (opt->nb_sizes == PKTCHECK_MAX_SIZES) {
			fprintf(stderr, "pktcheck: --sizes: more than %d sizes\n",
				PKTCHECK_MAX_SIZES);
			return -1;
		}
		if (parse_size(tok, &opt->sizes[opt->nb_sizes]) != 0)
			return -1;
		opt->nb_sizes++;
	}
	if (opt->nb_sizes == 0) {
		fprintf(stderr, "pktcheck: --sizes: empty list\n");
		return -1;
	}
	return 0;
}

static int
parse_name(const char *name, const char *arg, const char * const *names, int n, int *out)
{
	int i;

	for (i = 0; i < n; i++) {
		if (names[i] != NULL && strcmp(arg, names[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	fprintf(stderr, "pktcheck: --%s: unknown value '%s'\n", name, arg);
	return -1;
}

static int
parse_inject(struct pktcheck_options *opt, const char *arg)
{
	char buf[64];
	char *colon;

	if (strlen(arg) >= sizeof(buf) || (colon = strchr(strcpy(buf, arg), ':')) == NULL) {
		fprintf(stderr, "pktcheck: --inject: expected KIND:N, got '%s'\n", arg);
		return -1;
	}
	*colon = '\0';
	if (parse_name(CMD_LINE_OPT_INJECT, buf, inject_names, RTE_DIM(inject_names),
		       &opt->inject_kind) != 0)
		return -1;
	return parse_u64(CMD_LINE_OPT_INJECT, colon + 1, 2, UINT32_MAX, &opt->inject_every);
}

static void
set_defaults(struct pktcheck_options *opt)
{
	memset(opt, 0, sizeof(*opt));
	opt->mode = PKTCHECK_MODE_BOTH;
	opt->nb_queues = 1;
	opt->burst = 32;
	opt->nb_rxd = 1024;
	opt->nb_txd = 1024;
	opt->frames = 100000;
	opt->link_timeout = 30;
	opt->linger = 1;
	opt->progress = 2;
	opt->size_mode = PKTCHECK_SIZES_LIST;
	opt->sizes[0] = 64;
	opt->nb_sizes = 1;
	opt->seed = 1;
	opt->nb_mbufs = 16383;
	opt->on_full = PKTCHECK_FULL_RETRY;
	memset(&opt->dst_mac, 0xff, sizeof(opt->dst_mac));
}

int
pktcheck_options_parse(struct pktcheck_options *opt, int argc, char **argv)
{
	const char *prog = argv[0];
	bool frames_given = false, expect_given = false;
	uint64_t v;
	int c, idx, ret = 0;

	set_defaults(opt);
	while ((c = getopt_long(argc, argv, "", long_options, &idx)) != -1) {
		switch (c) {
		case CMD_LINE_OPT_MODE_NUM:
			ret = parse_name(CMD_LINE_OPT_MODE, optarg, mode_names,
					 RTE_DIM(mode_names), &idx);
			opt->mode = idx;
			break;
		case CMD_LINE_OPT_PORT_NUM:
			ret = parse_u16(CMD_LINE_OPT_PORT, optarg, 0, RTE_MAX_ETHPORTS - 1,
					&opt->tx_port);
			opt->rx_port = opt->tx_port;
			break;
		case CMD_LINE_OPT_TX_PORT_NUM:
			ret = parse_u16(CMD_LINE_OPT_TX_PORT, optarg, 0, RTE_MAX_ETHPORTS - 1,
					&opt->tx_port);
			break;
		case CMD_LINE_OPT_RX_PORT_NUM:
			ret = parse_u16(CMD_LINE_OPT_RX_PORT, optarg, 0, RTE_MAX_ETHPORTS - 1,
					&opt->rx_port);
			break;
		case CMD_LINE_OPT_QUEUES_NUM:
			ret = parse_u16(CMD_LINE_OPT_QUEUES, optarg, 1, PKTCHECK_MAX_QUEUES,
					&opt->nb_queues);
			break;
		case CMD_LINE_OPT_BURST_NUM:
			ret = parse_u16(CMD_LINE_OPT_BURST, optarg, 1, 512, &opt->burst);
			break;
		case CMD_LINE_OPT_RXD_NUM:
			ret = parse_u16(CMD_LINE_OPT_RXD, optarg, 1, 32768, &opt->nb_rxd);
			break;
		case CMD_LINE_OPT_TXD_NUM:
			ret = parse_u16(CMD_LINE_OPT_TXD, optarg, 1, 32768, &opt->nb_txd);
			break;
		case CMD_LINE_OPT_ID_NUM:
			ret = parse_u16(CMD_LINE_OPT_ID, optarg, 0, PKTCHECK_MAX_SENDERS - 1,
					&opt->sender_id);
			break;
		case CMD_LINE_OPT_EXPECT_STREAMS_NUM:
			ret = parse_u16(CMD_LINE_OPT_EXPECT_STREAMS, optarg, 0,
					PKTCHECK_MAX_STREAMS, &opt->expect_streams);
			expect_given = true;
			break;
		case CMD_LINE_OPT_FRAMES_NUM:
			ret = parse_u64(CMD_LINE_OPT_FRAMES, optarg, 0, UINT64_MAX / 2,
					&opt->frames);
			frames_given = true;
			break;
		case CMD_LINE_OPT_DURATION_NUM:
			ret = parse_seconds(CMD_LINE_OPT_DURATION, optarg, &opt->duration);
			break;
		case CMD_LINE_OPT_TIMEOUT_NUM:
			ret = parse_seconds(CMD_LINE_OPT_TIMEOUT, optarg, &opt->timeout);
			break;
		case CMD_LINE_OPT_LINK_TIMEOUT_NUM:
			ret = parse_seconds(CMD_LINE_OPT_LINK_TIMEOUT, optarg, &opt->link_timeout);
			break;
		case CMD_LINE_OPT_LINGER_NUM:
			ret = parse_seconds(CMD_LINE_OPT_LINGER, optarg, &opt->linger);
			break;
		case CMD_LINE_OPT_START_DELAY_NUM:
			ret = parse_seconds(CMD_LINE_OPT_START_DELAY, optarg, &opt->start_delay);
			break;
		case CMD_LINE_OPT_PROGRESS_NUM:
			ret = parse_seconds(CMD_LINE_OPT_PROGRESS, optarg, &opt->progress);
			break;
		case CMD_LINE_OPT_SIZES_NUM:
			ret = parse_sizes(opt, optarg);
			break;
		case CMD_LINE_OPT_SEED_NUM:
			ret = parse_u64(CMD_LINE_OPT_SEED, optarg, 0, UINT64_MAX, &opt->seed);
			break;
		case CMD_LINE_OPT_SEG_SIZE_NUM:
			ret = parse_u64(CMD_LINE_OPT_SEG_SIZE, optarg, 64, UINT16_MAX, &v);
			opt->seg_size = (uint32_t)v;
			break;
		case CMD_LINE_OPT_MBUFS_NUM:
			ret = parse_u64(CMD_LINE_OPT_MBUFS, optarg, 1024, 1u << 24, &v);
			opt->nb_mbufs = (uint32_t)v;
			break;
		case CMD_LINE_OPT_TX_POOL_NUM:
			opt->tx_pool = true;
			break;
		case CMD_LINE_OPT_MTU_NUM:
			ret = parse_u64(CMD_LINE_OPT_MTU, optarg, RTE_ETHER_MIN_MTU, UINT16_MAX, &v);
			opt->mtu = (uint32_t)v;
			break;
		case CMD_LINE_OPT_ON_FULL_NUM:
			if (strcmp(optarg, "retry") == 0) {
				opt->on_full = PKTCHECK_FULL_RETRY;
			} else if (strcmp(optarg, "drop") == 0) {
				opt->on_full = PKTCHECK_FULL_DROP;
			} else {
				fprintf(stderr, "pktcheck: --on-full: expected retry or drop, got '%s'\n",
					optarg);
				ret = -1;
			}
			break;
		case CMD_LINE_OPT_ALLOW_LOSS_NUM:
			opt->allow_loss = true;
			break;
		case CMD_LINE_OPT_WINDOW_NUM:
			ret = parse_u64(CMD_LINE_OPT_WINDOW, optarg, 1, UINT32_MAX, &v);
			opt->window = (uint32_t)v;
			break;
		case CMD_LINE_OPT_RATE_NUM:
			ret = parse_rate(optarg, &opt->rate);
			break;
		case CMD_LINE_OPT_DST_MAC_NUM:
			if (rte_ether_unformat_addr(optarg, &opt->dst_mac) != 0) {
				fprintf(stderr, "pktcheck: --dst-mac: '%s' is not a MAC address\n",
					optarg);
				ret = -1;
			}
			break;
		case CMD_LINE_OPT_INJECT_NUM:
			ret = parse_inject(opt, optarg);
			break;
		case CMD_LINE_OPT_HELP_NUM:
			usage(prog);
			exit(0);
		default:
			usage(prog);
			return -1;
		}
		if (ret != 0)
			return -1;
	}
	if (optind != argc) {
		fprintf(stderr, "pktcheck: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (opt->duration > 0 && !frames_given)
		opt->frames = 0;
	if (!expect_given)
		opt->expect_streams = opt->nb_queues;
	if (opt->window > 0 && opt->mode != PKTCHECK_MODE_BOTH) {
		fprintf(stderr, "pktcheck: --window needs --mode both (frames must come back)\n");
		return -1;
	}
	if (opt->rate > 0 && opt->mode != PKTCHECK_MODE_PING) {
		fprintf(stderr, "pktcheck: --rate needs --mode ping\n");
		return -1;
	}
	if (opt->mode == PKTCHECK_MODE_PING && opt->frames == 0 &&
	    !(opt->rate > 0 && opt->duration > 0)) {
		fprintf(stderr, "pktcheck: --mode ping needs --frames (or --rate and --duration)\n");
		return -1;
	}
	return 0;
}

/* A stateless hash, so the receiver recomputes the size of any frame. */
static uint64_t
mix64(uint64_t z)
{
	z = (z ^ (z >> 33)) * 0xFF51AFD7ED558CCDull;
	z = (z ^ (z >> 33)) * 0xC4CEB9FE1A85EC53ull;
	return z ^ (z >> 33);
}

uint32_t
pktcheck_size_for(const struct pktcheck_options *opt, uint16_t stream, uint64_t seq)
{
	uint32_t span;

	if (opt->size_mode == PKTCHECK_SIZES_RANDOM) {
		span = opt->sizes[1] - opt->sizes[0] + 1;
		return opt->sizes[0] +
		       (uint32_t)(mix64(opt->seed ^ ((uint64_t)stream << 48) ^ mix64(seq)) % span);
	}
	return opt->sizes[seq % opt->nb_sizes];
}

uint32_t
pktcheck_max_size(const struct pktcheck_options *opt)
{
	uint32_t max = 0;
	uint16_t i;

	for (i = 0; i < opt->nb_sizes; i++)
		max = RTE_MAX(max, opt->sizes[i]);
	return max;
}

/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/*
 * ivshmem2-info: show a running ivshmem2 group without disturbing it.
 *
 *   ivshmem2-info [--json] [--watch [N]] INFO_SOCKET
 *
 * INFO_SOCKET is the server's info socket (ivshmem2-server -I PATH). Each
 * refresh asks it again (the peer list may change), maps the memory
 * read-only, reads and prints. Exit status: 0 done, 1 the group could not
 * be read (the message says why), 2 bad usage.
 */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "info.h"

#ifndef IVSHMEM2_VERSION
#define IVSHMEM2_VERSION "unknown"
#endif

#define EXIT_USAGE	2
#define WATCH_PERIOD_MS	1000

struct options {
	const char *socket_path;
	bool json;
	bool watch;
	uint64_t count;		/* refreshes with --watch, 0: until SIGINT */
};

static volatile sig_atomic_t stop_requested;
static sigjmp_buf sigbus_jump;
static volatile sig_atomic_t sigbus_armed;

/* Large: one entry per possible peer. */
static struct info_group group;

static void
on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void
on_sigbus(int sig)
{
	if (!sigbus_armed) {
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	siglongjmp(sigbus_jump, 1);
}

static void
usage(FILE *f)
{
	fprintf(f,
		"Usage: ivshmem2-info [OPTION]... INFO_SOCKET\n"
		"Show a running IVSHMEM v2 group without disturbing it: the server's options,\n"
		"the layout, every peer's state and section header, and for each pair of\n"
		"peers the session handshake and every ring's indices, occupancy and wake\n"
		"flag. INFO_SOCKET is the server's info socket (ivshmem2-server -I PATH);\n"
		"the memory is mapped read-only and no peer sees this program.\n"
		"\n"
		"  -I, --info-socket PATH  the info socket (instead of the argument)\n"
		"  -j, --json              one JSON object per refresh, on one line\n"
		"  -w, --watch [N]         refresh every second, N times (default: until\n"
		"                          SIGINT); text clears the screen on a terminal\n"
		"  -h, --help              show this help\n"
		"      --version           show the version\n"
		"\n"
		"Exit status: 0 done, 1 the group could not be read, 2 bad usage.\n");
}

static bool
all_digits(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static int
parse_count(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 10);
	if (!all_digits(s) || errno != 0 || *end != '\0' || *v == 0) {
		fprintf(stderr, "ivshmem2-info: --watch '%s': expected a number of refreshes "
			"above 0\n", s);
		return -1;
	}
	return 0;
}

/* Returns 0, 1 for --help/--version (exit 0), or -1 (bad usage, message printed). */
static int
parse_args(int argc, char **argv, struct options *o)
{
	enum { OPT_VERSION = 256 };
	static const struct option long_options[] = {
		{ "info-socket", required_argument, NULL, 'I' },
		{ "json", no_argument, NULL, 'j' },
		{ "watch", optional_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	opterr = 0;
	while ((c = getopt_long(argc, argv, "I:jw::h", long_options, NULL)) != -1) {
		switch (c) {
		case 'I':
			o->socket_path = optarg;
			break;
		case 'j':
			o->json = true;
			break;
		case 'w':
			o->watch = true;
			/* "--watch N" (N all digits) as well as "--watch=N" and "-wN". */
			if (optarg == NULL && optind < argc && all_digits(argv[optind]))
				optarg = argv[optind++];
			if (optarg != NULL && parse_count(optarg, &o->count) < 0)
				return -1;
			break;
		case 'h':
			usage(stdout);
			return 1;
		case OPT_VERSION:
			printf("ivshmem2-info %s (protocol version %u)\n", IVSHMEM2_VERSION,
			       IVSHMEM2_PROTOCOL_VERSION);
			return 1;
		default:
			if (optopt == 'I')
				fprintf(stderr, "ivshmem2-info: -I/--info-socket needs a path\n");
			else
				fprintf(stderr, "ivshmem2-info: unknown option '%s' (see --help)\n",
					argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc) {
		if (o->socket_path != NULL || optind + 1 < argc) {
			fprintf(stderr, "ivshmem2-info: unexpected argument '%s' (one info "
				"socket only)\n",
				argv[o->socket_path != NULL ? optind : optind + 1]);
			return -1;
		}
		o->socket_path = argv[optind];
	}
	if (o->socket_path == NULL || o->socket_path[0] == '\0') {
		fprintf(stderr, "ivshmem2-info: no info socket given (the path of "
			"ivshmem2-server -I PATH; see --help)\n");
		return -1;
	}
	return 0;
}

/*
 * One refresh: ask, map, read, render into a buffer, unmap, print. The
 * output appears at once (no half-drawn screen), or not at all if the
 * memory vanished under the mapping.
 */
static int
refresh(const struct options *o, bool clear, char *err, size_t errlen)
{
	char *out = NULL;
	size_t outlen = 0;
	FILE *f;
	int fd;

	fd = info_query(o->socket_path, &group.srv, err, errlen);
	if (fd < 0)
		return -1;
	if (info_map(&group, fd, err, errlen) < 0)
		return -1;
	f = open_memstream(&out, &outlen);
	if (f == NULL) {
		snprintf(err, errlen, "open_memstream: %s", strerror(errno));
		info_unmap(&group);
		return -1;
	}
	if (sigsetjmp(sigbus_jump, 1) == 0) {
		sigbus_armed = 1;
		info_group_read(&group);
		if (o->json)
			info_report_json(f, &group);
		else
			info_report_text(f, &group);
		sigbus_armed = 0;
	} else {
		sigbus_armed = 0;
		fclose(f);
		free(out);
		info_unmap(&group);
		snprintf(err, errlen, "%s: the shared memory shrank while it was read (SIGBUS)",
			 o->socket_path);
		return -1;
	}
	fclose(f);
	info_unmap(&group);
	if (clear)
		fputs("\033[H\033[2J", stdout);
	fwrite(out, 1, outlen, stdout);
	fflush(stdout);
	free(out);
	return 0;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Sleep until @deadline (CLOCK_MONOTONIC ms) or a stop signal. */
static void
sleep_until(uint64_t deadline)
{
	uint64_t now;

	while (!stop_requested && (now = now_ms()) < deadline) {
		uint64_t ms = deadline - now;
		struct timespec ts = { .tv_sec = (time_t)(ms / 1000),
				       .tv_nsec = (long)(ms % 1000) * 1000000 };

		nanosleep(&ts, NULL);
	}
}

int
main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_stop };
	struct sigaction bus = { .sa_handler = on_sigbus };
	char err[INFO_ERR_LEN];
	struct options o;
	bool clear;
	uint64_t n, start;
	int ret;

	ret = parse_args(argc, argv, &o);
	if (ret != 0)
		return ret > 0 ? EXIT_SUCCESS : EXIT_USAGE;
	/* No SA_RESTART: SIGINT ends the sleep between refreshes at once. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigemptyset(&bus.sa_mask);
	sigaction(SIGBUS, &bus, NULL);
	clear = o.watch && !o.json && isatty(STDOUT_FILENO);

	for (n = 0; !stop_requested; n++) {
		start = now_ms();
		if (refresh(&o, clear, err, sizeof(err)) < 0) {
			fprintf(stderr, "ivshmem2-info: error: %s\n", err);
			return EXIT_FAILURE;
		}
		if (!o.watch || (o.count != 0 && n + 1 >= o.count))
			break;
		if (!o.json && !clear)
			fputs("\n", stdout);
		sleep_until(start + WATCH_PERIOD_MS);
	}
	return EXIT_SUCCESS;
}

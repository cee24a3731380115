/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/*
 * ivshmem2-c2c: how long one cache line takes to move between two CPUs.
 *
 *   ivshmem2-c2c [--json] [--batches N] [--round-trips N] CPU_A CPU_B
 *
 * Two threads, pinned to CPU_A and CPU_B, pass one line back and forth;
 * each batch's time divided by twice its round trips is one transfer. It
 * prints the median over the batches (and min, max) in nanoseconds.
 *
 * Every packet of a shared-memory transport moves lines this way, so its
 * cost per packet follows this figure: on a VM whose two vCPUs the host
 * moves between cores that share a cache and cores that do not, the figure
 * (and the transports' throughput) flips within seconds. bench/engine runs
 * it before and after each measurement window, with the peers stopped.
 * Exit status: 0 done, 1 a CPU could not be used, 2 bad usage.
 */

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef __x86_64__
#include <immintrin.h>
#define cpu_relax()	_mm_pause()
#else
#define cpu_relax()	__asm__ __volatile__("" ::: "memory")
#endif

#define EXIT_USAGE	2
#define LINE_SIZE	64
#define MAX_BATCHES	1000

/* The line that travels, alone in its cache line; odd values are pings. */
static struct {
	uint64_t seq;
} __attribute__((aligned(LINE_SIZE))) ball;

struct options {
	int cpu[2];
	unsigned int batches;
	unsigned long round_trips;	/* per batch */
	bool json;
};

struct responder {
	int cpu;
	unsigned long total;		/* round trips over all batches */
	int err;
};

static int
pin_self(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static void *
respond(void *arg)
{
	struct responder *r = arg;
	uint64_t i;

	r->err = pin_self(r->cpu);
	if (r->err != 0)
		return NULL;
	for (i = 0; i < r->total; i++) {
		while (__atomic_load_n(&ball.seq, __ATOMIC_ACQUIRE) != 2 * i + 1)
			cpu_relax();
		__atomic_store_n(&ball.seq, 2 * i + 2, __ATOMIC_RELEASE);
	}
	return NULL;
}

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int
compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void
usage(FILE *f, const char *prog)
{
	fprintf(f, "usage: %s [--json] [--batches N] [--round-trips N] CPU_A CPU_B\n"
		"  one-way cache-line transfer time between two CPUs, in ns\n"
		"  --batches N      batches, the median is printed (default 9, at most %d)\n"
		"  --round-trips N  round trips per batch (default 2000)\n"
		"  --json           one JSON object instead of text\n",
		prog, MAX_BATCHES);
}

static bool
parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static int
parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "batches", required_argument, NULL, 'b' },
		{ "round-trips", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long v;
	int c, i;

	while ((c = getopt_long(argc, argv, "jb:r:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			o->json = true;
			break;
		case 'b':
			if (!parse_ulong(optarg, 1, MAX_BATCHES, &v)) {
				fprintf(stderr, "%s: --batches: not a number from 1 to %d: '%s'\n",
					argv[0], MAX_BATCHES, optarg);
				return EXIT_USAGE;
			}
			o->batches = (unsigned int)v;
			break;
		case 'r':
			if (!parse_ulong(optarg, 1, 100000000, &v)) {
				fprintf(stderr, "%s: --round-trips: not a number from 1 to 100000000: '%s'\n",
					argv[0], optarg);
				return EXIT_USAGE;
			}
			o->round_trips = v;
			break;
		case 'h':
			usage(stdout, argv[0]);
			exit(EXIT_SUCCESS);
		default:
			usage(stderr, argv[0]);
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 2) {
		usage(stderr, argv[0]);
		return EXIT_USAGE;
	}
	for (i = 0; i < 2; i++) {
		if (!parse_ulong(argv[optind + i], 0, CPU_SETSIZE - 1, &v)) {
			fprintf(stderr, "%s: not a CPU number: '%s'\n", argv[0], argv[optind + i]);
			return EXIT_USAGE;
		}
		o->cpu[i] = (int)v;
	}
	if (o->cpu[0] == o->cpu[1]) {
		fprintf(stderr, "%s: CPU_A and CPU_B are both %d: give two CPUs\n",
			argv[0], o->cpu[0]);
		return EXIT_USAGE;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct options o = { .batches = 9, .round_trips = 2000 };
	struct responder r;
	double ns[MAX_BATCHES];
	pthread_t thread;
	unsigned int b;
	uint64_t seq = 0;
	int ret;

	ret = parse_args(argc, argv, &o);
	if (ret != 0)
		return ret;
	ret = pin_self(o.cpu[0]);
	if (ret != 0) {
		fprintf(stderr, "%s: cannot run on CPU %d: %s\n", argv[0], o.cpu[0], strerror(ret));
		return EXIT_FAILURE;
	}
	r = (struct responder){ .cpu = o.cpu[1], .total = o.batches * o.round_trips };
	ret = pthread_create(&thread, NULL, respond, &r);
	if (ret != 0) {
		fprintf(stderr, "%s: pthread_create: %s\n", argv[0], strerror(ret));
		return EXIT_FAILURE;
	}
	for (b = 0; b < o.batches; b++) {
		double t0 = now_ns();
		unsigned long i;

		for (i = 0; i < o.round_trips; i++, seq++) {
			__atomic_store_n(&ball.seq, 2 * seq + 1, __ATOMIC_RELEASE);
			/* A responder that could not pin never answers: stop waiting. */
			while (__atomic_load_n(&ball.seq, __ATOMIC_ACQUIRE) != 2 * seq + 2) {
				if (__atomic_load_n(&r.err, __ATOMIC_RELAXED) != 0)
					goto out;
				cpu_relax();
			}
		}
		ns[b] = (now_ns() - t0) / (2.0 * o.round_trips);
	}
out:
	pthread_join(thread, NULL);
	if (r.err != 0) {
		fprintf(stderr, "%s: cannot run on CPU %d: %s\n", argv[0], o.cpu[1], strerror(r.err));
		return EXIT_FAILURE;
	}
	qsort(ns, o.batches, sizeof(ns[0]), compare_double);
	if (o.json)
		printf("{\"cpu_a\": %d, \"cpu_b\": %d, \"batches\": %u, \"round_trips\": %lu, "
		       "\"median_ns\": %.1f, \"min_ns\": %.1f, \"max_ns\": %.1f}\n",
		       o.cpu[0], o.cpu[1], o.batches, o.round_trips, ns[o.batches / 2], ns[0],
		       ns[o.batches - 1]);
	else
		printf("CPU %d <-> CPU %d: %.1f ns per cache-line transfer (median of %u batches; "
		       "min %.1f, max %.1f)\n", o.cpu[0], o.cpu[1], ns[o.batches / 2], o.batches,
		       ns[0], ns[o.batches - 1]);
	return EXIT_SUCCESS;
}

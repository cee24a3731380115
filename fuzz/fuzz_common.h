/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

#ifndef IVSHMEM2_FUZZ_COMMON_H
#define IVSHMEM2_FUZZ_COMMON_H

/*
 * Helpers shared by the harnesses: reading the fuzzer's bytes, guarded
 * mappings, counting open fds, and invariant checks that abort (libFuzzer
 * then saves the input as a crash).
 */

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* An invariant of the code under test does not hold: report and abort. */
#define FUZZ_CHECK(cond, ...) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "fuzz: %s:%d: check failed: %s: ",	\
			__FILE__, __LINE__, #cond);			\
		fprintf(stderr, __VA_ARGS__);				\
		fprintf(stderr, "\n");					\
		abort();						\
	}								\
} while (0)

/* The fuzzer's input, consumed front to back; reads past the end give 0. */
struct fuzz_in {
	const uint8_t *p;
	size_t left;
};

static inline bool
fuzz_more(const struct fuzz_in *in)
{
	return in->left > 0;
}

static inline uint8_t
fuzz_u8(struct fuzz_in *in)
{
	if (in->left == 0)
		return 0;
	in->left--;
	return *in->p++;
}

static inline uint16_t
fuzz_u16(struct fuzz_in *in)
{
	uint16_t lo = fuzz_u8(in);

	return (uint16_t)(lo | fuzz_u8(in) << 8);
}

static inline uint32_t
fuzz_u32(struct fuzz_in *in)
{
	uint32_t lo = fuzz_u16(in);

	return lo | (uint32_t)fuzz_u16(in) << 16;
}

static inline uint64_t
fuzz_u64(struct fuzz_in *in)
{
	uint64_t lo = fuzz_u32(in);

	return lo | (uint64_t)fuzz_u32(in) << 32;
}

/* Copy up to @n bytes into @dst (the rest zero); returns how many were input. */
static inline size_t
fuzz_bytes(struct fuzz_in *in, void *dst, size_t n)
{
	size_t k = n < in->left ? n : in->left;

	memcpy(dst, in->p, k);
	memset((uint8_t *)dst + k, 0, n - k);
	in->p += k;
	in->left -= k;
	return k;
}

/*
 * @size bytes of zeroed read-write memory that end right before a
 * PROT_NONE page (a read past the end faults even where ASan cannot see it:
 * the memory is not malloc'ed). A page-multiple @size also starts right
 * after one. The start is aligned as @size's lowest set bit, at most to the
 * page. Never freed.
 */
static inline uint8_t *
fuzz_guarded_area(size_t size)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t mapped = (size + page - 1) / page * page;
	uint8_t *m = mmap(NULL, mapped + 2 * page, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (m == MAP_FAILED) {
		perror("fuzz: mmap");
		abort();
	}
	if (mprotect(m, page, PROT_NONE) != 0 ||
	    mprotect(m + page + mapped, page, PROT_NONE) != 0) {
		perror("fuzz: mprotect");
		abort();
	}
	return m + page + (mapped - size);
}

/* Open file descriptors of this process (the directory's own fd excluded). */
static inline int
fuzz_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (d == NULL) {
		perror("fuzz: /proc/self/fd");
		abort();
	}
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;
}

/* The fd table, for a leak report. */
static inline void
fuzz_dump_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		char path[300], target[256];
		ssize_t n;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		target[n < 0 ? 0 : n] = '\0';
		fprintf(stderr, "  fd %s -> %s\n", e->d_name, target);
	}
	closedir(d);
}

#endif /* IVSHMEM2_FUZZ_COMMON_H */

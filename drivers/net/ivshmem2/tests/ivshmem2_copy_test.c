/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/*
 * The slot copy variants (drivers/net/ivshmem2/ivshmem2_copy.c): every one
 * this CPU runs, memcpy always, for every length 0..9018, with aligned and
 * unaligned sources and destinations; the bytes either side of the
 * destination must stay untouched. Each length is checked both through the
 * variant itself and through ivshmem2_copy_slot (inline below 129 B), as the
 * burst calls it. No EAL needed. Run by tests/pmd/test_ring_unit.py; prints
 * "tested <variant>" per variant and "N checks, 0 failures".
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ivshmem2_copy.h"

#define MAX_LEN		9018u	/* a 9000 B payload frame plus its header */
#define GUARD		64u	/* bytes checked either side */
#define GUARD_BYTE	0x00	/* never a source byte */
#define BUF_SIZE	(GUARD + 64 + MAX_LEN + GUARD + 64)

static unsigned long checks, failures;

static uint8_t src_buf[BUF_SIZE] __attribute__((aligned(64)));
static uint8_t dst_buf[BUF_SIZE] __attribute__((aligned(64)));

#define CHECK(cond, ...) do {						\
	checks++;							\
	if (!(cond)) {							\
		if (failures++ < 20) {					\
			printf("FAIL %s:%d: ", __func__, __LINE__);	\
			printf(__VA_ARGS__);				\
			printf("\n");					\
		}							\
	}								\
} while (0)

static int
untouched(const uint8_t *p, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (p[i] != GUARD_BYTE)
			return 0;
	return 1;
}

/* One copy of @len bytes from src_buf + @so to dst_buf + @dof, checked. */
static void
check_one(enum ivshmem2_copy_kind k, int inline_path, uint32_t len, uint32_t so, uint32_t dof)
{
	uint8_t *dst = dst_buf + GUARD + dof;
	const uint8_t *src = src_buf + GUARD + so;

	memset(dst - GUARD, GUARD_BYTE, len + 2 * GUARD);
	if (inline_path)
		ivshmem2_copy_slot(k, dst, src, len);
	else
		ivshmem2_copy_fns[k](dst, src, len);
	ivshmem2_copy_fence();
	CHECK(memcmp(dst, src, len) == 0, "%s%s: len %u src+%u dst+%u: data differs",
	      ivshmem2_copy_name(k), inline_path ? " (slot)" : "", len, so, dof);
	CHECK(untouched(dst - GUARD, GUARD), "%s%s: len %u src+%u dst+%u: wrote before dst",
	      ivshmem2_copy_name(k), inline_path ? " (slot)" : "", len, so, dof);
	CHECK(untouched(dst + len, GUARD), "%s%s: len %u src+%u dst+%u: wrote past the end",
	      ivshmem2_copy_name(k), inline_path ? " (slot)" : "", len, so, dof);
}

/* Within 2 bytes of a line multiple or of a threshold of ivshmem2_copy.h. */
static int
near_boundary(uint32_t len)
{
	static const uint32_t marks[] = {
		IVSHMEM2_COPY_INLINE_MAX, IVSHMEM2_COPY_STREAM_MIN, 2048, 32,
	};
	uint32_t i, r = len % 64;

	if (r <= 2 || r >= 62)
		return 1;
	for (i = 0; i < RTE_DIM(marks); i++)
		if (len + 2 >= marks[i] && len <= marks[i] + 2)
			return 1;
	return 0;
}

static void
test_variant(enum ivshmem2_copy_kind k)
{
	/* Every length: a slot (line-aligned), and unaligned sources and destinations. */
	static const uint32_t offs[][2] = { {0, 0}, {5, 0}, {63, 0}, {0, 17}, {33, 1}, {1, 63} };
	/* Around boundaries: every pairing of these. */
	static const uint32_t grid[] = { 0, 1, 8, 31, 32, 48, 63 };
	uint32_t len, i, j, p;

	for (p = 0; p < 2; p++) {
		for (len = 0; len <= MAX_LEN; len++) {
			for (i = 0; i < RTE_DIM(offs); i++)
				check_one(k, p, len, offs[i][0], offs[i][1]);
			if (!near_boundary(len))
				continue;
			for (i = 0; i < RTE_DIM(grid); i++)
				for (j = 0; j < RTE_DIM(grid); j++)
					check_one(k, p, len, grid[i], grid[j]);
		}
	}
	printf("tested %s\n", ivshmem2_copy_name(k));
}

static void
test_select(void)
{
	enum ivshmem2_copy_kind k;
	const char *why = NULL;

	setenv("IVSHMEM2_COPY", "memcpy", 1);
	k = ivshmem2_copy_select(&why);
	CHECK(k == IVSHMEM2_COPY_MEMCPY && why != NULL && strstr(why, "forced") != NULL,
	      "IVSHMEM2_COPY=memcpy gave %s (%s)", ivshmem2_copy_name(k), why);
	if (ivshmem2_copy_supported(IVSHMEM2_COPY_AVX2)) {
		setenv("IVSHMEM2_COPY", "avx2", 1);
		k = ivshmem2_copy_select(&why);
		CHECK(k == IVSHMEM2_COPY_AVX2, "IVSHMEM2_COPY=avx2 gave %s (%s)",
		      ivshmem2_copy_name(k), why);
	}
	setenv("IVSHMEM2_COPY", "fastest", 1);
	k = ivshmem2_copy_select(&why);
	CHECK(ivshmem2_copy_supported(k) && strstr(why, "ignored") != NULL,
	      "IVSHMEM2_COPY=fastest gave %s (%s)", ivshmem2_copy_name(k), why);
	unsetenv("IVSHMEM2_COPY");
	k = ivshmem2_copy_select(&why);
	CHECK(ivshmem2_copy_supported(k), "default gave %s (%s)", ivshmem2_copy_name(k), why);
}

int
main(void)
{
	uint32_t i;
	int k;

	for (i = 0; i < BUF_SIZE; i++)
		src_buf[i] = (uint8_t)(1 + (i * 7 + i / 251) % 255);	/* never GUARD_BYTE */
	for (k = 0; k < IVSHMEM2_COPY_KINDS; k++) {
		if (!ivshmem2_copy_supported((enum ivshmem2_copy_kind)k)) {
			printf("skipped %s (not on this CPU)\n",
			       ivshmem2_copy_name((enum ivshmem2_copy_kind)k));
			continue;
		}
		test_variant((enum ivshmem2_copy_kind)k);
	}
	test_select();
	printf("%lu checks, %lu failures\n", checks, failures);
	return failures != 0;
}

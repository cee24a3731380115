/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/*
 * Unit tests of the server's layout validation (through the shared
 * ivshmem2_layout_compute()), with base and huge pages.
 */

#include <string.h>

#include "check.h"
#include "options.h"

#define K (1ull << 10)
#define M (1ull << 20)
#define G (1ull << 30)

static Ivshmem2ServerArgs make_args(uint64_t size, uint64_t output,
                                    uint32_t peers)
{
    Ivshmem2ServerArgs args;

    ivshmem2_options_init(&args);
    args.size = size;
    args.output_size = output;
    args.max_peers = peers;
    return args;
}

static void test_good_layouts(void)
{
    struct ivshmem2_layout l;
    Ivshmem2ServerArgs args;
    char err[IVSHMEM2_ERR_LEN];

    /* Seed default: 4M, no output sections, all R/W. */
    args = make_args(4 * M, 0, 2);
    CHECK(ivshmem2_options_layout(&args, 4 * K, &l, err, sizeof(err)) == 0);
    CHECK(l.shm_size == 4 * M);
    CHECK(l.state_table_size == 4 * K);
    CHECK(l.rw_section_offset == 4 * K);
    CHECK(l.rw_section_size == 4 * M - 4 * K);
    CHECK(l.output_section_size == 0);

    /* ivshmem-net under QEMU: -l 1M -o 508K leaves 4K of R/W. */
    args = make_args(1 * M, 508 * K, 2);
    CHECK(ivshmem2_options_layout(&args, 4 * K, &l, err, sizeof(err)) == 0);
    CHECK(l.rw_section_size == 4 * K);
    CHECK(l.output_section_offset == 8 * K);
    CHECK(ivshmem2_layout_output_offset(&l, 1) == 8 * K + 508 * K);

    /* Exactly full: no R/W section at all. */
    args = make_args(16 * K, 4 * K, 3);
    CHECK(ivshmem2_options_layout(&args, 4 * K, &l, err, sizeof(err)) == 0);
    CHECK(l.rw_section_size == 0);
    CHECK(l.output_section_offset == 4 * K);

    /* Rounded up: 3M becomes 4M. */
    args = make_args(3 * M, 1 * M, 3);
    CHECK(ivshmem2_options_layout(&args, 4 * K, &l, err, sizeof(err)) == 0);
    CHECK(l.shm_size == 4 * M);
    CHECK(l.rw_section_size == 1 * M - 4 * K);

    /* hugetlbfs, 2M pages: sections in whole huge pages. */
    args = make_args(8 * M, 2 * M, 2);
    CHECK(ivshmem2_options_layout(&args, 2 * M, &l, err, sizeof(err)) == 0);
    CHECK(l.output_section_offset == 4 * M);
    CHECK(l.rw_section_size == 4 * M - 4 * K);
    /* A small -l becomes one huge page. */
    args = make_args(64 * K, 0, 2);
    CHECK(ivshmem2_options_layout(&args, 2 * M, &l, err, sizeof(err)) == 0);
    CHECK(l.shm_size == 2 * M);

    /* 1024 peers, 64 vectors do not matter to the layout. */
    args = make_args(8 * M, 4 * K, 1024);
    CHECK(ivshmem2_options_layout(&args, 4 * K, &l, err, sizeof(err)) == 0);
    CHECK(ivshmem2_layout_output_offset(&l, 1023) + 4 * K == 8 * M);
}

typedef struct BadLayout {
    uint64_t size, output, page;
    uint32_t peers;
    const char *error;
} BadLayout;

static void test_bad_layouts(void)
{
    static const BadLayout bad[] = {
        { 4 * M, 0, 4 * K, 1, "at least 2 peers" },
        { 4 * M, 0, 4 * K, 0, "at least 2 peers" },
        { 4 * M, 0, 4 * K, 1025, "state table holds (1024)" },
        { 4 * M, 6 * K, 4 * K, 2, "multiples of the page size" },
        { 4 * M, 4 * K, 2 * M, 2, "multiples of the page size" },
        { 8 * M, 1 * M, 2 * M, 2, "multiples of the page size" },
        { 4 * M, 2 * M, 2 * M, 2, "do not fit" },
        { 4 * M, 2 * M, 4 * K, 2, "do not fit" },
        { 16 * K, 4 * K, 4 * K, 4, "do not fit" },
        { 1 * G, 512 * M, 4 * K, 2, "do not fit" },
        { 1ull << 40, 1ull << 40, 4 * K, 1024, "do not fit" },
    };
    struct ivshmem2_layout l;
    Ivshmem2ServerArgs args;
    char err[IVSHMEM2_ERR_LEN];
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        args = make_args(bad[i].size, bad[i].output, bad[i].peers);
        err[0] = '\0';
        CHECK_MSG(ivshmem2_options_layout(&args, bad[i].page, &l, err,
                                          sizeof(err)) < 0,
                  "case %zu accepted", i);
        CHECK_MSG(strstr(err, bad[i].error) != NULL,
                  "case %zu: '%s' lacks '%s'", i, err, bad[i].error);
        CHECK_MSG(strncmp(err, "bad layout: ", 12) == 0, "case %zu: %s", i,
                  err);
    }
    /* The message names the numbers that did not fit. */
    args = make_args(4 * M, 2 * M, 2);
    CHECK(ivshmem2_options_layout(&args, 4 * K, &l, err, sizeof(err)) < 0);
    CHECK_MSG(strstr(err, "size 4M, output size 2M, 2 peers, page size 4K"),
              "%s", err);
}

int main(void)
{
    test_good_layouts();
    test_bad_layouts();
    return check_summary("test-layout");
}

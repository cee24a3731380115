/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/* A minimal check harness for the server's C unit tests. */

#ifndef IVSHMEM2_SERVER_CHECK_H
#define IVSHMEM2_SERVER_CHECK_H

#include <stdio.h>
#include <stdlib.h>

static int check_failures;
static int check_count;

#define CHECK(cond)                                                       \
    do {                                                                  \
        check_count++;                                                    \
        if (!(cond)) {                                                    \
            check_failures++;                                             \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,        \
                    __LINE__, #cond);                                     \
        }                                                                 \
    } while (0)

#define CHECK_MSG(cond, ...)                                              \
    do {                                                                  \
        check_count++;                                                    \
        if (!(cond)) {                                                    \
            check_failures++;                                             \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__,        \
                    __LINE__, #cond);                                     \
            fprintf(stderr, __VA_ARGS__);                                 \
            fputc('\n', stderr);                                          \
        }                                                                 \
    } while (0)

/* Prints "N checks, M failed" and gives the exit status. */
static inline int check_summary(const char *name)
{
    printf("%s: %d checks, %d failed\n", name, check_count, check_failures);
    return check_failures ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif /* IVSHMEM2_SERVER_CHECK_H */

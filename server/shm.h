/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/*
 * Shared-memory backends of ivshmem2-server: a sealed memfd, a sealed
 * hugetlb memfd (-m on hugetlbfs), a POSIX shm object or an unlinked file
 * in a directory (neither can be sealed), with an optional NUMA binding.
 */

#ifndef IVSHMEM2_SERVER_SHM_H
#define IVSHMEM2_SERVER_SHM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "options.h"

typedef struct Ivshmem2Shm {
    int fd;                 /* handed to every peer */
    uint64_t size;
    uint64_t page_size;     /* mapping granularity of the backend */
    uint8_t *base;          /* whole memory, mapped read/write */
    char *posix_name;       /* "/NAME" to shm_unlink() at the end, or NULL */
    int numa_node;          /* node the memory lives on, -1 if unknown */
    bool sealed;            /* a memfd sealed against resizing */
    bool hugetlb;           /* a hugetlb memfd (-m DIR on hugetlbfs) */
} Ivshmem2Shm;

/*
 * The page size the backend of @args maps with: the huge page size for a
 * directory on hugetlbfs, else the base page size.
 * Returns 0 or -1 with one line in @err.
 */
int ivshmem2_shm_page_size(const Ivshmem2ServerArgs *args,
                           uint64_t *page_size, char *err, size_t errlen);

/*
 * Create the memory of @size bytes for @args, map it, zero the state
 * table, and bind it to args->numa_node if set.
 * Returns 0 or -1 with one line in @err; nothing is left behind on error.
 */
int ivshmem2_shm_create(Ivshmem2Shm *shm, const Ivshmem2ServerArgs *args,
                        uint64_t size, uint64_t page_size,
                        char *err, size_t errlen);

/*
 * Unmap, close and (POSIX backend) unlink. Safe after any
 * ivshmem2_shm_create() call, failed or not, and when called twice.
 */
void ivshmem2_shm_destroy(Ivshmem2Shm *shm);

#endif /* IVSHMEM2_SERVER_SHM_H */

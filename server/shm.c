/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <numa.h>
#include <numaif.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "log.h"
#include "shm.h"

#ifndef HUGETLBFS_MAGIC
#define HUGETLBFS_MAGIC 0x958458f6
#endif

/* log2 of the huge page size in memfd_create() flags (linux/memfd.h) */
#ifndef MFD_HUGE_SHIFT
#define MFD_HUGE_SHIFT 26
#endif

/* Pages whose NUMA node is looked up for the report. */
#define NUMA_SAMPLE_PAGES 64

int ivshmem2_shm_page_size(const Ivshmem2ServerArgs *args,
                           uint64_t *page_size, char *err, size_t errlen)
{
    struct statfs fs;
    struct stat st;

    *page_size = (uint64_t)sysconf(_SC_PAGESIZE);
    if (args->backend != IVSHMEM2_SHM_DIR) {
        return 0;
    }
    if (stat(args->shm_dir, &st) < 0 || statfs(args->shm_dir, &fs) < 0) {
        snprintf(err, errlen, "-m/--shm-dir %s: %s", args->shm_dir,
                 strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "-m/--shm-dir %s: not a directory",
                 args->shm_dir);
        return -1;
    }
    if ((uint32_t)fs.f_type == HUGETLBFS_MAGIC) {
        *page_size = (uint64_t)fs.f_bsize;
    }
    return 0;
}

static int open_memfd(Ivshmem2Shm *shm, char *err, size_t errlen)
{
    shm->fd = memfd_create("ivshmem2", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (shm->fd < 0) {
        snprintf(err, errlen, "memfd_create: %s", strerror(errno));
        return -1;
    }
    shm->sealed = true;
    return 0;
}

static bool dir_is_hugetlbfs(const char *dir)
{
    struct statfs fs;

    return statfs(dir, &fs) == 0 && (uint32_t)fs.f_type == HUGETLBFS_MAGIC;
}

/*
 * Huge pages of shm->page_size (the size of the -m mount's pages) as a
 * memfd, which can be sealed where a file on hugetlbfs cannot. The memory
 * comes from the system's pool of that size; the mount's own limits
 * (size=, min_size=) do not apply. Returns 0, or -1 with errno set.
 */
static int open_hugetlb_memfd(Ivshmem2Shm *shm)
{
    unsigned int shift = (unsigned int)__builtin_ctzll(shm->page_size);

    shm->fd = memfd_create("ivshmem2", MFD_CLOEXEC | MFD_ALLOW_SEALING |
                           MFD_HUGETLB | (shift << MFD_HUGE_SHIFT));
    if (shm->fd < 0) {
        return -1;
    }
    shm->sealed = true;
    shm->hugetlb = true;
    return 0;
}

static int open_posix(Ivshmem2Shm *shm, const char *name,
                      char *err, size_t errlen)
{
    if (asprintf(&shm->posix_name, "/%s", name) < 0) {
        shm->posix_name = NULL;
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    /*
     * Never share an existing object: it may belong to another live
     * server. A crashed server's leftover must be removed by hand.
     */
    shm->fd = shm_open(shm->posix_name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
                       0600);
    if (shm->fd < 0) {
        int e = errno;

        snprintf(err, errlen, "-M/--shm %s: %s%s", name, strerror(e),
                 e == EEXIST ? " (in use by another server, or left over: "
                 "remove /dev/shm/<name>)" : "");
        free(shm->posix_name);
        shm->posix_name = NULL;
        return -1;
    }
    return 0;
}

static int open_dir_file(Ivshmem2Shm *shm, const char *dir,
                         char *err, size_t errlen)
{
    char path[PATH_MAX];

    if (snprintf(path, sizeof(path), "%s/ivshmem2.XXXXXX", dir) >=
        (int)sizeof(path)) {
        snprintf(err, errlen, "-m/--shm-dir %s: path too long", dir);
        return -1;
    }
    shm->fd = mkostemp(path, O_CLOEXEC);
    if (shm->fd < 0) {
        snprintf(err, errlen, "-m/--shm-dir %s: cannot create a file: %s",
                 dir, strerror(errno));
        return -1;
    }
    /* Unlinked at once: the memory lives exactly as long as its users. */
    unlink(path);
    return 0;
}

static int shm_check_numa_node(int node, char *err, size_t errlen)
{
    if (numa_available() < 0) {
        snprintf(err, errlen, "--numa-node %d: NUMA is not available on this "
                 "system", node);
        return -1;
    }
    if (node > numa_max_node() ||
        !numa_bitmask_isbitset(numa_all_nodes_ptr, (unsigned)node)) {
        snprintf(err, errlen, "--numa-node %d: no such NUMA node with memory "
                 "(this machine has nodes 0-%d)", node, numa_max_node());
        return -1;
    }
    return 0;
}

static int shm_bind_numa(Ivshmem2Shm *shm, int node, char *err,
                         size_t errlen)
{
    struct bitmask *mask = numa_allocate_nodemask();
    uint64_t off;
    long ret;

    numa_bitmask_setbit(mask, (unsigned)node);
    ret = mbind(shm->base, shm->size, MPOL_BIND, mask->maskp, mask->size + 1,
                MPOL_MF_STRICT | MPOL_MF_MOVE);
    numa_free_nodemask(mask);
    if (ret < 0) {
        snprintf(err, errlen, "--numa-node %d: mbind: %s", node,
                 strerror(errno));
        return -1;
    }
    /*
     * Fault every page in now, under the policy: hugetlbfs keeps no
     * shared policy, so pages that peers faulted in would ignore it.
     * MADV_POPULATE_WRITE fails cleanly where a touch would raise SIGBUS.
     */
    if (madvise(shm->base, shm->size, MADV_POPULATE_WRITE) == 0) {
        return 0;
    }
    if (errno != EINVAL) {
        snprintf(err, errlen, "--numa-node %d: cannot allocate the memory on "
                 "that node: %s", node, strerror(errno));
        return -1;
    }
    for (off = 0; off < shm->size; off += shm->page_size) {
        volatile uint8_t *p = shm->base + off;

        *p = *p;
    }
    return 0;
}

/*
 * Where does the memory live? Looks up a sample of pages (all faulted in)
 * and returns the node most of them are on, or -1.
 */
static int shm_report_numa(const Ivshmem2Shm *shm, int wanted)
{
    void *pages[NUMA_SAMPLE_PAGES];
    int status[NUMA_SAMPLE_PAGES];
    uint64_t npages = shm->size / shm->page_size;
    unsigned n = npages < NUMA_SAMPLE_PAGES ? (unsigned)npages :
                 NUMA_SAMPLE_PAGES;
    unsigned i, on_wanted = 0, elsewhere = 0;
    int other = -1;

    for (i = 0; i < n; i++) {
        pages[i] = shm->base + (npages * i / n) * shm->page_size;
    }
    if (move_pages(0, n, pages, NULL, status, 0) < 0) {
        IVSHMEM2_WARNING("shm: cannot tell where the memory lives: "
                         "move_pages: %s", strerror(errno));
        return -1;
    }
    for (i = 0; i < n; i++) {
        if (status[i] == wanted) {
            on_wanted++;
        } else {
            elsewhere++;
            other = status[i];
        }
    }
    if (elsewhere) {
        IVSHMEM2_WARNING("shm: %u of %u sampled pages are not on NUMA node %d "
                         "(e.g. %d)", elsewhere, n, wanted, other);
        return on_wanted > elsewhere ? wanted : other;
    }
    IVSHMEM2_INFO("shm: memory lives on NUMA node %d (%u of %u sampled "
                  "pages)", wanted, on_wanted, n);
    return wanted;
}

int ivshmem2_shm_create(Ivshmem2Shm *shm, const Ivshmem2ServerArgs *args,
                        uint64_t size, uint64_t page_size,
                        char *err, size_t errlen)
{
    int ret;

    memset(shm, 0, sizeof(*shm));
    shm->fd = -1;
    shm->base = MAP_FAILED;
    shm->numa_node = -1;
    shm->size = size;
    shm->page_size = page_size;

    if (args->numa_node >= 0 &&
        shm_check_numa_node(args->numa_node, err, errlen) < 0) {
        return -1;
    }
    switch (args->backend) {
    case IVSHMEM2_SHM_POSIX:
        ret = open_posix(shm, args->shm_name, err, errlen);
        break;
    case IVSHMEM2_SHM_DIR:
        ret = -1;
        if (dir_is_hugetlbfs(args->shm_dir)) {
            ret = open_hugetlb_memfd(shm);
            if (ret < 0) {
                IVSHMEM2_WARNING("shm: no sealable hugetlb memfd with %" PRIu64
                                 "K pages (%s): using a file in %s instead",
                                 page_size >> 10, strerror(errno),
                                 args->shm_dir);
            }
        }
        if (ret < 0) {
            ret = open_dir_file(shm, args->shm_dir, err, errlen);
        }
        break;
    case IVSHMEM2_SHM_MEMFD:
    default:
        ret = open_memfd(shm, err, errlen);
        break;
    }
    if (ret < 0) {
        goto fail;
    }
    if (ftruncate(shm->fd, (off_t)size) < 0) {
        snprintf(err, errlen, "cannot size the shared memory to %" PRIu64
                 " bytes: %s", size, strerror(errno));
        goto fail;
    }
    /*
     * Every peer maps the memory read/write: one that shrank it would kill
     * the others with SIGBUS. Seal the size where the backend allows it.
     */
    if (shm->sealed &&
        fcntl(shm->fd, F_ADD_SEALS,
              F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
        snprintf(err, errlen, "memfd: cannot seal the size: %s",
                 strerror(errno));
        goto fail;
    }
    if (!shm->sealed) {
        IVSHMEM2_WARNING("shm: %s cannot be sealed: any peer can resize it "
                         "and shrinking it kills the other peers (SIGBUS); "
                         "the default memfd, or -m on hugetlbfs, is sealed",
                         args->backend == IVSHMEM2_SHM_POSIX ?
                         "a POSIX shm object" : "a file in a directory");
    }
    shm->base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, shm->fd,
                     0);
    if (shm->base == MAP_FAILED) {
        snprintf(err, errlen, "cannot map %" PRIu64 " bytes of shared memory: "
                 "%s%s", size, strerror(errno),
                 page_size > 4096 && errno == ENOMEM ?
                 " (not enough free huge pages?)" : "");
        goto fail;
    }
    if (args->numa_node >= 0) {
        if (shm_bind_numa(shm, args->numa_node, err, errlen) < 0) {
            goto fail;
        }
        shm->numa_node = shm_report_numa(shm, args->numa_node);
    }
    /* The state table starts all zero (spec section 3). */
    memset(shm->base, 0, IVSHMEM2_STATE_TABLE_SIZE);
    if (shm->numa_node < 0 && numa_available() >= 0) {
        int node = -1;

        if (get_mempolicy(&node, NULL, 0, shm->base,
                          MPOL_F_NODE | MPOL_F_ADDR) == 0) {
            IVSHMEM2_INFO("shm: state table page lives on NUMA node %d "
                          "(no --numa-node binding)", node);
        }
    }
    return 0;

fail:
    ivshmem2_shm_destroy(shm);
    return -1;
}

void ivshmem2_shm_destroy(Ivshmem2Shm *shm)
{
    if (shm->base && shm->base != MAP_FAILED) {
        munmap(shm->base, shm->size);
    }
    shm->base = MAP_FAILED;
    if (shm->fd >= 0) {
        close(shm->fd);
        shm->fd = -1;
    }
    if (shm->posix_name) {
        shm_unlink(shm->posix_name);
        free(shm->posix_name);
        shm->posix_name = NULL;
    }
}

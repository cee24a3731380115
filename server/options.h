/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/*
 * Command-line options of ivshmem2-server: parsing and validation as pure
 * functions (no I/O, no globals kept between calls), so that the unit tests
 * can feed them every bad input.
 */

#ifndef IVSHMEM2_SERVER_OPTIONS_H
#define IVSHMEM2_SERVER_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ivshmem2/regs.h"
#include "ivshmem2/shmem.h"

#define IVSHMEM2_SERVER_DEFAULT_SOCKET      "/tmp/ivshmem_socket"
#define IVSHMEM2_SERVER_DEFAULT_PIDFILE     "/run/ivshmem2-server.pid"
#define IVSHMEM2_SERVER_DEFAULT_SHM_NAME    "ivshmem"
#define IVSHMEM2_SERVER_DEFAULT_SIZE        (4ull << 20)
#define IVSHMEM2_SERVER_DEFAULT_OUTPUT_SIZE 0ull
#define IVSHMEM2_SERVER_DEFAULT_MAX_PEERS   2u
#define IVSHMEM2_SERVER_DEFAULT_VECTORS     1u
#define IVSHMEM2_SERVER_DEFAULT_PROTOCOL    0u

/*
 * Protocol limits (vectors, peers, sizes, virtio range) come from
 * include/ivshmem2/{regs,shmem}.h; these are the server's own.
 */
#define IVSHMEM2_SERVER_MAX_NUMA_NODE       1023
#define IVSHMEM2_SERVER_MAX_QUEUE           (1u << 24)
#define IVSHMEM2_SERVER_MAX_ID_QUARANTINE   3600    /* seconds */
#define IVSHMEM2_SERVER_DEFAULT_ID_QUARANTINE 5     /* seconds */

/* Error messages are one line of at most this many bytes. */
#define IVSHMEM2_ERR_LEN 256

typedef enum Ivshmem2ShmBackend {
    IVSHMEM2_SHM_MEMFD,     /* anonymous memfd, sealed against resizing */
    IVSHMEM2_SHM_POSIX,     /* shm_open() object, -M NAME */
    IVSHMEM2_SHM_DIR,       /* unlinked file in a directory, -m DIR */
} Ivshmem2ShmBackend;

typedef enum Ivshmem2LogLevel {
    IVSHMEM2_LOG_ERROR,
    IVSHMEM2_LOG_WARNING,
    IVSHMEM2_LOG_INFO,
    IVSHMEM2_LOG_DEBUG,
} Ivshmem2LogLevel;

typedef struct Ivshmem2ServerArgs {
    bool foreground;
    bool pidfile_given;         /* -p given: also written with -F */
    Ivshmem2LogLevel log_level;
    const char *pidfile;
    const char *socket_path;
    const char *info_socket_path;   /* -I: read-only inspection, or NULL */
    Ivshmem2ShmBackend backend;
    const char *shm_name;       /* IVSHMEM2_SHM_POSIX */
    const char *shm_dir;        /* IVSHMEM2_SHM_DIR */
    uint64_t size;              /* as given; see ivshmem2_options_shm_size() */
    uint64_t output_size;
    uint32_t max_peers;
    uint32_t vectors;
    uint32_t protocol;
    int numa_node;              /* -1: no binding */
    uint32_t queue_limit;       /* 0: see ivshmem2_options_queue_limit() */
    uint32_t id_quarantine;     /* seconds a freed ID waits, 0: none */
} Ivshmem2ServerArgs;

typedef enum Ivshmem2ParseResult {
    IVSHMEM2_PARSE_OK,
    IVSHMEM2_PARSE_HELP,        /* --help: print usage, exit 0 */
    IVSHMEM2_PARSE_VERSION,     /* --version: print version, exit 0 */
    IVSHMEM2_PARSE_ERROR,       /* @err holds one line */
} Ivshmem2ParseResult;

/* Fill @args with the documented defaults. */
void ivshmem2_options_init(Ivshmem2ServerArgs *args);

/*
 * Parse a size with an optional K, M, G or T suffix (powers of 1024).
 * Returns 0, or -1 for an empty, negative, zero, malformed or too large
 * value (above IVSHMEM2_MAX_SHM_SIZE).
 */
int ivshmem2_parse_size(const char *str, uint64_t *size);

/* Parse a decimal or 0x-hex integer in [min, max]. Returns 0 or -1. */
int ivshmem2_parse_uint(const char *str, uint64_t min, uint64_t max,
                        uint64_t *val);

/*
 * Parse the command line into @args (which must hold the defaults).
 * Only syntax and per-option ranges are checked here; the combination is
 * checked by ivshmem2_options_validate().
 */
Ivshmem2ParseResult ivshmem2_options_parse(Ivshmem2ServerArgs *args,
                                           int argc, char *argv[],
                                           char *err, size_t errlen);

/*
 * Check the option combination that does not depend on the machine:
 * vectors, peers, protocol, and the layout with 4 KiB pages.
 * Returns 0 or -1 with one line in @err.
 */
int ivshmem2_options_validate(const Ivshmem2ServerArgs *args,
                              char *err, size_t errlen);

/*
 * The shared-memory size actually created: -l rounded up to a power of two
 * (a PCI BAR is a power of two) and to at least one @page_size page.
 */
uint64_t ivshmem2_options_shm_size(const Ivshmem2ServerArgs *args,
                                   uint64_t page_size);

/*
 * Compute the layout for pages of @page_size with ivshmem2_layout_compute().
 * Returns 0 or -1 with one line in @err.
 */
int ivshmem2_options_layout(const Ivshmem2ServerArgs *args, uint64_t page_size,
                            struct ivshmem2_layout *layout,
                            char *err, size_t errlen);

/* Outgoing messages one peer may have queued before it is dropped. */
uint32_t ivshmem2_options_queue_limit(const Ivshmem2ServerArgs *args);

/* File descriptors the server needs at most with these options. */
uint64_t ivshmem2_options_fds_needed(const Ivshmem2ServerArgs *args);

/* The protocol that peer @id sees (virtio role rule of spec section 5). */
uint32_t ivshmem2_protocol_for_peer(uint32_t protocol, uint32_t id);

/* "4M", "64K", "12345": @size formatted for messages into @buf. */
const char *ivshmem2_format_size(uint64_t size, char *buf, size_t len);

/* The usage text (for --help). */
const char *ivshmem2_options_usage(void);

#endif /* IVSHMEM2_SERVER_OPTIONS_H */

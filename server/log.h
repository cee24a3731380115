/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/*
 * Logging of ivshmem2-server: one line per event, to stderr in the
 * foreground or to syslog once daemonized, filtered by level.
 */

#ifndef IVSHMEM2_SERVER_LOG_H
#define IVSHMEM2_SERVER_LOG_H

#include <stdbool.h>

#include "options.h"

void ivshmem2_log_set_level(Ivshmem2LogLevel level);

/* Send further messages to syslog instead of stderr. */
void ivshmem2_log_to_syslog(void);

bool ivshmem2_log_enabled(Ivshmem2LogLevel level);

void ivshmem2_log(Ivshmem2LogLevel level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define IVSHMEM2_ERROR(...)   ivshmem2_log(IVSHMEM2_LOG_ERROR, __VA_ARGS__)
#define IVSHMEM2_WARNING(...) ivshmem2_log(IVSHMEM2_LOG_WARNING, __VA_ARGS__)
#define IVSHMEM2_INFO(...)    ivshmem2_log(IVSHMEM2_LOG_INFO, __VA_ARGS__)
#define IVSHMEM2_DEBUG(...)                                   \
    do {                                                      \
        if (ivshmem2_log_enabled(IVSHMEM2_LOG_DEBUG)) {       \
            ivshmem2_log(IVSHMEM2_LOG_DEBUG, __VA_ARGS__);    \
        }                                                     \
    } while (0)

#endif /* IVSHMEM2_SERVER_LOG_H */

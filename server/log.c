/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

#include "log.h"

static Ivshmem2LogLevel log_level = IVSHMEM2_LOG_INFO;
static bool log_syslog;

static const char *const level_names[] = {
    [IVSHMEM2_LOG_ERROR] = "error",
    [IVSHMEM2_LOG_WARNING] = "warning",
    [IVSHMEM2_LOG_INFO] = "info",
    [IVSHMEM2_LOG_DEBUG] = "debug",
};

static const int syslog_priorities[] = {
    [IVSHMEM2_LOG_ERROR] = LOG_ERR,
    [IVSHMEM2_LOG_WARNING] = LOG_WARNING,
    [IVSHMEM2_LOG_INFO] = LOG_INFO,
    [IVSHMEM2_LOG_DEBUG] = LOG_DEBUG,
};

void ivshmem2_log_set_level(Ivshmem2LogLevel level)
{
    log_level = level;
}

void ivshmem2_log_to_syslog(void)
{
    openlog("ivshmem2-server", LOG_PID | LOG_NDELAY, LOG_DAEMON);
    log_syslog = true;
}

bool ivshmem2_log_enabled(Ivshmem2LogLevel level)
{
    return level <= log_level;
}

void ivshmem2_log(Ivshmem2LogLevel level, const char *fmt, ...)
{
    char line[512];
    va_list ap;

    if (!ivshmem2_log_enabled(level)) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (log_syslog) {
        syslog(syslog_priorities[level], "%s", line);
    } else {
        /* One write per line keeps lines whole when stderr is shared. */
        fprintf(stderr, "ivshmem2-server: %s: %s\n", level_names[level], line);
        fflush(stderr);
    }
}

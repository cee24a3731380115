/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/*
 * ivshmem2-server: options and startup only. Everything that can be
 * checked is checked before the socket exists, so a bad option never
 * leaves a half-started server behind.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ivshmem2-server.h"
#include "log.h"
#include "options.h"
#include "shm.h"

#ifndef IVSHMEM2_VERSION
#define IVSHMEM2_VERSION "unknown"
#endif

static void print_error(const char *msg)
{
    fprintf(stderr, "ivshmem2-server: error: %s\n", msg);
}

/* Daemon mode changes to "/": keep relative paths meaning what they said. */
static const char *make_absolute(const char *path, char *buf, size_t len)
{
    char cwd[PATH_MAX];

    if (!path || path[0] == '/') {
        return path;
    }
    if (!getcwd(cwd, sizeof(cwd)) ||
        snprintf(buf, len, "%s/%s", cwd, path) >= (int)len) {
        return path;
    }
    return buf;
}

/* Raise the soft fd limit to the hard one; refuse if still too low. */
static int raise_fd_limit(const Ivshmem2ServerArgs *args, char *err,
                          size_t errlen)
{
    uint64_t need = ivshmem2_options_fds_needed(args);
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
        snprintf(err, errlen, "getrlimit(RLIMIT_NOFILE): %s", strerror(errno));
        return -1;
    }
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
            getrlimit(RLIMIT_NOFILE, &rl);
        }
    }
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
        snprintf(err, errlen, "-n %u -V %u need %" PRIu64 " file descriptors "
                 "but RLIMIT_NOFILE allows %llu (hard limit %llu): raise it "
                 "(ulimit -Hn, systemd LimitNOFILE=) or lower -n or -V",
                 args->max_peers, args->vectors, need,
                 (unsigned long long)rl.rlim_cur,
                 (unsigned long long)rl.rlim_max);
        return -1;
    }
    return 0;
}

/*
 * Fork into the background. The parent exits only when the daemon reports
 * through @ready_fd (see report_ready()), with its status and message.
 */
static int daemonize(int *ready_fd)
{
    char msg[IVSHMEM2_ERR_LEN + 1];
    int pipefd[2], devnull;
    ssize_t n, total = 0;
    pid_t pid;

    if (pipe2(pipefd, O_CLOEXEC) < 0) {
        return -1;
    }
    pid = fork();
    if (pid < 0) {
        return -1;
    }
    if (pid > 0) {
        close(pipefd[1]);
        while ((n = read(pipefd[0], msg + total,
                         sizeof(msg) - 1 - (size_t)total)) > 0) {
            total += n;
        }
        msg[total] = '\0';
        if (total > 0 && msg[0] == '+') {
            _exit(0);
        }
        print_error(total > 1 ? msg + 1 : "daemon died during start-up");
        _exit(1);
    }
    close(pipefd[0]);
    if (setsid() < 0) {
        return -1;
    }
    pid = fork();
    if (pid < 0) {
        return -1;
    }
    if (pid > 0) {
        _exit(0);
    }
    if (chdir("/") < 0) {
        return -1;
    }
    devnull = open("/dev/null", O_RDWR);
    if (devnull >= 0) {
        dup2(devnull, STDIN_FILENO);
        dup2(devnull, STDOUT_FILENO);
        dup2(devnull, STDERR_FILENO);
        if (devnull > STDERR_FILENO) {
            close(devnull);
        }
    }
    *ready_fd = pipefd[1];
    return 0;
}

/* Tell a waiting parent: "+" ready, or "-" and the error line. */
static void report_ready(int *ready_fd, const char *error)
{
    ssize_t ret;

    if (*ready_fd < 0) {
        return;
    }
    if (error) {
        ret = write(*ready_fd, "-", 1);
        ret = write(*ready_fd, error, strlen(error));
    } else {
        ret = write(*ready_fd, "+", 1);
    }
    (void)ret;
    close(*ready_fd);
    *ready_fd = -1;
}

/* Create the PID file early, so that a bad path fails before anything. */
static int open_pidfile(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

    if (fd < 0) {
        snprintf(err, errlen, "pidfile %s: %s", path, strerror(errno));
    }
    return fd;
}

/* Write the PID of the process that serves (after daemonizing). */
static int write_pidfile(int fd, const char *path, char *err, size_t errlen)
{
    char buf[32];
    int len = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());

    if (write(fd, buf, (size_t)len) != len) {
        snprintf(err, errlen, "pidfile %s: write failed", path);
        return -1;
    }
    return 0;
}

static void log_group(const Ivshmem2ServerArgs *args,
                      const struct ivshmem2_layout *l, const Ivshmem2Shm *shm)
{
    char backend[PATH_MAX + 16], size[32], rw[32], out[32], page[32];

    switch (args->backend) {
    case IVSHMEM2_SHM_POSIX:
        snprintf(backend, sizeof(backend), "POSIX shm %s", shm->posix_name);
        break;
    case IVSHMEM2_SHM_DIR:
        if (shm->hugetlb) {
            snprintf(backend, sizeof(backend), "hugetlb memfd, sealed, pages "
                     "of %s", args->shm_dir);
        } else {
            snprintf(backend, sizeof(backend), "file in %s", args->shm_dir);
        }
        break;
    case IVSHMEM2_SHM_MEMFD:
    default:
        snprintf(backend, sizeof(backend), "memfd, sealed");
        break;
    }
    IVSHMEM2_INFO("group: %u peers, %u vectors, protocol 0x%04x; shm %s (%s, "
                  "page %s): state table 4K, R/W %s, output %s per peer",
                  args->max_peers, args->vectors, args->protocol,
                  ivshmem2_format_size(l->shm_size, size, sizeof(size)),
                  backend,
                  ivshmem2_format_size(shm->page_size, page, sizeof(page)),
                  ivshmem2_format_size(l->rw_section_size, rw, sizeof(rw)),
                  ivshmem2_format_size(l->output_section_size, out,
                                       sizeof(out)));
}

int main(int argc, char *argv[])
{
    static char socket_buf[PATH_MAX], pidfile_buf[PATH_MAX], dir_buf[PATH_MAX];
    static char info_buf[PATH_MAX];
    char err[IVSHMEM2_ERR_LEN], a[32], b[32];
    Ivshmem2ServerArgs args;
    struct ivshmem2_layout layout;
    Ivshmem2Shm shm = { .fd = -1 };
    Ivshmem2Server server;
    bool server_ready = false, pidfile_written = false;
    uint64_t page_size;
    sigset_t quit_signals;
    int ready_fd = -1, pid_fd = -1;
    int ret = 1;

    ivshmem2_options_init(&args);
    switch (ivshmem2_options_parse(&args, argc, argv, err, sizeof(err))) {
    case IVSHMEM2_PARSE_HELP:
        fputs(ivshmem2_options_usage(), stdout);
        return 0;
    case IVSHMEM2_PARSE_VERSION:
        printf("ivshmem2-server %s (protocol version %u)\n", IVSHMEM2_VERSION,
               2u);
        return 0;
    case IVSHMEM2_PARSE_ERROR:
        print_error(err);
        return 1;
    case IVSHMEM2_PARSE_OK:
        break;
    }
    ivshmem2_log_set_level(args.log_level);
    args.socket_path = make_absolute(args.socket_path, socket_buf,
                                     sizeof(socket_buf));
    args.info_socket_path = make_absolute(args.info_socket_path, info_buf,
                                          sizeof(info_buf));
    args.pidfile = make_absolute(args.pidfile, pidfile_buf,
                                 sizeof(pidfile_buf));
    args.shm_dir = make_absolute(args.shm_dir, dir_buf, sizeof(dir_buf));

    /* Everything that can fail is checked before the socket exists. */
    if (ivshmem2_options_validate(&args, err, sizeof(err)) < 0 ||
        raise_fd_limit(&args, err, sizeof(err)) < 0 ||
        ivshmem2_shm_page_size(&args, &page_size, err, sizeof(err)) < 0 ||
        ivshmem2_options_layout(&args, page_size, &layout, err,
                                sizeof(err)) < 0) {
        print_error(err);
        return 1;
    }
    if (layout.shm_size != args.size) {
        IVSHMEM2_INFO("shm size %s rounded up to %s (a power of two, at "
                      "least one page)",
                      ivshmem2_format_size(args.size, a, sizeof(a)),
                      ivshmem2_format_size(layout.shm_size, b, sizeof(b)));
    }

    if (!args.foreground || args.pidfile_given) {
        pid_fd = open_pidfile(args.pidfile, err, sizeof(err));
        if (pid_fd < 0) {
            print_error(err);
            return 1;
        }
        pidfile_written = true;
    }

    /* A vanished peer must not kill us; quit signals go to the loop. */
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&quit_signals);
    sigaddset(&quit_signals, SIGTERM);
    sigaddset(&quit_signals, SIGINT);
    sigaddset(&quit_signals, SIGHUP);
    sigprocmask(SIG_BLOCK, &quit_signals, NULL);

    if (ivshmem2_shm_create(&shm, &args, layout.shm_size, page_size, err,
                            sizeof(err)) < 0) {
        print_error(err);
        goto out_shm;
    }
    if (ivshmem2_server_init(&server, &args, &layout, &shm) < 0) {
        print_error("out of memory");
        goto out_shm;
    }
    /*
     * In the foreground a listening socket is the sign of readiness: the
     * PID file must be complete before anyone can connect. A daemon writes
     * it after the fork and reports readiness after that.
     */
    if (args.foreground && pid_fd >= 0) {
        if (write_pidfile(pid_fd, args.pidfile, err, sizeof(err)) < 0) {
            print_error(err);
            goto out_server;
        }
        close(pid_fd);
        pid_fd = -1;
    }
    if (ivshmem2_server_start(&server, err, sizeof(err)) < 0) {
        print_error(err);
        goto out_server;
    }
    log_group(&args, &layout, &shm);

    if (!args.foreground) {
        if (daemonize(&ready_fd) < 0) {
            snprintf(err, sizeof(err), "cannot daemonize: %s",
                     strerror(errno));
            print_error(err);
            goto out_server;
        }
        ivshmem2_log_to_syslog();
    }
    if (pid_fd >= 0) {
        if (write_pidfile(pid_fd, args.pidfile, err, sizeof(err)) < 0) {
            IVSHMEM2_ERROR("%s", err);
            report_ready(&ready_fd, err);
            goto out_server;
        }
        close(pid_fd);
        pid_fd = -1;
    }
    server_ready = true;
    report_ready(&ready_fd, NULL);

    ret = ivshmem2_server_run(&server, &quit_signals) < 0 ? 1 : 0;

out_server:
    ivshmem2_server_close(&server);
out_shm:
    ivshmem2_shm_destroy(&shm);
    if (pid_fd >= 0) {
        close(pid_fd);
    }
    if (pidfile_written) {
        unlink(args.pidfile);
    }
    if (server_ready) {
        IVSHMEM2_INFO("stopped");
    }
    return ret;
}

/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/*
 * Option parsing and validation of ivshmem2-server. Pure functions: the
 * only state is getopt's, which is reset on every call.
 */

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "options.h"

/* Long-only options get values outside the char range. */
enum {
    OPT_MEMFD = 0x100,
    OPT_NUMA_NODE,
    OPT_LOG_LEVEL,
    OPT_QUEUE_LIMIT,
    OPT_ID_QUARANTINE,
    OPT_VERSION,
};

static const char short_options[] = "hFvp:S:I:M:m:l:o:n:V:P:";

static const struct option long_options[] = {
    { "help",        no_argument,       NULL, 'h' },
    { "foreground",  no_argument,       NULL, 'F' },
    { "verbose",     no_argument,       NULL, 'v' },
    { "pidfile",     required_argument, NULL, 'p' },
    { "socket",      required_argument, NULL, 'S' },
    { "info-socket", required_argument, NULL, 'I' },
    { "shm",         required_argument, NULL, 'M' },
    { "shm-dir",     required_argument, NULL, 'm' },
    { "size",        required_argument, NULL, 'l' },
    { "output-size", required_argument, NULL, 'o' },
    { "max-peers",   required_argument, NULL, 'n' },
    { "vectors",     required_argument, NULL, 'V' },
    { "protocol",    required_argument, NULL, 'P' },
    { "memfd",       no_argument,       NULL, OPT_MEMFD },
    { "numa-node",   required_argument, NULL, OPT_NUMA_NODE },
    { "log-level",   required_argument, NULL, OPT_LOG_LEVEL },
    { "queue-limit", required_argument, NULL, OPT_QUEUE_LIMIT },
    { "id-quarantine", required_argument, NULL, OPT_ID_QUARANTINE },
    { "version",     no_argument,       NULL, OPT_VERSION },
    { NULL, 0, NULL, 0 },
};

/* The ranges the usage text spells out. */
_Static_assert(IVSHMEM2_MIN_PEERS == 2 && IVSHMEM2_STATE_TABLE_MAX_PEERS == 1024,
               "usage: -n 2..1024");
_Static_assert(IVSHMEM2_SERVER_MAX_VECTORS == 64, "usage: -V 1..64");
_Static_assert(IVSHMEM2_SERVER_MAX_ID_QUARANTINE == 3600 &&
               IVSHMEM2_SERVER_DEFAULT_ID_QUARANTINE == 5,
               "usage: --id-quarantine 0..3600, default 5");
_Static_assert(IVSHMEM2_MAX_SHM_SIZE == 1ull << 40, "errors: sizes up to 1T");
_Static_assert(IVSHMEM2_PROTO_VIRTIO_MIN == 0x8000 &&
               IVSHMEM2_VIRTIO_MAX_PEERS == 2, "usage: -P >= 0x8000, -n 2");

static const char usage_text[] =
"Usage: ivshmem2-server [OPTION]...\n"
"Serve one IVSHMEM v2 group: shared memory, peer IDs and doorbell eventfds.\n"
"\n"
"  -F, --foreground         stay in the foreground, log to stderr\n"
"                           (default: daemonize, log to syslog)\n"
"  -v, --verbose            same as --log-level debug\n"
"      --log-level LEVEL    error, warning, info (default) or debug\n"
"  -p, --pidfile FILE       PID file (default " IVSHMEM2_SERVER_DEFAULT_PIDFILE
";\n"
"                           written in daemon mode, or with -F if given)\n"
"  -S, --socket PATH        UNIX socket path (default "
IVSHMEM2_SERVER_DEFAULT_SOCKET ")\n"
"  -I, --info-socket PATH   also serve read-only inspection (ivshmem2-info)\n"
"                           on this UNIX socket (default: none)\n"
"      --memfd              back the memory with a sealed memfd (default)\n"
"  -M, --shm NAME           back it with the POSIX shm object NAME instead\n"
"  -m, --shm-dir DIR        back it with an unlinked file in DIR instead\n"
"                           (e.g. a hugetlbfs mount such as /dev/hugepages)\n"
"  -l, --size SIZE          shared memory size, K/M/G/T suffixes; rounded up\n"
"                           to a power of two (default 4M)\n"
"  -o, --output-size SIZE   output section size per peer, page multiple\n"
"                           (default 0: all memory is the R/W section)\n"
"  -n, --max-peers N        peers in the group, 2..1024 (default 2)\n"
"  -V, --vectors N          interrupt vectors per peer, 1..64 (default 1)\n"
"  -P, --protocol N         16-bit protocol (default 0); >= 0x8000 is virtio\n"
"                           and needs -n 2\n"
"      --numa-node N        bind the memory to NUMA node N\n"
"      --queue-limit N      drop a peer that has more than N messages unsent\n"
"                           when the group changes (default 2*n*V+64)\n"
"      --id-quarantine SECS give a departed peer's ID to a newcomer only\n"
"                           after SECS seconds, unless no other ID is free\n"
"                           (0..3600, default 5)\n"
"  -h, --help               show this help\n"
"      --version            show the version\n";

const char *ivshmem2_options_usage(void)
{
    return usage_text;
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (!err || errlen == 0) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

void ivshmem2_options_init(Ivshmem2ServerArgs *args)
{
    memset(args, 0, sizeof(*args));
    args->foreground = false;
    args->log_level = IVSHMEM2_LOG_INFO;
    args->pidfile = IVSHMEM2_SERVER_DEFAULT_PIDFILE;
    args->socket_path = IVSHMEM2_SERVER_DEFAULT_SOCKET;
    args->backend = IVSHMEM2_SHM_MEMFD;
    args->shm_name = IVSHMEM2_SERVER_DEFAULT_SHM_NAME;
    args->shm_dir = NULL;
    args->size = IVSHMEM2_SERVER_DEFAULT_SIZE;
    args->output_size = IVSHMEM2_SERVER_DEFAULT_OUTPUT_SIZE;
    args->max_peers = IVSHMEM2_SERVER_DEFAULT_MAX_PEERS;
    args->vectors = IVSHMEM2_SERVER_DEFAULT_VECTORS;
    args->protocol = IVSHMEM2_SERVER_DEFAULT_PROTOCOL;
    args->numa_node = -1;
    args->queue_limit = 0;
    args->id_quarantine = IVSHMEM2_SERVER_DEFAULT_ID_QUARANTINE;
}

int ivshmem2_parse_uint(const char *str, uint64_t min, uint64_t max,
                        uint64_t *val)
{
    unsigned long long v;
    char *end;

    /* strtoull accepts leading blanks and a minus sign: refuse both. */
    if (!str || !isdigit((unsigned char)str[0])) {
        return -1;
    }
    /* Decimal or 0x hex; a leading 0 does not mean octal. */
    errno = 0;
    if (str[0] == '0' && (str[1] == 'x' || str[1] == 'X')) {
        if (!isxdigit((unsigned char)str[2])) {
            return -1;
        }
        v = strtoull(str + 2, &end, 16);
    } else {
        v = strtoull(str, &end, 10);
    }
    if (errno != 0 || *end != '\0' || v < min || v > max) {
        return -1;
    }
    *val = v;
    return 0;
}

int ivshmem2_parse_size(const char *str, uint64_t *size)
{
    unsigned long long v;
    unsigned shift = 0;
    char *end;

    if (!str || !isdigit((unsigned char)str[0])) {
        return -1;
    }
    errno = 0;
    v = strtoull(str, &end, 10);
    if (errno != 0) {
        return -1;
    }
    switch (*end) {
    case '\0':
        break;
    case 'k':
    case 'K':
        shift = 10;
        break;
    case 'm':
    case 'M':
        shift = 20;
        break;
    case 'g':
    case 'G':
        shift = 30;
        break;
    case 't':
    case 'T':
        shift = 40;
        break;
    default:
        return -1;
    }
    if (*end != '\0' && end[1] != '\0') {
        return -1;
    }
    if (v == 0 || v > (IVSHMEM2_MAX_SHM_SIZE >> shift)) {
        return -1;
    }
    *size = (uint64_t)v << shift;
    return 0;
}

static int parse_log_level(const char *str, Ivshmem2LogLevel *level)
{
    static const char *const names[] = {
        [IVSHMEM2_LOG_ERROR] = "error",
        [IVSHMEM2_LOG_WARNING] = "warning",
        [IVSHMEM2_LOG_INFO] = "info",
        [IVSHMEM2_LOG_DEBUG] = "debug",
    };
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(str, names[i]) == 0) {
            *level = (Ivshmem2LogLevel)i;
            return 0;
        }
    }
    return -1;
}

/* "-l/--size" for messages about option @c. */
static const char *option_name(int c)
{
    const struct option *o;
    static char buf[48];

    for (o = long_options; o->name; o++) {
        if (o->val == c) {
            if (c < 0x100) {
                snprintf(buf, sizeof(buf), "-%c/--%s", c, o->name);
            } else {
                snprintf(buf, sizeof(buf), "--%s", o->name);
            }
            return buf;
        }
    }
    return "option";
}

Ivshmem2ParseResult ivshmem2_options_parse(Ivshmem2ServerArgs *args,
                                           int argc, char *argv[],
                                           char *err, size_t errlen)
{
    const char *backend_opt = NULL;
    uint64_t v;
    int c;

    optind = 0;     /* glibc: full re-initialisation of getopt */
    opterr = 0;     /* errors are reported through @err */

    while ((c = getopt_long(argc, argv, short_options, long_options,
                            NULL)) != -1) {
        switch (c) {
        case 'h':
            return IVSHMEM2_PARSE_HELP;
        case OPT_VERSION:
            return IVSHMEM2_PARSE_VERSION;
        case 'F':
            args->foreground = true;
            break;
        case 'v':
            args->log_level = IVSHMEM2_LOG_DEBUG;
            break;
        case OPT_LOG_LEVEL:
            if (parse_log_level(optarg, &args->log_level) < 0) {
                set_err(err, errlen, "--log-level '%s': expected error, "
                        "warning, info or debug", optarg);
                return IVSHMEM2_PARSE_ERROR;
            }
            break;
        case 'p':
            if (optarg[0] == '\0') {
                set_err(err, errlen, "-p/--pidfile: empty path");
                return IVSHMEM2_PARSE_ERROR;
            }
            args->pidfile = optarg;
            args->pidfile_given = true;
            break;
        case 'S':
        case 'I':
            if (optarg[0] == '\0') {
                set_err(err, errlen, "%s: empty path", option_name(c));
                return IVSHMEM2_PARSE_ERROR;
            }
            if (strlen(optarg) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
                set_err(err, errlen, "%s '%s': path longer than %zu bytes",
                        option_name(c), optarg,
                        sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
                return IVSHMEM2_PARSE_ERROR;
            }
            if (c == 'S') {
                args->socket_path = optarg;
            } else {
                args->info_socket_path = optarg;
            }
            break;
        case 'M':
        case 'm':
        case OPT_MEMFD:
            if (backend_opt && strcmp(backend_opt, option_name(c)) != 0) {
                set_err(err, errlen, "%s and %s exclude each other: choose "
                        "one memory backend", backend_opt, option_name(c));
                return IVSHMEM2_PARSE_ERROR;
            }
            backend_opt = c == 'M' ? "-M/--shm" :
                          c == 'm' ? "-m/--shm-dir" : "--memfd";
            if (c == 'M') {
                const char *name = optarg[0] == '/' ? optarg + 1 : optarg;

                if (name[0] == '\0' || strchr(name, '/') ||
                    strlen(name) > 200) {
                    set_err(err, errlen, "-M/--shm '%s': expected a name "
                            "without '/' (optionally after a leading one)",
                            optarg);
                    return IVSHMEM2_PARSE_ERROR;
                }
                args->backend = IVSHMEM2_SHM_POSIX;
                args->shm_name = name;
            } else if (c == 'm') {
                if (optarg[0] == '\0') {
                    set_err(err, errlen, "-m/--shm-dir: empty path");
                    return IVSHMEM2_PARSE_ERROR;
                }
                args->backend = IVSHMEM2_SHM_DIR;
                args->shm_dir = optarg;
            } else {
                args->backend = IVSHMEM2_SHM_MEMFD;
            }
            break;
        case 'l':
            if (ivshmem2_parse_size(optarg, &args->size) < 0) {
                set_err(err, errlen, "-l/--size '%s': expected a size from 1 "
                        "to 1T with an optional K, M, G or T suffix", optarg);
                return IVSHMEM2_PARSE_ERROR;
            }
            break;
        case 'o':
            if (strcmp(optarg, "0") == 0) {
                args->output_size = 0;
            } else if (ivshmem2_parse_size(optarg, &args->output_size) < 0) {
                set_err(err, errlen, "-o/--output-size '%s': expected a size "
                        "from 0 to 1T with an optional K, M, G or T suffix",
                        optarg);
                return IVSHMEM2_PARSE_ERROR;
            }
            break;
        case 'n':
            /* The range 2..1024 is the layout's check (state table). */
            if (ivshmem2_parse_uint(optarg, 0, UINT32_MAX, &v) < 0) {
                set_err(err, errlen, "-n/--max-peers '%s': expected a number "
                        "from %u to %u", optarg, IVSHMEM2_MIN_PEERS,
                        IVSHMEM2_STATE_TABLE_MAX_PEERS);
                return IVSHMEM2_PARSE_ERROR;
            }
            args->max_peers = (uint32_t)v;
            break;
        case 'V':
            if (ivshmem2_parse_uint(optarg, 0, UINT32_MAX, &v) < 0) {
                set_err(err, errlen, "-V/--vectors '%s': expected a number "
                        "from 1 to %u", optarg, IVSHMEM2_SERVER_MAX_VECTORS);
                return IVSHMEM2_PARSE_ERROR;
            }
            args->vectors = (uint32_t)v;
            break;
        case 'P':
            if (ivshmem2_parse_uint(optarg, 0, IVSHMEM2_PROTO_MAX, &v) < 0) {
                set_err(err, errlen, "-P/--protocol '%s': expected a 16-bit "
                        "number (0 to 0xffff)", optarg);
                return IVSHMEM2_PARSE_ERROR;
            }
            args->protocol = (uint32_t)v;
            break;
        case OPT_NUMA_NODE:
            if (ivshmem2_parse_uint(optarg, 0, IVSHMEM2_SERVER_MAX_NUMA_NODE,
                                    &v) < 0) {
                set_err(err, errlen, "--numa-node '%s': expected a node "
                        "number from 0 to %d", optarg,
                        IVSHMEM2_SERVER_MAX_NUMA_NODE);
                return IVSHMEM2_PARSE_ERROR;
            }
            args->numa_node = (int)v;
            break;
        case OPT_QUEUE_LIMIT:
            if (ivshmem2_parse_uint(optarg, 1, IVSHMEM2_SERVER_MAX_QUEUE,
                                    &v) < 0) {
                set_err(err, errlen, "--queue-limit '%s': expected a number "
                        "from 1 to %u", optarg, IVSHMEM2_SERVER_MAX_QUEUE);
                return IVSHMEM2_PARSE_ERROR;
            }
            args->queue_limit = (uint32_t)v;
            break;
        case OPT_ID_QUARANTINE:
            if (ivshmem2_parse_uint(optarg, 0,
                                    IVSHMEM2_SERVER_MAX_ID_QUARANTINE,
                                    &v) < 0) {
                set_err(err, errlen, "--id-quarantine '%s': expected seconds "
                        "from 0 to %u", optarg,
                        IVSHMEM2_SERVER_MAX_ID_QUARANTINE);
                return IVSHMEM2_PARSE_ERROR;
            }
            args->id_quarantine = (uint32_t)v;
            break;
        case ':':
        case '?':
        default:
            if (optopt && strchr(short_options, optopt) && optopt != ':') {
                set_err(err, errlen, "option -%c needs an argument", optopt);
            } else if (optopt >= 0x100) {
                set_err(err, errlen, "option %s needs an argument",
                        option_name(optopt));
            } else {
                set_err(err, errlen, "unknown option '%s' (see --help)",
                        argv[optind - 1]);
            }
            return IVSHMEM2_PARSE_ERROR;
        }
    }
    if (optind < argc) {
        set_err(err, errlen, "unexpected argument '%s' (see --help)",
                argv[optind]);
        return IVSHMEM2_PARSE_ERROR;
    }
    return IVSHMEM2_PARSE_OK;
}

const char *ivshmem2_format_size(uint64_t size, char *buf, size_t len)
{
    static const char suffix[] = "KMGT";
    int i;

    for (i = 3; i >= 0; i--) {
        uint64_t unit = 1ull << (10 * (i + 1));

        if (size >= unit && size % unit == 0) {
            snprintf(buf, len, "%" PRIu64 "%c", size / unit, suffix[i]);
            return buf;
        }
    }
    snprintf(buf, len, "%" PRIu64, size);
    return buf;
}

uint64_t ivshmem2_options_shm_size(const Ivshmem2ServerArgs *args,
                                   uint64_t page_size)
{
    uint64_t size = 1;

    while (size < args->size || size < page_size) {
        size <<= 1;
    }
    return size;
}

int ivshmem2_options_layout(const Ivshmem2ServerArgs *args, uint64_t page_size,
                            struct ivshmem2_layout *layout,
                            char *err, size_t errlen)
{
    uint64_t shm_size = ivshmem2_options_shm_size(args, page_size);
    enum ivshmem2_layout_error e;
    char s[32], o[32], p[32];

    e = ivshmem2_layout_compute(layout, shm_size, args->max_peers,
                                args->output_size, page_size);
    if (e != IVSHMEM2_LAYOUT_OK) {
        set_err(err, errlen, "bad layout: %s (size %s, output size %s, "
                "%u peers, page size %s)", ivshmem2_layout_strerror(e),
                ivshmem2_format_size(shm_size, s, sizeof(s)),
                ivshmem2_format_size(args->output_size, o, sizeof(o)),
                args->max_peers, ivshmem2_format_size(page_size, p, sizeof(p)));
        return -1;
    }
    return 0;
}

int ivshmem2_options_validate(const Ivshmem2ServerArgs *args,
                              char *err, size_t errlen)
{
    struct ivshmem2_layout layout;

    if (args->vectors < 1 || args->vectors > IVSHMEM2_SERVER_MAX_VECTORS) {
        set_err(err, errlen, "-V/--vectors %u: expected 1 to %u",
                args->vectors, IVSHMEM2_SERVER_MAX_VECTORS);
        return -1;
    }
    if (args->protocol > IVSHMEM2_PROTO_MAX) {
        set_err(err, errlen, "-P/--protocol 0x%x: not a 16-bit protocol",
                args->protocol);
        return -1;
    }
    if (args->protocol >= IVSHMEM2_PROTO_VIRTIO_MIN &&
        args->max_peers > IVSHMEM2_VIRTIO_MAX_PEERS) {
        set_err(err, errlen, "-P/--protocol 0x%04x is virtio (>= 0x8000): "
                "it needs -n 2 (one back-end, one front-end), not -n %u",
                args->protocol, args->max_peers);
        return -1;
    }
    if (args->info_socket_path &&
        strcmp(args->info_socket_path, args->socket_path) == 0) {
        set_err(err, errlen, "-I/--info-socket %s: must differ from the peer "
                "socket -S", args->info_socket_path);
        return -1;
    }
    /* Memory size and peer count also go through the shared layout check. */
    return ivshmem2_options_layout(args, 4096, &layout, err, errlen);
}

uint32_t ivshmem2_options_queue_limit(const Ivshmem2ServerArgs *args)
{
    uint64_t limit;

    if (args->queue_limit) {
        return args->queue_limit;
    }
    /*
     * A joining peer legitimately has INIT plus max_peers * vectors
     * EVENT_FDs unsent; twice that leaves room for changes in the group.
     */
    limit = 2ull * args->max_peers * args->vectors + 64;
    return limit > IVSHMEM2_SERVER_MAX_QUEUE ? IVSHMEM2_SERVER_MAX_QUEUE :
           (uint32_t)limit;
}

uint64_t ivshmem2_options_fds_needed(const Ivshmem2ServerArgs *args)
{
    /*
     * One eventfd per (peer, vector), one socket per peer, one more socket
     * for a newcomer being turned away, and a few for stdio, the listening
     * sockets, epoll, signalfd, the shared memory (and its read-only fd for
     * the info socket), an info client, syslog and the pidfile.
     */
    return (uint64_t)args->max_peers * args->vectors + args->max_peers + 1 +
           16;
}

uint32_t ivshmem2_protocol_for_peer(uint32_t protocol, uint32_t id)
{
    if (protocol < IVSHMEM2_PROTO_VIRTIO_MIN) {
        return protocol;
    }
    protocol &= ~(uint32_t)IVSHMEM2_PROTO_VIRTIO_BACKEND;
    if (id == 0) {
        protocol |= IVSHMEM2_PROTO_VIRTIO_BACKEND;
    }
    return protocol;
}

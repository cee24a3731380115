/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/*
 * Unit tests of ivshmem2-server option parsing and validation: defaults,
 * every option in both spellings, and every bad input with its error.
 */

#include <string.h>

#include "check.h"
#include "options.h"

#define MAX_ARGS 32

typedef struct ParseCase {
    const char *argv[MAX_ARGS];     /* without argv[0], NULL-terminated */
    const char *error;              /* expected substring of the error */
} ParseCase;

static Ivshmem2ParseResult parse(Ivshmem2ServerArgs *args,
                                 const char *const *in,
                                 char *err, size_t errlen)
{
    char *argv[MAX_ARGS + 1];
    int argc = 0;

    argv[argc++] = (char *)"ivshmem2-server";
    while (in[argc - 1] && argc < MAX_ARGS) {
        argv[argc] = (char *)in[argc - 1];
        argc++;
    }
    argv[argc] = NULL;
    ivshmem2_options_init(args);
    err[0] = '\0';
    return ivshmem2_options_parse(args, argc, argv, err, errlen);
}

static void test_defaults(void)
{
    const char *none[] = { NULL };
    Ivshmem2ServerArgs args;
    char err[IVSHMEM2_ERR_LEN];

    CHECK(parse(&args, none, err, sizeof(err)) == IVSHMEM2_PARSE_OK);
    CHECK(!args.foreground);
    CHECK(args.log_level == IVSHMEM2_LOG_INFO);
    CHECK(strcmp(args.socket_path, "/tmp/ivshmem_socket") == 0);
    CHECK(strcmp(args.pidfile, "/run/ivshmem2-server.pid") == 0);
    CHECK(!args.pidfile_given);
    CHECK(args.backend == IVSHMEM2_SHM_MEMFD);
    CHECK(args.size == 4u << 20);
    CHECK(args.output_size == 0);
    CHECK(args.max_peers == 2);
    CHECK(args.vectors == 1);
    CHECK(args.protocol == 0);
    CHECK(args.numa_node == -1);
    CHECK(args.id_quarantine == 5);
    CHECK(args.info_socket_path == NULL);
    CHECK(ivshmem2_options_validate(&args, err, sizeof(err)) == 0);
}

static void test_short_options(void)
{
    const char *in[] = { "-F", "-v", "-p", "/x/pid", "-S", "/x/sock",
                         "-M", "/grp", "-l", "64K", "-o", "16K", "-n", "3",
                         "-V", "64", "-P", "0x7fff", "-I", "/x/info", NULL };
    Ivshmem2ServerArgs args;
    char err[IVSHMEM2_ERR_LEN];

    CHECK_MSG(parse(&args, in, err, sizeof(err)) == IVSHMEM2_PARSE_OK,
              "%s", err);
    CHECK(args.foreground);
    CHECK(args.log_level == IVSHMEM2_LOG_DEBUG);
    CHECK(strcmp(args.pidfile, "/x/pid") == 0 && args.pidfile_given);
    CHECK(strcmp(args.socket_path, "/x/sock") == 0);
    CHECK(args.backend == IVSHMEM2_SHM_POSIX);
    CHECK(strcmp(args.shm_name, "grp") == 0);
    CHECK(args.size == 64u << 10);
    CHECK(args.output_size == 16u << 10);
    CHECK(args.max_peers == 3);
    CHECK(args.vectors == 64);
    CHECK(args.protocol == 0x7fff);
    CHECK(strcmp(args.info_socket_path, "/x/info") == 0);
    CHECK(ivshmem2_options_validate(&args, err, sizeof(err)) == 0);
}

static void test_long_options(void)
{
    const char *in[] = { "--foreground", "--log-level", "warning",
                         "--pidfile=/p", "--socket", "/s", "--shm-dir",
                         "/dev/hugepages", "--size", "1G", "--output-size",
                         "2M", "--max-peers", "256", "--vectors", "2",
                         "--protocol", "1", NULL };
    const char *more[] = { "--shm", "name", "--numa-node", "0",
                           "--queue-limit", "100", "--verbose",
                           "--id-quarantine", "3600", "--info-socket=/i", NULL };
    const char *no_quarantine[] = { "--id-quarantine", "0", NULL };
    const char *memfd[] = { "-M", "x", "-M", "y", NULL };
    const char *memfd2[] = { "--memfd", "--memfd", NULL };
    Ivshmem2ServerArgs args;
    char err[IVSHMEM2_ERR_LEN];

    CHECK_MSG(parse(&args, in, err, sizeof(err)) == IVSHMEM2_PARSE_OK,
              "%s", err);
    CHECK(args.foreground);
    CHECK(args.log_level == IVSHMEM2_LOG_WARNING);
    CHECK(strcmp(args.pidfile, "/p") == 0);
    CHECK(strcmp(args.socket_path, "/s") == 0);
    CHECK(args.backend == IVSHMEM2_SHM_DIR);
    CHECK(strcmp(args.shm_dir, "/dev/hugepages") == 0);
    CHECK(args.size == 1ull << 30);
    CHECK(args.output_size == 2ull << 20);
    CHECK(args.max_peers == 256);
    CHECK(args.vectors == 2);
    CHECK(args.protocol == 1);
    CHECK(ivshmem2_options_validate(&args, err, sizeof(err)) == 0);

    CHECK(parse(&args, more, err, sizeof(err)) == IVSHMEM2_PARSE_OK);
    CHECK(args.backend == IVSHMEM2_SHM_POSIX);
    CHECK(strcmp(args.shm_name, "name") == 0);
    CHECK(args.numa_node == 0);
    CHECK(args.queue_limit == 100);
    CHECK(ivshmem2_options_queue_limit(&args) == 100);
    CHECK(strcmp(args.info_socket_path, "/i") == 0);
    CHECK(args.log_level == IVSHMEM2_LOG_DEBUG);
    CHECK(args.id_quarantine == 3600);
    CHECK(parse(&args, no_quarantine, err, sizeof(err)) == IVSHMEM2_PARSE_OK);
    CHECK(args.id_quarantine == 0);

    /* Repeating the same backend option is fine, the last one wins. */
    CHECK(parse(&args, memfd, err, sizeof(err)) == IVSHMEM2_PARSE_OK);
    CHECK(strcmp(args.shm_name, "y") == 0);
    CHECK(parse(&args, memfd2, err, sizeof(err)) == IVSHMEM2_PARSE_OK);
    CHECK(args.backend == IVSHMEM2_SHM_MEMFD);
}

static void test_help_version(void)
{
    const char *help[] = { "-l", "4M", "--help", NULL };
    const char *h[] = { "-h", NULL };
    const char *version[] = { "--version", NULL };
    Ivshmem2ServerArgs args;
    char err[IVSHMEM2_ERR_LEN];

    CHECK(parse(&args, help, err, sizeof(err)) == IVSHMEM2_PARSE_HELP);
    CHECK(parse(&args, h, err, sizeof(err)) == IVSHMEM2_PARSE_HELP);
    CHECK(parse(&args, version, err, sizeof(err)) == IVSHMEM2_PARSE_VERSION);
    CHECK(strstr(ivshmem2_options_usage(), "--memfd") != NULL);
    CHECK(strstr(ivshmem2_options_usage(), "--numa-node") != NULL);
}

/* Inputs that the parser itself must refuse. */
static const ParseCase parse_errors[] = {
    { { "-l", "0", NULL }, "-l/--size '0'" },
    { { "-l", "", NULL }, "-l/--size ''" },
    { { "-l", "-4M", NULL }, "-l/--size '-4M'" },
    { { "-l", " 4M", NULL }, "-l/--size ' 4M'" },
    { { "-l", "4X", NULL }, "-l/--size '4X'" },
    { { "-l", "4MB", NULL }, "-l/--size '4MB'" },
    { { "-l", "4.5M", NULL }, "-l/--size '4.5M'" },
    { { "-l", "2T", NULL }, "-l/--size '2T'" },
    { { "-l", "1099511627777", NULL }, "-l/--size" },
    { { "--size", "99999999999999999999999", NULL }, "-l/--size" },
    { { "-o", "abc", NULL }, "-o/--output-size 'abc'" },
    { { "-o", "-4K", NULL }, "-o/--output-size '-4K'" },
    { { "-o", "4G4", NULL }, "-o/--output-size" },
    { { "-n", "abc", NULL }, "-n/--max-peers 'abc'" },
    { { "-n", "-2", NULL }, "-n/--max-peers '-2'" },
    { { "-n", "99999999999", NULL }, "-n/--max-peers" },
    { { "-V", "x", NULL }, "-V/--vectors 'x'" },
    { { "-V", "", NULL }, "-V/--vectors" },
    { { "-P", "0x10000", NULL }, "-P/--protocol '0x10000'" },
    { { "-P", "65536", NULL }, "-P/--protocol" },
    { { "-P", "-1", NULL }, "-P/--protocol '-1'" },
    { { "-P", "0xzz", NULL }, "-P/--protocol" },
    { { "--numa-node", "1024", NULL }, "--numa-node '1024'" },
    { { "--numa-node", "-1", NULL }, "--numa-node" },
    { { "--numa-node", "zero", NULL }, "--numa-node" },
    { { "--log-level", "loud", NULL }, "--log-level 'loud'" },
    { { "--queue-limit", "0", NULL }, "--queue-limit '0'" },
    { { "--id-quarantine", "3601", NULL },
      "--id-quarantine '3601': expected seconds from 0 to 3600" },
    { { "--id-quarantine", "-1", NULL }, "--id-quarantine '-1'" },
    { { "--id-quarantine", "5s", NULL }, "--id-quarantine '5s'" },
    { { "-S", "", NULL }, "-S/--socket: empty path" },
    { { "-S", "/tmp/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", NULL },
      "longer than 107 bytes" },
    { { "-I", "", NULL }, "-I/--info-socket: empty path" },
    { { "--info-socket", "/tmp/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", NULL },
      "-I/--info-socket '/tmp/aaa" },
    { { "-p", "", NULL }, "-p/--pidfile: empty path" },
    { { "-M", "a/b", NULL }, "-M/--shm 'a/b'" },
    { { "-M", "", NULL }, "-M/--shm ''" },
    { { "-M", "/", NULL }, "-M/--shm '/'" },
    { { "-m", "", NULL }, "-m/--shm-dir: empty path" },
    { { "-M", "x", "-m", "/tmp", NULL }, "exclude each other" },
    { { "--memfd", "-M", "x", NULL }, "exclude each other" },
    { { "-m", "/tmp", "--memfd", NULL }, "exclude each other" },
    { { "--bogus", NULL }, "unknown option '--bogus'" },
    { { "-Z", NULL }, "unknown option '-Z'" },
    { { "extra", NULL }, "unexpected argument 'extra'" },
    { { "-l", NULL }, "option -l needs an argument" },
    { { "--size", NULL }, "needs an argument" },
    { { "--numa-node", NULL }, "--numa-node needs an argument" },
};

/* Inputs that parse but that validation must refuse. */
static const ParseCase validate_errors[] = {
    { { "-V", "0", NULL }, "-V/--vectors 0: expected 1 to 64" },
    { { "-V", "65", NULL }, "-V/--vectors 65: expected 1 to 64" },
    { { "-n", "0", NULL }, "a group needs at least 2 peers" },
    { { "-n", "1", NULL }, "a group needs at least 2 peers" },
    { { "-n", "1025", NULL }, "more peers than the 4096-byte state table" },
    { { "-n", "65536", NULL }, "more peers than the 4096-byte state table" },
    { { "-P", "0x8000", "-n", "3", NULL }, "needs -n 2" },
    { { "-P", "0xffff", "-n", "1024", NULL }, "needs -n 2" },
    { { "-o", "3K", NULL }, "multiples of the page size" },
    { { "-o", "6000", NULL }, "multiples of the page size" },
    { { "-o", "2M", NULL }, "do not fit in the shared memory" },
    { { "-o", "4M", "-n", "2", NULL }, "do not fit in the shared memory" },
    { { "-l", "4K", "-o", "4K", NULL }, "do not fit in the shared memory" },
    { { "-l", "64K", "-n", "16", "-o", "4K", NULL },
      "do not fit in the shared memory" },
    { { "-l", "1T", "-o", "1T", NULL }, "do not fit in the shared memory" },
    { { "-S", "/x/s", "-I", "/x/s", NULL }, "must differ from the peer" },
    { { "-I", "/tmp/ivshmem_socket", NULL }, "must differ from the peer" },
};

static void test_errors(void)
{
    Ivshmem2ServerArgs args;
    char err[IVSHMEM2_ERR_LEN];
    size_t i;

    for (i = 0; i < sizeof(parse_errors) / sizeof(parse_errors[0]); i++) {
        const ParseCase *c = &parse_errors[i];

        CHECK_MSG(parse(&args, c->argv, err, sizeof(err)) ==
                  IVSHMEM2_PARSE_ERROR, "case %zu (%s) parsed", i, c->error);
        CHECK_MSG(strstr(err, c->error) != NULL,
                  "case %zu: error '%s' lacks '%s'", i, err, c->error);
        CHECK_MSG(strchr(err, '\n') == NULL, "case %zu: multi-line", i);
    }
    for (i = 0; i < sizeof(validate_errors) / sizeof(validate_errors[0]);
         i++) {
        const ParseCase *c = &validate_errors[i];

        CHECK_MSG(parse(&args, c->argv, err, sizeof(err)) ==
                  IVSHMEM2_PARSE_OK, "case %zu: %s", i, err);
        err[0] = '\0';
        CHECK_MSG(ivshmem2_options_validate(&args, err, sizeof(err)) < 0,
                  "case %zu (%s) validated", i, c->error);
        CHECK_MSG(strstr(err, c->error) != NULL,
                  "case %zu: error '%s' lacks '%s'", i, err, c->error);
    }
}

static void test_good_combinations(void)
{
    static const ParseCase good[] = {
        { { "-F", "-l", "64K", "-n", "2", "-V", "3", "-P", "0x8003", NULL },
          NULL },
        { { "-F", "-l", "1M", "-n", "2", "-V", "2", "-P", "0x8002", NULL },
          NULL },
        { { "-l", "1M", "-o", "508K", "-n", "2", "-V", "2", "-P", "1", NULL },
          NULL },
        { { "-l", "3M", "-o", "1M", "-n", "3", NULL }, NULL },
        { { "-l", "4M", "-o", "1020K", "-n", "4", NULL }, NULL },
        { { "-n", "256", "-V", "64", "-l", "16M", "-o", "60K", NULL }, NULL },
        { { "-n", "1024", "-l", "8M", "-o", "4K", NULL }, NULL },
        { { "-P", "0xffff", "-n", "2", NULL }, NULL },
    };
    Ivshmem2ServerArgs args;
    char err[IVSHMEM2_ERR_LEN];
    size_t i;

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        err[0] = '\0';
        CHECK_MSG(parse(&args, good[i].argv, err, sizeof(err)) ==
                  IVSHMEM2_PARSE_OK, "case %zu: %s", i, err);
        CHECK_MSG(ivshmem2_options_validate(&args, err, sizeof(err)) == 0,
                  "case %zu: %s", i, err);
    }
}

static void test_sizes(void)
{
    uint64_t v;

    CHECK(ivshmem2_parse_size("1", &v) == 0 && v == 1);
    CHECK(ivshmem2_parse_size("4k", &v) == 0 && v == 4096);
    CHECK(ivshmem2_parse_size("4K", &v) == 0 && v == 4096);
    CHECK(ivshmem2_parse_size("3m", &v) == 0 && v == 3u << 20);
    CHECK(ivshmem2_parse_size("2G", &v) == 0 && v == 2ull << 30);
    CHECK(ivshmem2_parse_size("1T", &v) == 0 && v == 1ull << 40);
    CHECK(ivshmem2_parse_size("1024G", &v) == 0 && v == 1ull << 40);
    CHECK(ivshmem2_parse_size("1025G", &v) < 0);
    CHECK(ivshmem2_parse_size("0", &v) < 0);
    CHECK(ivshmem2_parse_size("0x10", &v) < 0);
    CHECK(ivshmem2_parse_size("K", &v) < 0);
    CHECK(ivshmem2_parse_size(NULL, &v) < 0);
    CHECK(ivshmem2_parse_uint("0x8003", 0, 0xffff, &v) == 0 && v == 0x8003);
    CHECK(ivshmem2_parse_uint("12", 0, 0xffff, &v) == 0 && v == 12);
    CHECK(ivshmem2_parse_uint("12", 13, 0xffff, &v) < 0);
    CHECK(ivshmem2_parse_uint("+12", 0, 0xffff, &v) < 0);
    CHECK(ivshmem2_parse_uint("010", 0, 0xffff, &v) == 0 && v == 10);
    CHECK(ivshmem2_parse_uint("0X1f", 0, 0xffff, &v) == 0 && v == 31);
    CHECK(ivshmem2_parse_uint("0x", 0, 0xffff, &v) < 0);
    CHECK(ivshmem2_parse_uint("0x-1", 0, 0xffff, &v) < 0);
    CHECK(ivshmem2_parse_uint("18446744073709551616", 0, UINT64_MAX, &v) < 0);
    CHECK(ivshmem2_parse_uint("12 ", 0, 0xffff, &v) < 0);
}

static void test_derived(void)
{
    Ivshmem2ServerArgs args;
    char buf[32];

    ivshmem2_options_init(&args);
    args.size = 3u << 20;
    CHECK(ivshmem2_options_shm_size(&args, 4096) == 4u << 20);
    args.size = 4u << 20;
    CHECK(ivshmem2_options_shm_size(&args, 4096) == 4u << 20);
    args.size = 1;
    CHECK(ivshmem2_options_shm_size(&args, 4096) == 4096);
    args.size = 64u << 10;
    CHECK(ivshmem2_options_shm_size(&args, 2u << 20) == 2u << 20);
    args.size = (1ull << 40) - 1;
    CHECK(ivshmem2_options_shm_size(&args, 4096) == 1ull << 40);

    /* Virtio role rule: bit 14 set for ID 0 only. */
    CHECK(ivshmem2_protocol_for_peer(0x8003, 0) == 0xc003);
    CHECK(ivshmem2_protocol_for_peer(0x8003, 1) == 0x8003);
    CHECK(ivshmem2_protocol_for_peer(0xc002, 1) == 0x8002);
    CHECK(ivshmem2_protocol_for_peer(0xc002, 0) == 0xc002);
    CHECK(ivshmem2_protocol_for_peer(0x4001, 1) == 0x4001);
    CHECK(ivshmem2_protocol_for_peer(0x0001, 0) == 0x0001);

    args.max_peers = 256;
    args.vectors = 64;
    CHECK(ivshmem2_options_queue_limit(&args) == 2 * 256 * 64 + 64);
    CHECK(ivshmem2_options_fds_needed(&args) >= 256 * 64 + 256 + 1);
    CHECK(ivshmem2_options_fds_needed(&args) < 20000);

    CHECK(strcmp(ivshmem2_format_size(4u << 20, buf, sizeof(buf)), "4M") == 0);
    CHECK(strcmp(ivshmem2_format_size(1536, buf, sizeof(buf)), "1536") == 0);
    CHECK(strcmp(ivshmem2_format_size(0, buf, sizeof(buf)), "0") == 0);
}

int main(void)
{
    test_defaults();
    test_short_options();
    test_long_options();
    test_help_version();
    test_errors();
    test_good_combinations();
    test_sizes();
    test_derived();
    return check_summary("test-options");
}

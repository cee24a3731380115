/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/*
 * Unit tests of the INIT validation every receiver shares
 * (ivshmem2_msg_init_check() in include/ivshmem2/wire.h): every rejection
 * reason and the accepted boundaries.
 */

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "check.h"
#include "ivshmem2/wire.h"

#define INIT_LEN ((uint32_t)sizeof(struct ivshmem2_msg_init))
#define LAST_REASON IVSHMEM2_MSG_INIT_BAD_PROTOCOL

typedef enum InitField {
    F_NONE,
    F_TYPE,
    F_HLEN,                 /* header.len, otherwise equal to the length */
    F_VERSION,
    F_COMPAT,
    F_ID,
    F_MAX_PEERS,
    F_VECTORS,
    F_PROTOCOL,
} InitField;

typedef struct InitCase {
    const char *name;
    InitField f1;
    uint32_t v1;
    InitField f2;
    uint32_t v2;
    uint32_t len;           /* 0: sizeof(struct ivshmem2_msg_init) */
    uint32_t max_vectors;   /* 0: IVSHMEM2_MAX_VECTORS */
    enum ivshmem2_msg_init_error expect;
} InitCase;

static const InitCase cases[] = {
    /* accepted */
    { "as the server sends it", F_NONE, 0, F_NONE, 0, 0, 0,
      IVSHMEM2_MSG_INIT_OK },
    { "longest message", F_NONE, 0, F_NONE, 0, IVSHMEM2_MSG_MAX_LEN, 0,
      IVSHMEM2_MSG_INIT_OK },
    { "newer server serving version 2", F_VERSION, 7, F_COMPAT, 2, 0, 0,
      IVSHMEM2_MSG_INIT_OK },
    { "newer server serving version 1 up", F_VERSION, 3, F_COMPAT, 1, 0, 0,
      IVSHMEM2_MSG_INIT_OK },
    { "largest version", F_VERSION, UINT32_MAX, F_NONE, 0, 0, 0,
      IVSHMEM2_MSG_INIT_OK },
    { "fewest peers, last ID", F_MAX_PEERS, IVSHMEM2_MIN_PEERS, F_ID,
      IVSHMEM2_MIN_PEERS - 1, 0, 0, IVSHMEM2_MSG_INIT_OK },
    { "most peers, last ID", F_MAX_PEERS, IVSHMEM2_STATE_TABLE_MAX_PEERS,
      F_ID, IVSHMEM2_STATE_TABLE_MAX_PEERS - 1, 0, 0, IVSHMEM2_MSG_INIT_OK },
    { "one vector", F_VECTORS, 1, F_NONE, 0, 0, 0, IVSHMEM2_MSG_INIT_OK },
    { "most vectors", F_VECTORS, IVSHMEM2_MAX_VECTORS, F_NONE, 0, 0, 0,
      IVSHMEM2_MSG_INIT_OK },
    { "receiver's own vector limit", F_VECTORS, 64, F_NONE, 0, 0, 64,
      IVSHMEM2_MSG_INIT_OK },
    { "largest protocol", F_PROTOCOL, 0xffff, F_NONE, 0, 0, 0,
      IVSHMEM2_MSG_INIT_OK },

    /* framing */
    { "empty", F_NONE, 0, F_NONE, 0, 1, 0, IVSHMEM2_MSG_INIT_NO_HEADER },
    { "half a header", F_NONE, 0, F_NONE, 0, 7, 0,
      IVSHMEM2_MSG_INIT_NO_HEADER },
    { "EVENT_FD first", F_TYPE, IVSHMEM2_MSG_EVENT_FD, F_NONE, 0, 0, 0,
      IVSHMEM2_MSG_INIT_NOT_INIT },
    { "PEER_GONE first", F_TYPE, IVSHMEM2_MSG_PEER_GONE, F_NONE, 0, 0, 0,
      IVSHMEM2_MSG_INIT_NOT_INIT },
    { "unknown type", F_TYPE, UINT32_MAX, F_NONE, 0, 0, 0,
      IVSHMEM2_MSG_INIT_NOT_INIT },
    { "header.len below length", F_HLEN, INIT_LEN - 1, F_NONE, 0, 0, 0,
      IVSHMEM2_MSG_INIT_LEN_MISMATCH },
    { "header.len above length", F_HLEN, INIT_LEN + 8, F_NONE, 0, 0, 0,
      IVSHMEM2_MSG_INIT_LEN_MISMATCH },
    { "header only", F_NONE, 0, F_NONE, 0, 8, 0,
      IVSHMEM2_MSG_INIT_TOO_SHORT },
    { "one byte short", F_NONE, 0, F_NONE, 0, INIT_LEN - 1, 0,
      IVSHMEM2_MSG_INIT_TOO_SHORT },
    { "one byte too long", F_NONE, 0, F_NONE, 0, IVSHMEM2_MSG_MAX_LEN + 1, 0,
      IVSHMEM2_MSG_INIT_TOO_LONG },

    /* version rule: 0 < compatible_version <= 2 <= version */
    { "compatible_version 0", F_COMPAT, 0, F_NONE, 0, 0, 0,
      IVSHMEM2_MSG_INIT_NO_COMPAT_VERSION },
    { "version 0", F_VERSION, 0, F_COMPAT, 1, 0, 0,
      IVSHMEM2_MSG_INIT_SERVER_TOO_OLD },
    { "version 1 server", F_VERSION, 1, F_COMPAT, 1, 0, 0,
      IVSHMEM2_MSG_INIT_SERVER_TOO_OLD },
    { "server dropped version 2", F_VERSION, 3, F_COMPAT, 3, 0, 0,
      IVSHMEM2_MSG_INIT_SERVER_TOO_NEW },
    { "compatible_version maximal", F_VERSION, UINT32_MAX, F_COMPAT,
      UINT32_MAX, 0, 0, IVSHMEM2_MSG_INIT_SERVER_TOO_NEW },

    /* group */
    { "zero peers", F_MAX_PEERS, 0, F_ID, 0, 0, 0,
      IVSHMEM2_MSG_INIT_BAD_MAX_PEERS },
    { "one peer", F_MAX_PEERS, IVSHMEM2_MIN_PEERS - 1, F_ID, 0, 0, 0,
      IVSHMEM2_MSG_INIT_BAD_MAX_PEERS },
    { "more peers than the state table holds", F_MAX_PEERS,
      IVSHMEM2_STATE_TABLE_MAX_PEERS + 1, F_ID, 0, 0, 0,
      IVSHMEM2_MSG_INIT_BAD_MAX_PEERS },
    { "ID equal to max_peers", F_ID, 2, F_MAX_PEERS, 2, 0, 0,
      IVSHMEM2_MSG_INIT_BAD_ID },
    { "ID 65535", F_ID, IVSHMEM2_MAX_PEER_ID, F_NONE, 0, 0, 0,
      IVSHMEM2_MSG_INIT_BAD_ID },
    { "no vectors", F_VECTORS, 0, F_NONE, 0, 0, 0,
      IVSHMEM2_MSG_INIT_BAD_VECTORS },
    { "one vector too many", F_VECTORS, IVSHMEM2_MAX_VECTORS + 1, F_NONE, 0,
      0, 0, IVSHMEM2_MSG_INIT_BAD_VECTORS },
    { "above the receiver's own limit", F_VECTORS, 65, F_NONE, 0, 0, 64,
      IVSHMEM2_MSG_INIT_BAD_VECTORS },
    { "protocol of 17 bits", F_PROTOCOL, 0x10000, F_NONE, 0, 0, 0,
      IVSHMEM2_MSG_INIT_BAD_PROTOCOL },
};

/* Where each field is; all of them are 32-bit. */
static const size_t field_offset[] = {
    [F_TYPE] = offsetof(struct ivshmem2_msg_init, header.type),
    [F_HLEN] = offsetof(struct ivshmem2_msg_init, header.len),
    [F_VERSION] = offsetof(struct ivshmem2_msg_init, version),
    [F_COMPAT] = offsetof(struct ivshmem2_msg_init, compatible_version),
    [F_ID] = offsetof(struct ivshmem2_msg_init, id),
    [F_MAX_PEERS] = offsetof(struct ivshmem2_msg_init, max_peers),
    [F_VECTORS] = offsetof(struct ivshmem2_msg_init, vectors),
    [F_PROTOCOL] = offsetof(struct ivshmem2_msg_init, protocol),
};

static void set_field(struct ivshmem2_msg_init *m, InitField f, uint32_t v)
{
    if (f != F_NONE) {
        memcpy((uint8_t *)m + field_offset[f], &v, sizeof(v));
    }
}

/* What the server sends peer 1 of a default group. */
static struct ivshmem2_msg_init good_init(uint32_t len)
{
    return (struct ivshmem2_msg_init) {
        .header.type = IVSHMEM2_MSG_INIT,
        .header.len = len,
        .version = IVSHMEM2_PROTOCOL_VERSION,
        .compatible_version = IVSHMEM2_PROTOCOL_VERSION,
        .id = 1,
        .max_peers = 2,
        .vectors = 1,
        .protocol = IVSHMEM2_PROTO_ETHERNET,
        .output_section_size = 0,
    };
}

static void test_cases(void)
{
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const InitCase *c = &cases[i];
        uint32_t len = c->len ? c->len : INIT_LEN;
        uint32_t maxv = c->max_vectors ? c->max_vectors
                                       : IVSHMEM2_MAX_VECTORS;
        struct ivshmem2_msg_init m = good_init(len);
        enum ivshmem2_msg_init_error got;

        set_field(&m, c->f1, c->v1);
        set_field(&m, c->f2, c->v2);
        got = ivshmem2_msg_init_check(&m, len, maxv);
        CHECK_MSG(got == c->expect, "%s: got %d (%s), expected %d (%s)",
                  c->name, got, ivshmem2_msg_init_strerror(got), c->expect,
                  ivshmem2_msg_init_strerror(c->expect));
    }
}

/* Every reason has at least one case above. */
static void test_every_reason_covered(void)
{
    enum ivshmem2_msg_init_error e;
    size_t i;

    for (e = IVSHMEM2_MSG_INIT_OK; e <= LAST_REASON; e++) {
        int n = 0;

        for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
            n += cases[i].expect == e;
        }
        CHECK_MSG(n > 0, "no case for %d (%s)", e,
                  ivshmem2_msg_init_strerror(e));
    }
}

/* The version rule over a grid, against its statement. */
static void test_version_grid(void)
{
    uint32_t v, c;

    for (v = 0; v <= 5; v++) {
        for (c = 0; c <= 5; c++) {
            struct ivshmem2_msg_init m = good_init(INIT_LEN);
            bool ok = c != 0 && c <= IVSHMEM2_PROTOCOL_VERSION &&
                      IVSHMEM2_PROTOCOL_VERSION <= v;
            enum ivshmem2_msg_init_error got;

            m.version = v;
            m.compatible_version = c;
            got = ivshmem2_msg_init_check(&m, INIT_LEN, IVSHMEM2_MAX_VECTORS);
            CHECK_MSG((got == IVSHMEM2_MSG_INIT_OK) == ok,
                      "version %u compatible_version %u: %s", v, c,
                      ivshmem2_msg_init_strerror(got));
        }
    }
}

/* Each reason has its own sentence; unknown values get one too. */
static void test_strerror(void)
{
    enum ivshmem2_msg_init_error e, f;

    for (e = IVSHMEM2_MSG_INIT_OK; e <= LAST_REASON; e++) {
        const char *s = ivshmem2_msg_init_strerror(e);

        CHECK(s != NULL && s[0] != '\0');
        CHECK_MSG(strcmp(s, "unknown INIT error") != 0, "%d unnamed", e);
        for (f = IVSHMEM2_MSG_INIT_OK; f < e; f++) {
            CHECK_MSG(strcmp(s, ivshmem2_msg_init_strerror(f)) != 0,
                      "%d and %d share \"%s\"", e, f, s);
        }
    }
    e = (enum ivshmem2_msg_init_error)(LAST_REASON + 1);
    CHECK(strcmp(ivshmem2_msg_init_strerror(e), "unknown INIT error") == 0);
}

int main(void)
{
    test_cases();
    test_every_reason_covered();
    test_version_grid();
    test_strerror();
    return check_summary("test-wire");
}

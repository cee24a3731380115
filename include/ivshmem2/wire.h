/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/*
 * Server <-> peer wire protocol of IVSHMEM v2 (spec section 5).
 *
 * AF_UNIX SOCK_STREAM. Every message starts with a header whose len covers
 * the whole message. All integers are little-endian. File descriptors travel
 * as SCM_RIGHTS, at most one per message. Peers never send to the server.
 *
 * Order when a peer connects:
 *   1. INIT (+ shm fd) to the new peer;
 *   2. to every existing peer: EVENT_FD for each vector of the new peer;
 *   3. to the new peer: every existing peer's vectors, in connection order;
 *   4. to the new peer: its own vectors 0..V-1.
 * When a peer leaves, the server zeroes its state-table entry, then sends
 * PEER_GONE to every remaining peer.
 */

#ifndef IVSHMEM2_WIRE_H
#define IVSHMEM2_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "regs.h"
#include "shmem.h"

#define IVSHMEM2_PROTOCOL_VERSION	2u

/* Receivers must accept messages up to this size (INIT is 40 bytes); larger
 * messages are illegal.
 */
#define IVSHMEM2_MSG_MAX_LEN		64u

enum ivshmem2_msg_type {
	IVSHMEM2_MSG_INIT = 0,
	IVSHMEM2_MSG_EVENT_FD = 1,
	IVSHMEM2_MSG_PEER_GONE = 2,
};

struct ivshmem2_msg_header {
	uint32_t type;			/* enum ivshmem2_msg_type */
	uint32_t len;			/* whole message, header included */
};

/* Sent once, first, with the shared-memory fd. len may exceed the size of
 * this struct in later versions: receivers skip the extra bytes.
 */
struct ivshmem2_msg_init {
	struct ivshmem2_msg_header header;
	uint32_t version;		/* server's protocol version */
	uint32_t compatible_version;	/* lowest peer version served: 2 */
	uint32_t id;			/* the receiving peer's ID */
	uint32_t max_peers;		/* peers in the group, self included */
	uint32_t vectors;		/* interrupt vectors per peer */
	uint32_t protocol;		/* 16-bit protocol (PCI class low bits) */
	uint64_t output_section_size;	/* per peer, bytes */
};

/* Carries the eventfd that signals vector @vector of peer @id. */
struct ivshmem2_msg_event_fd {
	struct ivshmem2_msg_header header;
	uint32_t id;
	uint32_t vector;
};

/* Peer @id left; its eventfds are void and its state entry is zero. */
struct ivshmem2_msg_peer_gone {
	struct ivshmem2_msg_header header;
	uint32_t id;
};

_Static_assert(sizeof(struct ivshmem2_msg_header) == 8, "header size");
_Static_assert(sizeof(struct ivshmem2_msg_init) == 40, "INIT size");
_Static_assert(__builtin_offsetof(struct ivshmem2_msg_init, version) == 8, "INIT.version");
_Static_assert(__builtin_offsetof(struct ivshmem2_msg_init, compatible_version) == 12,
	       "INIT.compatible_version");
_Static_assert(__builtin_offsetof(struct ivshmem2_msg_init, id) == 16, "INIT.id");
_Static_assert(__builtin_offsetof(struct ivshmem2_msg_init, max_peers) == 20, "INIT.max_peers");
_Static_assert(__builtin_offsetof(struct ivshmem2_msg_init, vectors) == 24, "INIT.vectors");
_Static_assert(__builtin_offsetof(struct ivshmem2_msg_init, protocol) == 28, "INIT.protocol");
_Static_assert(__builtin_offsetof(struct ivshmem2_msg_init, output_section_size) == 32,
	       "INIT.output_section_size");
_Static_assert(sizeof(struct ivshmem2_msg_event_fd) == 16, "EVENT_FD size");
_Static_assert(__builtin_offsetof(struct ivshmem2_msg_event_fd, vector) == 12, "EVENT_FD.vector");
_Static_assert(sizeof(struct ivshmem2_msg_peer_gone) == 12, "PEER_GONE size");
_Static_assert(sizeof(struct ivshmem2_msg_init) <= IVSHMEM2_MSG_MAX_LEN, "INIT fits");

/* Why ivshmem2_msg_init_check() rejects an INIT message. */
enum ivshmem2_msg_init_error {
	IVSHMEM2_MSG_INIT_OK = 0,
	IVSHMEM2_MSG_INIT_NO_HEADER,		/* shorter than a header */
	IVSHMEM2_MSG_INIT_NOT_INIT,		/* header.type is not INIT */
	IVSHMEM2_MSG_INIT_LEN_MISMATCH,		/* header.len is not the received length */
	IVSHMEM2_MSG_INIT_TOO_SHORT,		/* shorter than struct ivshmem2_msg_init */
	IVSHMEM2_MSG_INIT_TOO_LONG,		/* longer than IVSHMEM2_MSG_MAX_LEN */
	IVSHMEM2_MSG_INIT_NO_COMPAT_VERSION,	/* compatible_version is 0 */
	IVSHMEM2_MSG_INIT_SERVER_TOO_OLD,	/* version < IVSHMEM2_PROTOCOL_VERSION */
	IVSHMEM2_MSG_INIT_SERVER_TOO_NEW,	/* compatible_version > IVSHMEM2_PROTOCOL_VERSION */
	IVSHMEM2_MSG_INIT_BAD_MAX_PEERS,	/* max_peers outside [MIN_PEERS, STATE_TABLE_MAX_PEERS] */
	IVSHMEM2_MSG_INIT_BAD_ID,		/* id >= max_peers */
	IVSHMEM2_MSG_INIT_BAD_VECTORS,		/* vectors outside [1, max_vectors] */
	IVSHMEM2_MSG_INIT_BAD_PROTOCOL,		/* protocol wider than 16 bits */
};

/*
 * Check an INIT message as every receiver must (the QEMU device and the
 * PMD's vdev attachment), before using any of its fields.
 *
 * @m holds the first min(@len, sizeof(*m)) bytes of the message, already
 * converted to host byte order; @len is the number of bytes received, which
 * header.len must equal. @max_vectors is the most vectors the receiver
 * supports (at least 1).
 *
 * Version rule: the server sends its own version in @version and, in
 * @compatible_version, the lowest peer version it still serves (spec section
 * 5). A peer of version IVSHMEM2_PROTOCOL_VERSION therefore joins iff
 *	0 < compatible_version <= IVSHMEM2_PROTOCOL_VERSION <= version
 * i.e. a newer server that still serves version 2 is accepted, an older
 * server (which cannot know what version 2 needs) and a server that dropped
 * version 2 are not. compatible_version 0 names no version at all.
 *
 * The layout (memory size, output_section_size) is checked separately by
 * ivshmem2_layout_compute() once the memory size is known, and the group
 * protocol's own requirements by the protocol's user.
 */
static inline enum ivshmem2_msg_init_error
ivshmem2_msg_init_check(const struct ivshmem2_msg_init *m, size_t len, uint32_t max_vectors)
{
	if (len < sizeof(m->header))
		return IVSHMEM2_MSG_INIT_NO_HEADER;
	if (m->header.type != IVSHMEM2_MSG_INIT)
		return IVSHMEM2_MSG_INIT_NOT_INIT;
	if (m->header.len != len)
		return IVSHMEM2_MSG_INIT_LEN_MISMATCH;
	if (len < sizeof(*m))
		return IVSHMEM2_MSG_INIT_TOO_SHORT;
	if (len > IVSHMEM2_MSG_MAX_LEN)
		return IVSHMEM2_MSG_INIT_TOO_LONG;
	if (m->compatible_version == 0)
		return IVSHMEM2_MSG_INIT_NO_COMPAT_VERSION;
	if (m->version < IVSHMEM2_PROTOCOL_VERSION)
		return IVSHMEM2_MSG_INIT_SERVER_TOO_OLD;
	if (m->compatible_version > IVSHMEM2_PROTOCOL_VERSION)
		return IVSHMEM2_MSG_INIT_SERVER_TOO_NEW;
	if (m->max_peers < IVSHMEM2_MIN_PEERS || m->max_peers > IVSHMEM2_STATE_TABLE_MAX_PEERS)
		return IVSHMEM2_MSG_INIT_BAD_MAX_PEERS;
	if (m->id >= m->max_peers)
		return IVSHMEM2_MSG_INIT_BAD_ID;
	if (m->vectors < 1 || m->vectors > max_vectors)
		return IVSHMEM2_MSG_INIT_BAD_VECTORS;
	if (m->protocol > 0xffffu)
		return IVSHMEM2_MSG_INIT_BAD_PROTOCOL;
	return IVSHMEM2_MSG_INIT_OK;
}

/* A sentence for the log, without the values (callers print those). */
static inline const char *
ivshmem2_msg_init_strerror(enum ivshmem2_msg_init_error e)
{
	switch (e) {
	case IVSHMEM2_MSG_INIT_OK:
		return "valid INIT";
	case IVSHMEM2_MSG_INIT_NO_HEADER:
		return "message shorter than a header";
	case IVSHMEM2_MSG_INIT_NOT_INIT:
		return "first message from the server is not INIT";
	case IVSHMEM2_MSG_INIT_LEN_MISMATCH:
		return "header length differs from the received length";
	case IVSHMEM2_MSG_INIT_TOO_SHORT:
		return "INIT message too short";
	case IVSHMEM2_MSG_INIT_TOO_LONG:
		return "INIT message longer than the protocol allows";
	case IVSHMEM2_MSG_INIT_NO_COMPAT_VERSION:
		return "server names no compatible protocol version";
	case IVSHMEM2_MSG_INIT_SERVER_TOO_OLD:
		return "server protocol version is older than ours";
	case IVSHMEM2_MSG_INIT_SERVER_TOO_NEW:
		return "server no longer serves our protocol version";
	case IVSHMEM2_MSG_INIT_BAD_MAX_PEERS:
		return "peer count out of range";
	case IVSHMEM2_MSG_INIT_BAD_ID:
		return "peer ID not below the peer count";
	case IVSHMEM2_MSG_INIT_BAD_VECTORS:
		return "vector count out of range";
	case IVSHMEM2_MSG_INIT_BAD_PROTOCOL:
		return "protocol wider than 16 bits";
	}
	return "unknown INIT error";
}

#endif /* IVSHMEM2_WIRE_H */

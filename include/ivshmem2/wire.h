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

#include <stdint.h>

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
	uint32_t compatible_version;	/* oldest version a peer may speak: 2 */
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

#endif /* IVSHMEM2_WIRE_H */

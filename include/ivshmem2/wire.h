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
 *
 * Inspection: a server started with an info socket (ivshmem2-server -I PATH,
 * AF_UNIX SOCK_SEQPACKET) sends every client of that socket one INFO message
 * with a read-only fd of the memory and closes the connection. Info clients
 * are not peers: they get no ID and no eventfds, and no peer hears of them.
 * The socket types differ on purpose: neither kind of client can connect to
 * the other kind of socket (EPROTOTYPE).
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
	IVSHMEM2_MSG_INFO = 3,		/* info socket only */
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

/* Memory backend of the server, in INFO. */
enum ivshmem2_info_backend {
	IVSHMEM2_INFO_BACKEND_MEMFD = 0,	/* sealed memfd (--memfd) */
	IVSHMEM2_INFO_BACKEND_POSIX = 1,	/* POSIX shm object (-M) */
	IVSHMEM2_INFO_BACKEND_DIR = 2,		/* unlinked file in a directory (-m) */
};

/* INFO.numa_node when the memory is bound to no node. */
#define IVSHMEM2_INFO_NO_NUMA_NODE	0xffffffffu

/*
 * The only message of the info socket, sent with a read-only fd of the
 * memory. The IDs of the connected peers, in connection order, fill the
 * last 4 * num_peers bytes of the message (uint32_t each), so a later
 * version may grow the fixed part: receivers take the fields they know
 * and the IDs from the end.
 */
struct ivshmem2_msg_info {
	struct ivshmem2_msg_header header;
	uint32_t version;		/* server's protocol version */
	uint32_t compatible_version;	/* lowest peer version served */
	uint32_t max_peers;		/* -n */
	uint32_t vectors;		/* -V */
	uint32_t protocol;		/* -P (virtio: ID 0 sees bit 14 set) */
	uint32_t backend;		/* enum ivshmem2_info_backend */
	uint64_t shm_size;		/* whole memory, bytes */
	uint64_t output_section_size;	/* per peer, bytes */
	uint64_t page_size;		/* mapping granularity of the memory */
	uint32_t num_peers;		/* connected peers */
	uint32_t numa_node;		/* node the memory is bound to, or NO_NUMA_NODE */
};

/* Largest INFO a receiver must accept: this version's, for a full group. */
#define IVSHMEM2_MSG_INFO_MAX_LEN \
	(sizeof(struct ivshmem2_msg_info) + IVSHMEM2_STATE_TABLE_MAX_PEERS * sizeof(uint32_t))

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
_Static_assert(sizeof(struct ivshmem2_msg_info) == 64, "INFO size");
_Static_assert(__builtin_offsetof(struct ivshmem2_msg_info, version) == 8, "INFO.version");
_Static_assert(__builtin_offsetof(struct ivshmem2_msg_info, compatible_version) == 12,
	       "INFO.compatible_version");
_Static_assert(__builtin_offsetof(struct ivshmem2_msg_info, max_peers) == 16, "INFO.max_peers");
_Static_assert(__builtin_offsetof(struct ivshmem2_msg_info, vectors) == 20, "INFO.vectors");
_Static_assert(__builtin_offsetof(struct ivshmem2_msg_info, protocol) == 24, "INFO.protocol");
_Static_assert(__builtin_offsetof(struct ivshmem2_msg_info, backend) == 28, "INFO.backend");
_Static_assert(__builtin_offsetof(struct ivshmem2_msg_info, shm_size) == 32, "INFO.shm_size");
_Static_assert(__builtin_offsetof(struct ivshmem2_msg_info, output_section_size) == 40,
	       "INFO.output_section_size");
_Static_assert(__builtin_offsetof(struct ivshmem2_msg_info, page_size) == 48, "INFO.page_size");
_Static_assert(__builtin_offsetof(struct ivshmem2_msg_info, num_peers) == 56, "INFO.num_peers");
_Static_assert(__builtin_offsetof(struct ivshmem2_msg_info, numa_node) == 60, "INFO.numa_node");

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
	if (m->protocol > IVSHMEM2_PROTO_MAX)
		return IVSHMEM2_MSG_INIT_BAD_PROTOCOL;
	return IVSHMEM2_MSG_INIT_OK;
}

/* A phrase for the log, without the values (callers print those). */
static inline const char *
ivshmem2_msg_init_strerror(enum ivshmem2_msg_init_error e)
{
	switch (e) {
	case IVSHMEM2_MSG_INIT_OK:
		return "valid INIT";
	case IVSHMEM2_MSG_INIT_NO_HEADER:
		return "shorter than a message header";
	case IVSHMEM2_MSG_INIT_NOT_INIT:
		return "not an INIT message";
	case IVSHMEM2_MSG_INIT_LEN_MISMATCH:
		return "header length differs from the received length";
	case IVSHMEM2_MSG_INIT_TOO_SHORT:
		return "too short for INIT";
	case IVSHMEM2_MSG_INIT_TOO_LONG:
		return "longer than any message may be";
	case IVSHMEM2_MSG_INIT_NO_COMPAT_VERSION:
		return "compatible_version is 0";
	case IVSHMEM2_MSG_INIT_SERVER_TOO_OLD:
		return "the server's protocol version is older than ours";
	case IVSHMEM2_MSG_INIT_SERVER_TOO_NEW:
		return "the server no longer serves our protocol version";
	case IVSHMEM2_MSG_INIT_BAD_MAX_PEERS:
		return "max_peers out of range";
	case IVSHMEM2_MSG_INIT_BAD_ID:
		return "peer ID not below max_peers";
	case IVSHMEM2_MSG_INIT_BAD_VECTORS:
		return "vector count out of range";
	case IVSHMEM2_MSG_INIT_BAD_PROTOCOL:
		return "protocol wider than 16 bits";
	}
	return "unknown INIT error";
}

/* Why ivshmem2_msg_info_check() rejects an INFO message. */
enum ivshmem2_msg_info_error {
	IVSHMEM2_MSG_INFO_OK = 0,
	IVSHMEM2_MSG_INFO_NO_HEADER,		/* shorter than a header */
	IVSHMEM2_MSG_INFO_NOT_INFO,		/* header.type is not INFO */
	IVSHMEM2_MSG_INFO_LEN_MISMATCH,		/* header.len is not the received length */
	IVSHMEM2_MSG_INFO_TOO_SHORT,		/* shorter than struct ivshmem2_msg_info */
	IVSHMEM2_MSG_INFO_TOO_LONG,		/* longer than IVSHMEM2_MSG_INFO_MAX_LEN */
	IVSHMEM2_MSG_INFO_NO_COMPAT_VERSION,	/* compatible_version is 0 */
	IVSHMEM2_MSG_INFO_SERVER_TOO_OLD,	/* version < IVSHMEM2_PROTOCOL_VERSION */
	IVSHMEM2_MSG_INFO_SERVER_TOO_NEW,	/* compatible_version > IVSHMEM2_PROTOCOL_VERSION */
	IVSHMEM2_MSG_INFO_BAD_MAX_PEERS,	/* max_peers outside [MIN_PEERS, STATE_TABLE_MAX_PEERS] */
	IVSHMEM2_MSG_INFO_BAD_VECTORS,		/* vectors outside [1, SERVER_MAX_VECTORS] */
	IVSHMEM2_MSG_INFO_BAD_PROTOCOL,		/* protocol wider than 16 bits */
	IVSHMEM2_MSG_INFO_BAD_PAGE_SIZE,	/* page_size not a power of two */
	IVSHMEM2_MSG_INFO_BAD_NUM_PEERS,	/* above max_peers, or the IDs do not fit */
};

/*
 * Check an INFO message before using it: @m holds the first
 * min(@len, sizeof(*m)) bytes in host byte order, @len is the received
 * length. The same version rule as for INIT applies. The peer IDs at the
 * end (each below max_peers, none twice) and the layout (shm_size,
 * output_section_size, page_size: ivshmem2_layout_compute()) are the
 * receiver's to check.
 */
static inline enum ivshmem2_msg_info_error
ivshmem2_msg_info_check(const struct ivshmem2_msg_info *m, size_t len)
{
	if (len < sizeof(m->header))
		return IVSHMEM2_MSG_INFO_NO_HEADER;
	if (m->header.type != IVSHMEM2_MSG_INFO)
		return IVSHMEM2_MSG_INFO_NOT_INFO;
	if (m->header.len != len)
		return IVSHMEM2_MSG_INFO_LEN_MISMATCH;
	if (len < sizeof(*m))
		return IVSHMEM2_MSG_INFO_TOO_SHORT;
	if (len > IVSHMEM2_MSG_INFO_MAX_LEN)
		return IVSHMEM2_MSG_INFO_TOO_LONG;
	if (m->compatible_version == 0)
		return IVSHMEM2_MSG_INFO_NO_COMPAT_VERSION;
	if (m->version < IVSHMEM2_PROTOCOL_VERSION)
		return IVSHMEM2_MSG_INFO_SERVER_TOO_OLD;
	if (m->compatible_version > IVSHMEM2_PROTOCOL_VERSION)
		return IVSHMEM2_MSG_INFO_SERVER_TOO_NEW;
	if (m->max_peers < IVSHMEM2_MIN_PEERS || m->max_peers > IVSHMEM2_STATE_TABLE_MAX_PEERS)
		return IVSHMEM2_MSG_INFO_BAD_MAX_PEERS;
	if (m->vectors < 1 || m->vectors > IVSHMEM2_SERVER_MAX_VECTORS)
		return IVSHMEM2_MSG_INFO_BAD_VECTORS;
	if (m->protocol > IVSHMEM2_PROTO_MAX)
		return IVSHMEM2_MSG_INFO_BAD_PROTOCOL;
	if (m->page_size == 0 || (m->page_size & (m->page_size - 1)) != 0)
		return IVSHMEM2_MSG_INFO_BAD_PAGE_SIZE;
	if (m->num_peers > m->max_peers ||
	    len - sizeof(*m) < (size_t)m->num_peers * sizeof(uint32_t))
		return IVSHMEM2_MSG_INFO_BAD_NUM_PEERS;
	return IVSHMEM2_MSG_INFO_OK;
}

/* A phrase for messages, without the values. */
static inline const char *
ivshmem2_msg_info_strerror(enum ivshmem2_msg_info_error e)
{
	switch (e) {
	case IVSHMEM2_MSG_INFO_OK:
		return "valid INFO";
	case IVSHMEM2_MSG_INFO_NO_HEADER:
		return "shorter than a message header";
	case IVSHMEM2_MSG_INFO_NOT_INFO:
		return "not an INFO message";
	case IVSHMEM2_MSG_INFO_LEN_MISMATCH:
		return "header length differs from the received length";
	case IVSHMEM2_MSG_INFO_TOO_SHORT:
		return "too short for INFO";
	case IVSHMEM2_MSG_INFO_TOO_LONG:
		return "longer than any INFO may be";
	case IVSHMEM2_MSG_INFO_NO_COMPAT_VERSION:
		return "compatible_version is 0";
	case IVSHMEM2_MSG_INFO_SERVER_TOO_OLD:
		return "the server's protocol version is older than ours";
	case IVSHMEM2_MSG_INFO_SERVER_TOO_NEW:
		return "the server no longer serves our protocol version";
	case IVSHMEM2_MSG_INFO_BAD_MAX_PEERS:
		return "max_peers out of range";
	case IVSHMEM2_MSG_INFO_BAD_VECTORS:
		return "vector count out of range";
	case IVSHMEM2_MSG_INFO_BAD_PROTOCOL:
		return "protocol wider than 16 bits";
	case IVSHMEM2_MSG_INFO_BAD_PAGE_SIZE:
		return "page size not a power of two";
	case IVSHMEM2_MSG_INFO_BAD_NUM_PEERS:
		return "peer count above max_peers or peer list cut short";
	}
	return "unknown INFO error";
}

#endif /* IVSHMEM2_WIRE_H */

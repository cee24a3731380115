/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/*
 * ivshmem2-info: a read-only look at a running ivshmem2 group.
 *
 * info_client.c asks the server's info socket (ivshmem2-server -I) for the
 * group's options and a read-only fd of its memory and maps it PROT_READ;
 * info_group.c reads the state table, section headers, channel headers and
 * ring indices out of that mapping; info_report.c prints them as text or
 * JSON. Nothing is ever written to the memory or sent to the server, and
 * the server never counts this program as a peer.
 *
 * Every value read from the shared memory is untrusted: the offsets come
 * from the layout the server announced (checked with the shared layout
 * functions), never from the memory, and values are only compared and
 * printed, never followed.
 */

#ifndef IVSHMEM2_INFO_H
#define IVSHMEM2_INFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "ivshmem2/net.h"
#include "ivshmem2/shmem.h"
#include "ivshmem2/wire.h"

#define INFO_ERR_LEN		512
/* How long the server may take to answer. */
#define INFO_TIMEOUT_MS		2000
/*
 * Heartbeats are read twice this far apart (the owner beats every 100 ms);
 * one that did not move is watched a little longer, in case its owner was
 * only descheduled, before it is reported as standing still.
 */
#define INFO_HEARTBEAT_GAP_MS	150
#define INFO_HEARTBEAT_STEP_MS	50
#define INFO_HEARTBEAT_MAX_MS	1000

/* What the info socket told, in host byte order. */
struct info_server {
	const char *socket_path;
	pid_t pid;			/* the server's, 0 if unknown */
	uint32_t version;
	uint32_t compatible_version;
	uint32_t max_peers;
	uint32_t vectors;
	uint32_t protocol;
	uint32_t backend;		/* enum ivshmem2_info_backend */
	uint64_t shm_size;
	uint64_t output_section_size;
	uint64_t page_size;
	uint32_t numa_node;		/* IVSHMEM2_INFO_NO_NUMA_NODE: none */
	uint32_t num_peers;
	uint32_t peer_ids[IVSHMEM2_STATE_TABLE_MAX_PEERS];	/* connection order */
};

/* One peer of the group: its state-table entry and section header. */
struct info_peer {
	uint32_t id;
	bool connected;			/* in the server's peer list */
	uint32_t state;			/* state-table entry */
	struct ivshmem2_net_section_header hdr;	/* first read, host order */
	uint32_t heartbeat_later;	/* hdr.heartbeat heartbeat_gap_ms later */
	uint32_t heartbeat_gap_ms;	/* GAP_MS, or up to MAX_MS if it stood still */
	bool section_valid;		/* header agrees with the layout and the ID */
};

/* The group at one moment. */
struct info_group {
	struct info_server srv;
	struct ivshmem2_layout layout;
	const uint8_t *base;		/* PROT_READ mapping of srv.shm_size bytes */
	uint64_t mapped;
	bool net;			/* protocol is net_ivshmem2 and its layout fits */
	const char *net_reason;		/* why not, if !net */
	struct ivshmem2_net_layout net_layout;
	uint32_t nb_peers;		/* connected peers, then strays */
	uint32_t nb_connected;
	struct info_peer peers[IVSHMEM2_STATE_TABLE_MAX_PEERS];
};

/* One queue of the ring owner -> remote. */
struct info_ring {
	uint32_t tail;			/* owner's producer index */
	uint32_t head;			/* remote's consumer index */
	uint32_t occupancy;		/* tail - head */
	bool consistent;		/* occupancy <= ring size */
	uint32_t wake;			/* remote's wake word for this ring */
	bool wake_valid;		/* 0, or an rx vector 1..vectors-1 */
};

/* The channel header of @owner for @remote, and the rings owner -> remote. */
struct info_channel {
	uint32_t owner;
	uint32_t remote;
	uint32_t session;
	uint32_t ack;
	uint32_t tx_queues;
	uint32_t rx_queues;
	uint32_t mtu;
	uint8_t mac[6];
	bool queues_valid;		/* tx/rx_queues <= queues of the layout */
	bool acked;			/* remote's ack names our non-zero session */
	bool link_up;			/* both sessions set and acked both ways */
	struct info_ring rings[IVSHMEM2_NET_MAX_QUEUES];
};

/* info_client.c */

/*
 * Ask the info socket at @path for the group: fills @srv and returns the
 * read-only memory fd, or -1 with one line in @err.
 */
int info_query(const char *path, struct info_server *srv, char *err, size_t errlen);

/*
 * Check the layout in @g->srv, map @fd PROT_READ into @g (the fd is closed
 * in any case). Returns 0 or -1 with one line in @err.
 */
int info_map(struct info_group *g, int fd, char *err, size_t errlen);

void info_unmap(struct info_group *g);

/* info_group.c */

/*
 * Read every peer's state and section header, the heartbeats again
 * INFO_HEARTBEAT_GAP_MS later (up to INFO_HEARTBEAT_MAX_MS for one that
 * stands still). A file that shrank under the mapping raises SIGBUS here
 * or in the reports; main.c catches it.
 */
void info_group_read(struct info_group *g);

/* Read @owner's channel for @remote and the rings owner -> remote. */
void info_channel_read(const struct info_group *g, uint32_t owner, uint32_t remote,
		       struct info_channel *c);

/* Is the peer @id connected? Returns its info_peer or NULL. */
const struct info_peer *info_group_peer(const struct info_group *g, uint32_t id);

/* "RESET", "INIT", "READY", "RUN" or NULL for another value. */
const char *info_state_name(uint32_t state);

/* "memfd", "posix", "dir" or "unknown". */
const char *info_backend_name(uint32_t backend);

/* info_report.c */

/* The group as text for people, or as one line of JSON, into @f. */
void info_report_text(FILE *f, const struct info_group *g);
void info_report_json(FILE *f, const struct info_group *g);

#endif /* IVSHMEM2_INFO_H */

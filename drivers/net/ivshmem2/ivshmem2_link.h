/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

#ifndef _IVSHMEM2_LINK_H_
#define _IVSHMEM2_LINK_H_

/*
 * The link of a port: handshake with the remote peer's channel (sessions
 * and acks), peer liveness (heartbeat), bad-peer limit, and the link
 * generation that hands fresh rings to the bursts. The state below belongs
 * to ivshmem2_link.c; other files only read the counters.
 *
 * Every function takes hw->lock itself unless its name ends in _locked.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>

#include "ivshmem2_hw.h"

struct rte_eth_dev;

struct ivshmem2_link {
	/** Even: link down; odd: up. Read by every burst, so alone on its line. */
	uint32_t gen __rte_cache_aligned;
	bool lsc_pending __rte_cache_aligned;
	uint32_t session;		/**< our current session, 0 when stopped */
	uint32_t peer_session;		/**< peer session the current rings belong to */
	uint32_t peer_tx_queues;
	/**
	 * Incremented each time we accept a new peer session: rx queues that
	 * see a new value start their rings at rx_start, the peer's tails
	 * when we accepted (before our ack, so before the peer could send).
	 */
	uint32_t pairing;
	uint32_t rx_start[IVSHMEM2_NET_MAX_QUEUES];
	/* Peer liveness (IVSHMEM2_NET_F_HEARTBEAT), updated by the tick. */
	uint32_t peer_beat;		/**< last heartbeat value seen */
	uint64_t peer_beat_tsc;		/**< when it last changed */
	bool peer_dead;			/**< no heartbeat for the timeout: link down */
	/* Bad descriptors from the peer of the current pairing (checked by the tick). */
	uint64_t rejected_base;		/**< rx queues' rejected count when it began */
	bool peer_bad;			/**< over IVSHMEM2_LINK_REJECT_LIMIT: link down */
	uint32_t last_check;		/**< last enum ivshmem2_ring_check logged */
	/* Counters for xstats. */
	uint64_t ups;
	uint64_t heartbeat_timeouts;
	uint64_t bad_peer_downs;
};

/** A new port starts with its link down and no event pending. */
void ivshmem2_link_init(struct rte_eth_dev *dev);

/** dev_start: a new session, published to the peer; the link comes up with its ack. */
void ivshmem2_link_start(struct rte_eth_dev *dev);

/** dev_stop: session ended, link down (LSC delivered). */
void ivshmem2_link_stop(struct rte_eth_dev *dev);

/** Publish a new MTU in the port's channel header. */
void ivshmem2_link_mtu_set(struct rte_eth_dev *dev, uint16_t mtu);

/**
 * Re-evaluate the link of every port of @hw (state table, sections,
 * handshake) and deliver LSC events. Called on vector 0, on server
 * messages, after (re)attaching and from the periodic tick.
 */
void ivshmem2_link_check(struct ivshmem2_hw *hw);

/**
 * The attachment's periodic alarm (every IVSHMEM2_NET_HEARTBEAT_MS while
 * attached): publish our heartbeat, check the peers', then
 * ivshmem2_link_check().
 */
void ivshmem2_link_tick(struct ivshmem2_hw *hw);

/**
 * The attachment's memory at hw->base is mapped and new (first attach, or
 * after a server restart) and hw->id is current: initialise the own
 * section, mark @hw connected, start a new session on every started port,
 * publish our state (READY, or RUN with a started port), re-check links.
 */
void ivshmem2_link_attached(struct ivshmem2_hw *hw);

/** The attachment lost its memory's owner (server gone): every link goes down. */
void ivshmem2_link_detached(struct ivshmem2_hw *hw);

#endif /* _IVSHMEM2_LINK_H_ */

/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

#ifndef _IVSHMEM2_ETHDEV_H_
#define _IVSHMEM2_ETHDEV_H_

/*
 * Bus-independent ethdev glue shared by the vdev and PCI attachments:
 * devargs common to both, port creation, the link state machine.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_ether.h>
#include <rte_kvargs.h>

#include "ivshmem2_hw.h"

#define ETH_IVSHMEM2_PEER_ARG		"peer"
#define ETH_IVSHMEM2_MAC_ARG		"mac"
#define ETH_IVSHMEM2_ZC_ARG		"zero-copy"

#define ETH_IVSHMEM2_PEER_AUTO		(-1)	/* the other peer, or one port per peer */
#define ETH_IVSHMEM2_COMMON_PARAMS \
	ETH_IVSHMEM2_PEER_ARG "=<0..1023|all> " \
	ETH_IVSHMEM2_MAC_ARG "=<xx:xx:xx:xx:xx:xx> " \
	ETH_IVSHMEM2_ZC_ARG "=<yes|no>"

struct ivshmem2_args {
	int32_t peer;			/**< remote peer ID or ETH_IVSHMEM2_PEER_AUTO */
	bool mac_set;
	struct rte_ether_addr mac;
	bool zero_copy;			/**< rx hands out read-only external buffers */
};

/* Per-port data (dev_private): no per-process pointers or fds here. */
struct ivshmem2_port {
	/** Even: link down; odd: up. Read by every burst, so alone on its line. */
	uint32_t link_gen __rte_cache_aligned;
	uint32_t remote __rte_cache_aligned;	/**< remote peer ID */
	bool auto_remote;		/**< 2-peer group: "the other one", follows ID changes */
	bool started;
	bool zero_copy;
	bool lsc_pending;
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
	uint32_t mtu;
	/* Peer liveness (IVSHMEM2_NET_F_HEARTBEAT), updated by ivshmem2_hw_tick. */
	uint32_t peer_beat;		/**< last heartbeat value seen */
	uint64_t peer_beat_tsc;		/**< when it last changed */
	bool peer_dead;			/**< no heartbeat for the timeout: link down */
	uint64_t heartbeat_timeouts;
	/* Bad descriptors from the peer of the current pairing (checked by the tick). */
	uint64_t rejected_base;		/**< rx queues' rejected count when it began */
	bool peer_bad;			/**< over IVSHMEM2_REJECT_LIMIT: link down */
	uint64_t bad_peer_downs;
	uint32_t last_check;		/**< last enum ivshmem2_ring_check logged */
	uint64_t link_ups;
	struct rte_ether_addr mac;
};

/** Initialise @args to defaults. */
void ivshmem2_args_init(struct ivshmem2_args *args);

/**
 * Apply the common keys found in @kvlist to @args.
 * @return 0, or -EINVAL after logging which key/value is wrong.
 */
int ivshmem2_args_parse(struct rte_kvargs *kvlist, struct ivshmem2_args *args);

/**
 * Finish an allocated ethdev as a port of @hw towards @remote: private data,
 * dev_ops, bursts, MAC, and dev->process_private = hw. The caller did the bus
 * specific allocation and calls rte_eth_dev_probing_finish() afterwards.
 */
int ivshmem2_eth_dev_init(struct rte_eth_dev *dev, struct ivshmem2_hw *hw, uint32_t remote,
			  bool auto_remote, const struct ivshmem2_args *args);

/**
 * Re-evaluate the link of every port of @hw (state table, sections,
 * handshake) and deliver LSC events. Called by the attachment on vector 0,
 * PEER_GONE, (re)connection and from its periodic alarm. Takes hw->lock.
 */
void ivshmem2_hw_link_check(struct ivshmem2_hw *hw);

/**
 * The attachment's periodic alarm (every IVSHMEM2_NET_HEARTBEAT_MS while
 * connected): publish our heartbeat, check the peers', then
 * ivshmem2_hw_link_check(). Takes hw->lock.
 */
void ivshmem2_hw_tick(struct ivshmem2_hw *hw);

/**
 * After the attachment remapped fresh memory (server restart): initialise the
 * own section again and republish every started port. Caller holds hw->lock.
 */
void ivshmem2_hw_reinit_locked(struct ivshmem2_hw *hw);

/** Own state-table value for the ports' current state (READY or RUN). */
uint32_t ivshmem2_hw_wanted_state(struct ivshmem2_hw *hw);

/**
 * Secondary process: give an attached port the primary's dev_ops and bursts,
 * with @hw (this process's mapping) as dev->process_private.
 */
void ivshmem2_eth_dev_attach_secondary(struct rte_eth_dev *dev, struct ivshmem2_hw *hw);

/* Multi-process support (ivshmem2_mp.c). */
struct rte_vdev_device;

/** Primary: answer secondaries' requests (idempotent; harmless without multi-process). */
void ivshmem2_mp_primary_init(void);

/** Secondary probe: get memory and fds from the primary, attach its ports. */
int ivshmem2_mp_attach_secondary(struct rte_vdev_device *vdev);

/** Secondary dev_close: drop this process's mapping with the last port. */
int ivshmem2_mp_port_close(struct rte_eth_dev *dev);

#endif /* _IVSHMEM2_ETHDEV_H_ */

/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

#ifndef _IVSHMEM2_HW_H_
#define _IVSHMEM2_HW_H_

/*
 * The attachment interface: what the ethdev, link and ring code need from a
 * bus. Three attachments implement it: the vdev (a host process joins
 * ivshmem2-server: memory fd and eventfds from the socket), PCI (the device
 * inside a guest: BAR0 registers, BAR2 memory, MSI-X vectors) and a
 * secondary process (memory and doorbell eventfds from its primary). Each
 * embeds struct ivshmem2_hw first in its own per-process struct, fills the
 * fields below and provides struct ivshmem2_hw_ops. Nothing below the
 * attachments knows about sockets, eventfds or PCI.
 *
 * Threading: ops->notify is called from the data path (any lcore); every
 * other op only from the control path (probe, dev_ops, interrupt thread)
 * with hw->lock held by the caller where noted.
 */

#include <stdbool.h>
#include <stdint.h>

#include <ethdev_driver.h>
#include <rte_spinlock.h>

#include <ivshmem2/net.h>
#include <ivshmem2/regs.h>
#include <ivshmem2/shmem.h>

struct ivshmem2_hw;
struct ivshmem2_pool_map;
struct rte_eth_dev;
struct rte_intr_handle;

struct ivshmem2_hw_ops {
	/**
	 * Raise vector @vector of peer @peer (peer == hw->id: own vector,
	 * used to self-kick an rx queue). Data path safe: no locks, no
	 * allocation; a no-op when the peer or vector is unknown.
	 */
	void (*notify)(struct ivshmem2_hw *hw, uint32_t peer, uint32_t vector);
	/**
	 * Write the own state-table entry and raise vector 0 of every other
	 * peer if the value changed (what the device does on a STATE write).
	 */
	void (*set_state)(struct ivshmem2_hw *hw, uint32_t state);
	/**
	 * The fd that becomes readable when own vector @vector fires (an
	 * eventfd), or -1 if there is none (e.g. no MSI-X). When set, the
	 * common code builds rx interrupt handles from it and the two ops
	 * below are not used.
	 */
	int (*vector_fd)(struct ivshmem2_hw *hw, uint32_t vector);
	/**
	 * Without vector_fd: fill @handle so that rx queue q wakes on own vector
	 * IVSHMEM2_NET_VECTOR_RXQ_BASE + q, for @nb_rxq queues (efds, vector
	 * list, type). Returns 0 or a negative errno.
	 */
	int (*rxq_intr_setup)(struct ivshmem2_hw *hw, struct rte_intr_handle *handle,
			      uint16_t nb_rxq);
	void (*rxq_intr_teardown)(struct ivshmem2_hw *hw, struct rte_intr_handle *handle);
	/** Release everything (unmap, close fds); called when the last port closes. */
	void (*close)(struct ivshmem2_hw *hw);
	/**
	 * Optional, for secondary processes (ivshmem2_mp.c): the fd of the
	 * shared memory (peer == IVSHMEM2_EXPORT_SHM) or of (peer, vector)'s
	 * eventfd, still owned by the attachment; -1 if unknown. hw->lock held.
	 */
	int (*export_fd)(struct ivshmem2_hw *hw, uint32_t peer, uint32_t vector);
};

#define IVSHMEM2_EXPORT_SHM	UINT32_MAX

/* Ports of one attachment, indexed by remote peer ID. */
#define IVSHMEM2_PORT_NONE	UINT16_MAX

/* Common per-process state of an attachment. */
struct ivshmem2_hw {
	const struct ivshmem2_hw_ops *ops;
	rte_spinlock_t lock;		/**< control path: link updates, (re)mapping */
	uint8_t *base;			/**< whole shared memory, mapped */
	size_t page_size;		/**< mapping granularity of the memory */
	bool extmem_registered;		/**< base registered with rte_extmem_register */
	bool zc_held;			/**< zero-copy mbufs outlived their queue: keep base mapped */
	struct ivshmem2_layout shm;	/**< state table / sections (shmem.h) */
	struct ivshmem2_net_layout net;	/**< ring layout of each section (net.h) */
	uint32_t id;			/**< own peer ID (may change after a reconnect) */
	/**
	 * Incremented each time the memory at base or the own ID changes
	 * (reconnection); a secondary holds the primary's value its mapping
	 * matches. Read by the data path when it takes new rings.
	 */
	uint32_t map_gen;
	uint32_t max_peers;
	uint32_t vectors;		/**< interrupt vectors per peer */
	bool connected;			/**< memory valid and IDs current */
	int numa_node;			/**< node of the shared memory, or SOCKET_ID_ANY */
	uint32_t nb_ports;		/**< ethdev ports using this attachment */
	uint16_t *port_of_peer;		/**< [max_peers]: ethdev port ID or NONE */
	uint64_t reconnects;		/**< successful reconnections to the server */
	/* Zero-copy tx pool of the own section (ivshmem2_pool.c), primary only. */
	struct rte_mempool *tx_pool;
	uintptr_t tx_pool_base;		/**< its data buffers: the own pool area */
	uint32_t tx_pool_size;		/**< bytes of the pool area */
	struct ivshmem2_pool_map *tx_pool_map;	/**< its buffers' mbufs and posts, or NULL */
	bool tx_pool_owned;		/**< created by the tx-pool devarg: freed with the attachment */
};

#define IVSHMEM2_OPS(hw)	((hw)->ops)

static inline uint8_t *
ivshmem2_hw_section(const struct ivshmem2_hw *hw, uint32_t id)
{
	return hw->base + ivshmem2_layout_output_offset(&hw->shm, id);
}

static inline uint32_t
ivshmem2_hw_peer_state(const struct ivshmem2_hw *hw, uint32_t id)
{
	const uint32_t *table = (const uint32_t *)hw->base;

	return __atomic_load_n(&table[id], __ATOMIC_ACQUIRE);
}

/** The port of @hw towards peer @peer, or NULL (@peer < hw->max_peers). */
static inline struct rte_eth_dev *
ivshmem2_hw_port(const struct ivshmem2_hw *hw, uint32_t peer)
{
	uint16_t pid = hw->port_of_peer[peer];

	return pid == IVSHMEM2_PORT_NONE ? NULL : &rte_eth_devices[pid];
}

/** For each port @dev of @hw (towards remote peer @peer). */
#define IVSHMEM2_HW_FOREACH_PORT(hw, peer, dev) \
	for ((peer) = 0; (peer) < (hw)->max_peers; (peer)++) \
		if (((dev) = ivshmem2_hw_port((hw), (peer))) != NULL)

#endif /* _IVSHMEM2_HW_H_ */

/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

#ifndef _IVSHMEM2_PORT_H_
#define _IVSHMEM2_PORT_H_

/*
 * An ethdev port of an attachment: one per remote peer. Its dev_private
 * (shared by every process: no per-process pointers or fds here) and the
 * accessors the control-path files share.
 */

#include <stdbool.h>
#include <stdint.h>

#include <ethdev_driver.h>
#include <rte_ether.h>

#include "ivshmem2_hw.h"
#include "ivshmem2_link.h"

struct ivshmem2_port {
	struct ivshmem2_link link;	/**< session state (ivshmem2_link.c) */
	uint32_t remote;		/**< remote peer ID */
	bool auto_remote;		/**< 2-peer group: "the other one", follows ID changes */
	bool started;
	bool zero_copy;
	uint32_t tx_pool;		/**< tx-pool devarg: mbufs of the pool dev_start creates */
	uint32_t mtu;
	struct rte_ether_addr mac;
	uint64_t reconnects_base;	/**< hw->reconnects at the last xstats reset */
	/* Published by the primary for its secondaries (ivshmem2_mp.c). */
	uint32_t map_gen;		/**< the primary's hw->map_gen */
	uint32_t fds_gen;		/**< changes with the primary's doorbell eventfds */
};

static inline struct ivshmem2_hw *
ivshmem2_port_hw(const struct rte_eth_dev *dev)
{
	return dev->process_private;
}

static inline struct ivshmem2_port *
ivshmem2_port_priv(const struct rte_eth_dev *dev)
{
	return dev->data->dev_private;
}

#endif /* _IVSHMEM2_PORT_H_ */

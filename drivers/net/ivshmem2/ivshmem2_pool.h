/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

#ifndef _IVSHMEM2_POOL_H_
#define _IVSHMEM2_POOL_H_

/*
 * Zero-copy tx pool (rte_pmd_ivshmem2_pktmbuf_pool_create): one per output
 * section, kept in the attachment (struct ivshmem2_hw), so every port on the
 * section (peer=all) shares it. Control path only.
 */

#include <ethdev_driver.h>

#include "ivshmem2_hw.h"
#include "ivshmem2_rxtx.h"

/** Give @q the section's pool, if there is one (queue setup, dev_start, pool creation). */
void ivshmem2_pool_txq_attach(struct ivshmem2_txq *q, const struct ivshmem2_hw *hw);

/** Let @q take RETURN frames back into the section's pool, if there is one (rx queue setup). */
void ivshmem2_pool_rxq_attach(struct ivshmem2_rxq *q, const struct ivshmem2_hw *hw);

/**
 * The pool of rte_pmd_ivshmem2_pktmbuf_pool_create() for port @dev (checked to
 * be ours by the caller): NULL with rte_errno as that function documents.
 */
struct rte_mempool *ivshmem2_pool_create(struct rte_eth_dev *dev, const char *name,
					 unsigned int n, unsigned int cache_size,
					 uint16_t priv_size, uint16_t data_room_size);

/**
 * dev_start: with the tx-pool devarg, create the section's pool if it has
 * none and take the rx queues' mbufs from it; tell every tx queue the pool.
 * @return 0 or a negative errno (logged).
 */
int ivshmem2_pool_port_start(struct rte_eth_dev *dev);

/**
 * The attachment's last port closes: free a pool the tx-pool devarg made, or,
 * if the application still holds mbufs of it, keep the memory mapped for them.
 */
void ivshmem2_pool_release(struct ivshmem2_hw *hw);

#endif /* _IVSHMEM2_POOL_H_ */

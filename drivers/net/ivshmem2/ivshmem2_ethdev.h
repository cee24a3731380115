/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

#ifndef _IVSHMEM2_ETHDEV_H_
#define _IVSHMEM2_ETHDEV_H_

/*
 * Bus-independent ethdev glue shared by the attachments: a port's dev_ops,
 * queues, bursts and statistics.
 */

#include <stdbool.h>
#include <stdint.h>

#include "ivshmem2_devargs.h"
#include "ivshmem2_hw.h"

struct rte_eth_dev;

/**
 * Finish an allocated ethdev as a port of @hw towards @remote: private data,
 * dev_ops, bursts, MAC, and dev->process_private = hw. The caller did the bus
 * specific allocation and calls rte_eth_dev_probing_finish() afterwards.
 */
int ivshmem2_eth_dev_init(struct rte_eth_dev *dev, struct ivshmem2_hw *hw, uint32_t remote,
			  bool auto_remote, const struct ivshmem2_args *args);

/**
 * Secondary process: give an attached port the primary's dev_ops and bursts,
 * with @hw (this process's mapping) as dev->process_private.
 */
void ivshmem2_eth_dev_attach_secondary(struct rte_eth_dev *dev, struct ivshmem2_hw *hw);

/** True if @dev is a port of this driver (e.g. a name a secondary asks for). */
bool ivshmem2_eth_dev_is_ours(const struct rte_eth_dev *dev);

#endif /* _IVSHMEM2_ETHDEV_H_ */

/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

#ifndef _IVSHMEM2_ATTACH_H_
#define _IVSHMEM2_ATTACH_H_

/*
 * Helpers shared by the attachments (ivshmem2_attach.c). An attachment file
 * answers only the transport questions (where the memory is, who we are,
 * how to ring a peer's vector, which fd fires for an own vector) and calls
 * these for the rest.
 */

#include <stddef.h>
#include <stdint.h>

#include <rte_dev.h>

#include "ivshmem2_ethdev.h"

/** Allocates the device's first ethdev (rte_eth_vdev_allocate, rte_eth_dev_pci_allocate). */
typedef struct rte_eth_dev *(*ivshmem2_alloc_first_t)(struct rte_device *device,
						      size_t private_size);

/**
 * Create the ports of @hw: one towards args->peer, or one per other peer.
 * @return 0, or a negative errno (some ports may exist: check hw->nb_ports).
 */
int ivshmem2_hw_create_ports(struct ivshmem2_hw *hw, struct rte_device *device,
			     ivshmem2_alloc_first_t alloc, const struct ivshmem2_args *args);

/** Allocate hw->port_of_peer for hw->max_peers peers, none with a port yet. */
int ivshmem2_hw_port_table_alloc(struct ivshmem2_hw *hw);

/** Close and release every port of @device (bus remove callback). */
int ivshmem2_hw_remove(struct rte_device *device);

/**
 * Rx interrupt handle of a port: queue q wakes on own vector
 * IVSHMEM2_NET_VECTOR_RXQ_BASE + q (ops->vector_fd, else ops->rxq_intr_setup).
 */
int ivshmem2_hw_rxq_intr_setup(struct ivshmem2_hw *hw, struct rte_intr_handle *h,
			       uint16_t nb_rxq);
void ivshmem2_hw_rxq_intr_teardown(struct ivshmem2_hw *hw, struct rte_intr_handle *h);

/**
 * After the eventfds behind the own vector fds were replaced (same numbers,
 * new files): put the rx queues that were in an application's epoll set
 * back into it. Control path, no lock held.
 */
void ivshmem2_hw_rxq_intr_rearm(struct ivshmem2_hw *hw);

#endif /* _IVSHMEM2_ATTACH_H_ */

/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

#ifndef _IVSHMEM2_ATTACH_H_
#define _IVSHMEM2_ATTACH_H_

/*
 * What every attachment does alike once it knows its transport. An
 * attachment file answers only the transport questions (where the memory
 * is, who we are, how to ring a peer's vector, which fd fires for an own
 * vector) and calls these entries for the rest, plus ivshmem2_link_attached()
 * and ivshmem2_link_detached(); it never writes port state.
 */

#include <stddef.h>
#include <stdint.h>

#include <rte_dev.h>

#include "ivshmem2_devargs.h"
#include "ivshmem2_hw.h"

/** Allocates the device's first ethdev (rte_eth_vdev_allocate, rte_eth_dev_pci_allocate). */
typedef struct rte_eth_dev *(*ivshmem2_alloc_first_t)(struct rte_device *device,
						      size_t private_size);

/**
 * Compute hw->shm and hw->net for a memory of @shm_size bytes shared by
 * @max_peers peers with output sections of @output_section_size, mapped in
 * pages of @page_size; on failure log why, for device @name.
 * @return 0 or -EINVAL.
 */
int ivshmem2_attach_layout(struct ivshmem2_hw *hw, uint64_t shm_size, uint32_t max_peers,
			   uint64_t output_section_size, size_t page_size, const char *name);

/** Allocate hw->port_of_peer for hw->max_peers peers, none with a port yet. */
int ivshmem2_attach_port_table_alloc(struct ivshmem2_hw *hw);

/**
 * Create the ports of @hw: one towards args->peer, or one per other peer.
 * @return 0, or a negative errno (some ports may exist: check hw->nb_ports).
 */
int ivshmem2_attach_create_ports(struct ivshmem2_hw *hw, struct rte_device *device,
				 ivshmem2_alloc_first_t alloc, const struct ivshmem2_args *args);

/**
 * The group gave us another ID (server restart): a port that follows "the
 * other peer" of a two-peer group turns to the new other one. hw->lock held.
 */
void ivshmem2_attach_id_changed_locked(struct ivshmem2_hw *hw, uint32_t new_id);

/** Close and release every port of @device (bus remove callback). */
int ivshmem2_attach_remove(struct rte_device *device);

#endif /* _IVSHMEM2_ATTACH_H_ */

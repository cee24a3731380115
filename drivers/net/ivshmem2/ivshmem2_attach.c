/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/*
 * What every attachment does the same way once it knows its transport:
 * the layout of the memory, ports per remote peer and their removal, and
 * what a new peer ID means for them.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <ethdev_driver.h>
#include <rte_malloc.h>

#include "ivshmem2_attach.h"
#include "ivshmem2_ethdev.h"
#include "ivshmem2_logs.h"
#include "ivshmem2_port.h"

int
ivshmem2_attach_layout(struct ivshmem2_hw *hw, uint64_t shm_size, uint32_t max_peers,
		       uint64_t output_section_size, size_t page_size, const char *name)
{
	enum ivshmem2_net_layout_error ne;
	enum ivshmem2_layout_error le;

	le = ivshmem2_layout_compute(&hw->shm, shm_size, max_peers, output_section_size,
				     page_size);
	if (le != IVSHMEM2_LAYOUT_OK) {
		IVSHMEM2_LOG(ERR, "%s: shared memory of %" PRIu64 " bytes, %u peers, output "
			     "sections of %" PRIu64 " bytes: %s", name, shm_size, max_peers,
			     output_section_size, ivshmem2_layout_strerror(le));
		return -EINVAL;
	}
	ne = ivshmem2_net_layout_compute(&hw->net, output_section_size, max_peers);
	if (ne != IVSHMEM2_NET_LAYOUT_OK) {
		IVSHMEM2_LOG(ERR, "%s: output section of %" PRIu64 " bytes for %u peers: %s (start "
			     "the server with a larger -o)", name, output_section_size, max_peers,
			     ivshmem2_net_layout_strerror(ne));
		return -EINVAL;
	}
	hw->page_size = page_size;
	return 0;
}

int
ivshmem2_attach_port_table_alloc(struct ivshmem2_hw *hw)
{
	uint32_t i;

	hw->port_of_peer = malloc(hw->max_peers * sizeof(uint16_t));
	if (hw->port_of_peer == NULL)
		return -ENOMEM;
	for (i = 0; i < hw->max_peers; i++)
		hw->port_of_peer[i] = IVSHMEM2_PORT_NONE;
	return 0;
}

/* One port towards @remote; the first one is the device's own ethdev. */
static int
create_port(struct ivshmem2_hw *hw, struct rte_device *device, ivshmem2_alloc_first_t alloc,
	    uint32_t remote, bool auto_remote, bool first, const struct ivshmem2_args *args)
{
	char name[RTE_ETH_NAME_MAX_LEN];
	struct rte_eth_dev *dev;
	int ret;

	if (first) {
		dev = alloc(device, sizeof(struct ivshmem2_port));
	} else {
		snprintf(name, sizeof(name), "%s_p%u", device->name, remote);
		dev = rte_eth_dev_allocate(name);
		if (dev != NULL) {
			dev->data->dev_private = rte_zmalloc_socket(name,
					sizeof(struct ivshmem2_port), RTE_CACHE_LINE_SIZE,
					device->numa_node);
			if (dev->data->dev_private == NULL) {
				rte_eth_dev_release_port(dev);
				dev = NULL;
			} else {
				dev->device = device;
			}
		}
	}
	if (dev == NULL)
		return -ENOMEM;
	ret = ivshmem2_eth_dev_init(dev, hw, remote, auto_remote, args);
	if (ret != 0) {
		dev->data->mac_addrs = NULL;
		rte_eth_dev_release_port(dev);
		return ret;
	}
	rte_eth_dev_probing_finish(dev);
	IVSHMEM2_LOG(INFO, "%s: port %u towards peer %u", device->name, dev->data->port_id,
		     remote);
	return 0;
}

int
ivshmem2_attach_create_ports(struct ivshmem2_hw *hw, struct rte_device *device,
			     ivshmem2_alloc_first_t alloc, const struct ivshmem2_args *args)
{
	bool first = true;
	uint32_t r;
	int ret = 0;

	if (args->peer != ETH_IVSHMEM2_PEER_AUTO) {
		if ((uint32_t)args->peer >= hw->max_peers || (uint32_t)args->peer == hw->id) {
			IVSHMEM2_LOG(ERR, "%s: %s=%d: must be another peer's ID 0..%u (we are %u)",
				     device->name, ETH_IVSHMEM2_PEER_ARG, args->peer,
				     hw->max_peers - 1, hw->id);
			return -EINVAL;
		}
		return create_port(hw, device, alloc, (uint32_t)args->peer, false, true, args);
	}
	/* One port per other peer; later ports get their own random MACs unless one was given. */
	for (r = 0; r < hw->max_peers && ret == 0; r++) {
		if (r == hw->id)
			continue;
		ret = create_port(hw, device, alloc, r, hw->max_peers == 2, first, args);
		first = false;
	}
	return ret;
}

void
ivshmem2_attach_id_changed_locked(struct ivshmem2_hw *hw, uint32_t new_id)
{
	struct rte_eth_dev *dev;
	uint32_t i;

	hw->id = new_id;
	if (hw->max_peers != 2)
		return;
	IVSHMEM2_HW_FOREACH_PORT(hw, i, dev) {
		struct ivshmem2_port *p = ivshmem2_port_priv(dev);

		if (p->auto_remote && p->remote == new_id) {
			p->remote = 1 - new_id;
			hw->port_of_peer[i] = IVSHMEM2_PORT_NONE;
			hw->port_of_peer[p->remote] = dev->data->port_id;
		}
	}
}

int
ivshmem2_attach_remove(struct rte_device *device)
{
	uint16_t pid;
	int ret = 0;

	/* Every port created for this device (one per remote peer). */
	RTE_ETH_FOREACH_DEV_OF(pid, device) {
		struct rte_eth_dev *dev = &rte_eth_devices[pid];

		if (rte_eth_dev_close(pid) != 0)
			ret = -EIO;
		else if (dev->state != RTE_ETH_DEV_UNUSED)
			rte_eth_dev_release_port(dev);
	}
	return ret;
}

/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/*
 * What every attachment does the same way once it knows its transport:
 * ports per remote peer, their removal, and rx interrupt handles built from
 * the attachment's vector fds (ops->vector_fd).
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <ethdev_driver.h>
#include <rte_interrupts.h>
#include <rte_malloc.h>

#include "ivshmem2_attach.h"
#include "ivshmem2_logs.h"

int
ivshmem2_hw_rxq_intr_setup(struct ivshmem2_hw *hw, struct rte_intr_handle *h, uint16_t nb_rxq)
{
	const struct ivshmem2_ops *ops = IVSHMEM2_OPS(hw);
	uint16_t q;

	if (ops->vector_fd == NULL)
		return ops->rxq_intr_setup(hw, h, nb_rxq);
	if (nb_rxq > RTE_MAX_RXTX_INTR_VEC_ID ||
	    hw->vectors < IVSHMEM2_NET_VECTOR_RXQ_BASE + nb_rxq)
		return -ENOTSUP;
	/* The port's handle shares the attachment's eventfds (vector q + 1). */
	for (q = 0; q < nb_rxq; q++) {
		int fd = ops->vector_fd(hw, IVSHMEM2_NET_VECTOR_RXQ_BASE + q);

		if (fd < 0)
			return -ENOTSUP;	/* e.g. PCI without vfio-pci: no MSI-X */
		if (rte_intr_efds_index_set(h, q, fd) != 0)
			return -EINVAL;
	}
	if (rte_intr_nb_efd_set(h, nb_rxq) != 0 || rte_intr_max_intr_set(h, nb_rxq + 1) != 0 ||
	    rte_intr_type_set(h, RTE_INTR_HANDLE_VDEV) != 0 ||
	    rte_intr_efd_counter_size_set(h, sizeof(uint64_t)) != 0 ||
	    rte_intr_fd_set(h, ops->vector_fd(hw, IVSHMEM2_VECTOR_STATE)) != 0)
		return -EINVAL;
	if (rte_intr_vec_list_alloc(h, "intr_vec", nb_rxq) != 0)
		return -ENOMEM;
	for (q = 0; q < nb_rxq; q++)
		if (rte_intr_vec_list_index_set(h, q, RTE_INTR_VEC_RXTX_OFFSET + q) != 0)
			return -EINVAL;
	return 0;
}

void
ivshmem2_hw_rxq_intr_teardown(struct ivshmem2_hw *hw, struct rte_intr_handle *h)
{
	const struct ivshmem2_ops *ops = IVSHMEM2_OPS(hw);

	if (ops->vector_fd == NULL) {
		ops->rxq_intr_teardown(hw, h);
		return;
	}
	rte_intr_vec_list_free(h);
	rte_intr_nb_efd_set(h, 0);
	rte_intr_max_intr_set(h, 0);
}

/*
 * The attachment replaced the eventfd behind one of its fd numbers (server
 * restart: dup2 of a new eventfd). epoll forgets an fd whose file is
 * closed, so an application waiting on rx interrupts would never wake
 * again: register every queue that was in an epoll set again, in the same
 * set with the same user data.
 */
static void
port_rxq_intr_rearm(struct rte_eth_dev *dev)
{
	struct rte_intr_handle *h = dev->intr_handle;
	uint16_t q;

	if (h == NULL || !dev->data->dev_conf.intr_conf.rxq || !dev->data->dev_started)
		return;
	for (q = 0; q < dev->data->nb_rx_queues && q < rte_intr_nb_efd_get(h); q++) {
		struct rte_epoll_event *ev = rte_intr_elist_index_get(h, q);

		if (ev == NULL || ev->status != RTE_EPOLL_VALID)
			continue;
		/* The kernel dropped it: mark it free so that ADD is accepted. */
		ev->status = RTE_EPOLL_INVALID;
		if (rte_intr_rx_ctl(h, ev->epfd, RTE_INTR_EVENT_ADD, RTE_INTR_VEC_RXTX_OFFSET + q,
				    ev->epdata.data) != 0)
			IVSHMEM2_LOG(WARNING, "port %u: rx queue %u: cannot re-arm its interrupt",
				     dev->data->port_id, q);
	}
}

void
ivshmem2_hw_rxq_intr_rearm(struct ivshmem2_hw *hw)
{
	uint32_t i;

	for (i = 0; i < hw->max_peers; i++) {
		uint16_t pid = hw->port_of_peer[i];

		if (pid != IVSHMEM2_PORT_NONE)
			port_rxq_intr_rearm(&rte_eth_devices[pid]);
	}
}

int
ivshmem2_hw_port_table_alloc(struct ivshmem2_hw *hw)
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
ivshmem2_hw_create_ports(struct ivshmem2_hw *hw, struct rte_device *device,
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

int
ivshmem2_hw_remove(struct rte_device *device)
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

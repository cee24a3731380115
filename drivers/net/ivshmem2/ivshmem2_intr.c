/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/* Rx queue interrupt handles built from the attachment's vector fds. */

#include <errno.h>

#include <ethdev_driver.h>
#include <rte_interrupts.h>

#include "ivshmem2_intr.h"
#include "ivshmem2_logs.h"
#include "ivshmem2_hw.h"

int
ivshmem2_intr_rxq_setup(struct ivshmem2_hw *hw, struct rte_intr_handle *h, uint16_t nb_rxq)
{
	const struct ivshmem2_hw_ops *ops = IVSHMEM2_OPS(hw);
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
	    /*
	     * The EAL must not read these eventfds: a peer holding the same file
	     * could make that read block or spin. Its rx epoll is edge-triggered,
	     * and every doorbell is a new edge, so the counter never needs draining.
	     */
	    rte_intr_efd_counter_size_set(h, 0) != 0 ||
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
ivshmem2_intr_rxq_teardown(struct ivshmem2_hw *hw, struct rte_intr_handle *h)
{
	const struct ivshmem2_hw_ops *ops = IVSHMEM2_OPS(hw);

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
port_rxq_rearm(struct rte_eth_dev *dev)
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
ivshmem2_intr_rxq_rearm(struct ivshmem2_hw *hw)
{
	struct rte_eth_dev *dev;
	uint32_t i;

	IVSHMEM2_HW_FOREACH_PORT(hw, i, dev)
		port_rxq_rearm(dev);
}

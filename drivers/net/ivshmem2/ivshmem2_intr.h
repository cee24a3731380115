/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

#ifndef _IVSHMEM2_INTR_H_
#define _IVSHMEM2_INTR_H_

/*
 * Rx queue interrupts of a port: rx queue q sleeps on own vector
 * IVSHMEM2_NET_VECTOR_RXQ_BASE + q, whose fd comes from the attachment
 * (ops->vector_fd), or the attachment fills the handle itself
 * (ops->rxq_intr_setup).
 */

#include <stdint.h>

#include "ivshmem2_hw.h"

struct rte_intr_handle;

/** Fill @h for @nb_rxq rx queues. @return 0 or a negative errno (-ENOTSUP: no vectors). */
int ivshmem2_intr_rxq_setup(struct ivshmem2_hw *hw, struct rte_intr_handle *h, uint16_t nb_rxq);

/** Undo ivshmem2_intr_rxq_setup(). */
void ivshmem2_intr_rxq_teardown(struct ivshmem2_hw *hw, struct rte_intr_handle *h);

/**
 * After the eventfds behind the own vector fds were replaced (same numbers,
 * new files): put the rx queues of every port of @hw that were in an
 * application's epoll set back into it. Control path, no lock held.
 */
void ivshmem2_intr_rxq_rearm(struct ivshmem2_hw *hw);

#endif /* _IVSHMEM2_INTR_H_ */

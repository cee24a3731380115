/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

#ifndef _PKTCHECK_PORT_H_
#define _PKTCHECK_PORT_H_

#include <stdint.h>

#include <rte_ethdev.h>
#include <rte_mempool.h>

#include "pktcheck_options.h"

/**
 * Create the mbuf pool on the port's NUMA node, or with opt->tx_pool in the
 * net_ivshmem2 port's output section (rte_pmd_ivshmem2_pktmbuf_pool_create(),
 * looked up in the loaded PMD).
 *
 * @return the pool, or NULL after printing why.
 */
struct rte_mempool *pktcheck_pool_create(const struct pktcheck_options *opt, uint16_t port);

/**
 * Configure and start @port with opt->nb_queues queue pairs, an MTU that
 * fits the largest frame, scatter RX and multi-segment TX when offered.
 *
 * @return 0, or -1 after printing why.
 */
int pktcheck_port_init(const struct pktcheck_options *opt, uint16_t port,
		       struct rte_mempool *pool);

/**
 * Wait up to @seconds for link up (or until *quit).
 *
 * @return 0 when the link is up, -1 otherwise.
 */
int pktcheck_port_wait_link(uint16_t port, double seconds, volatile bool *quit);

void pktcheck_port_close(uint16_t port);

/** Bytes of data one mbuf of @pool holds. */
uint32_t pktcheck_pool_data_room(struct rte_mempool *pool);

#endif /* _PKTCHECK_PORT_H_ */

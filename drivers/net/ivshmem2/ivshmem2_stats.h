/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

#ifndef _IVSHMEM2_STATS_H_
#define _IVSHMEM2_STATS_H_

/*
 * What a port tells about itself (dev_ops of ivshmem2_stats.c): basic and
 * extended statistics, queue and burst-mode info, and the private dump
 * behind /ethdev/dump_priv and dpdk-proc-info.
 */

#include <stdint.h>
#include <stdio.h>

struct rte_eth_burst_mode;
struct rte_eth_dev;
struct rte_eth_rxq_info;
struct rte_eth_stats;
struct rte_eth_txq_info;
struct rte_eth_xstat;
struct rte_eth_xstat_name;

int ivshmem2_stats_get(struct rte_eth_dev *dev, struct rte_eth_stats *st);
int ivshmem2_stats_reset(struct rte_eth_dev *dev);
int ivshmem2_xstats_get(struct rte_eth_dev *dev, struct rte_eth_xstat *xstats, unsigned int n);
int ivshmem2_xstats_get_names(struct rte_eth_dev *dev, struct rte_eth_xstat_name *names,
			      unsigned int size);
int ivshmem2_xstats_reset(struct rte_eth_dev *dev);
void ivshmem2_rxq_info_get(struct rte_eth_dev *dev, uint16_t qid, struct rte_eth_rxq_info *info);
void ivshmem2_txq_info_get(struct rte_eth_dev *dev, uint16_t qid, struct rte_eth_txq_info *info);
int ivshmem2_rx_burst_mode_get(struct rte_eth_dev *dev, uint16_t qid,
			       struct rte_eth_burst_mode *mode);
int ivshmem2_tx_burst_mode_get(struct rte_eth_dev *dev, uint16_t qid,
			       struct rte_eth_burst_mode *mode);
int ivshmem2_priv_dump(struct rte_eth_dev *dev, FILE *f);

#endif /* _IVSHMEM2_STATS_H_ */

/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

#define _GNU_SOURCE	/* dl_iterate_phdr, RTLD_DEFAULT, RTLD_NOLOAD */
#include <dlfcn.h>
#include <link.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_pmd_ivshmem2.h>

#include "pktcheck_port.h"

#define POOL_CACHE	256
#define POOL_NAME	"pktcheck_pool"
#define IVSHMEM2_PMD_PREFIX	"librte_net_ivshmem2"
#define IVSHMEM2_POOL_SYMBOL	"rte_pmd_ivshmem2_pktmbuf_pool_create"

typedef __typeof__(rte_pmd_ivshmem2_pktmbuf_pool_create) ivshmem2_pool_create_t;

/* dl_iterate_phdr callback: a handle to the loaded net_ivshmem2 PMD object. */
static int
find_ivshmem2_pmd(struct dl_phdr_info *info, size_t size __rte_unused, void *arg)
{
	const char *base = strrchr(info->dlpi_name, '/');

	base = base != NULL ? base + 1 : info->dlpi_name;
	if (strncmp(base, IVSHMEM2_PMD_PREFIX, strlen(IVSHMEM2_PMD_PREFIX)) != 0)
		return 0;
	*(void **)arg = dlopen(info->dlpi_name, RTLD_NOW | RTLD_NOLOAD);
	return *(void **)arg != NULL;
}

/*
 * The PMD is a plugin (EAL -d or the PMD directory), so the app cannot link
 * its API at build time. EAL dlopens plugins RTLD_LOCAL, which hides their
 * symbols from RTLD_DEFAULT: look in the loaded PMD object itself.
 */
static ivshmem2_pool_create_t *
ivshmem2_pool_create_fn(void)
{
	void *handle = NULL;
	void *sym;

	sym = dlsym(RTLD_DEFAULT, IVSHMEM2_POOL_SYMBOL);
	if (sym == NULL) {
		dl_iterate_phdr(find_ivshmem2_pmd, &handle);
		if (handle == NULL)
			return NULL;
		sym = dlsym(handle, IVSHMEM2_POOL_SYMBOL);
		/* EAL keeps its own handle open: the function stays mapped. */
		dlclose(handle);
	}
	return (ivshmem2_pool_create_t *)(uintptr_t)sym;
}

static struct rte_mempool *
tx_pool_create(const struct pktcheck_options *opt, uint16_t port)
{
	ivshmem2_pool_create_t *create = ivshmem2_pool_create_fn();
	struct rte_eth_dev_info info;
	struct rte_mempool *pool;

	if (create == NULL) {
		fprintf(stderr, "pktcheck: --tx-pool: %s not found: load a net_ivshmem2 PMD "
			"that provides it (EAL -d librte_net_ivshmem2.so)\n", IVSHMEM2_POOL_SYMBOL);
		return NULL;
	}
	pool = create(POOL_NAME, opt->nb_mbufs, POOL_CACHE, 0, RTE_MBUF_DEFAULT_BUF_SIZE, port);
	if (pool != NULL) {
		printf("pktcheck: --tx-pool: %u mbufs in port %u's output section (zero-copy TX)\n",
		       opt->nb_mbufs, port);
		return pool;
	}
	switch (rte_errno) {
	case ENODEV:
		if (rte_eth_dev_info_get(port, &info) != 0)
			info.driver_name = "?";
		fprintf(stderr, "pktcheck: --tx-pool: port %u (%s) is not a net_ivshmem2 port\n",
			port, info.driver_name);
		break;
	case ENOSPC:
		fprintf(stderr, "pktcheck: --tx-pool: %u mbufs of %u bytes do not fit in port %u's "
			"output section: raise the server's -o or lower --mbufs\n",
			opt->nb_mbufs, RTE_MBUF_DEFAULT_BUF_SIZE, port);
		break;
	default:
		fprintf(stderr, "pktcheck: --tx-pool: cannot create a pool of %u mbufs in port %u's "
			"output section: %s\n", opt->nb_mbufs, port, rte_strerror(rte_errno));
		break;
	}
	return NULL;
}

struct rte_mempool *
pktcheck_pool_create(const struct pktcheck_options *opt, uint16_t port)
{
	struct rte_mempool *pool;
	int socket = rte_eth_dev_socket_id(port);

	if (opt->tx_pool)
		return tx_pool_create(opt, port);
	if (socket < 0)
		socket = (int)rte_socket_id();
	pool = rte_pktmbuf_pool_create(POOL_NAME, opt->nb_mbufs, POOL_CACHE, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE, socket);
	if (pool == NULL)
		fprintf(stderr, "pktcheck: cannot create a pool of %u mbufs on socket %d: %s\n",
			opt->nb_mbufs, socket, rte_strerror(rte_errno));
	return pool;
}

uint32_t
pktcheck_pool_data_room(struct rte_mempool *pool)
{
	return rte_pktmbuf_data_room_size(pool) - RTE_PKTMBUF_HEADROOM;
}

/* The largest MTU both max_mtu and max_rx_pktlen admit. */
static uint32_t
mtu_limit(const struct rte_eth_dev_info *info)
{
	uint32_t from_len = info->max_rx_pktlen > RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN ?
			    info->max_rx_pktlen - RTE_ETHER_HDR_LEN - RTE_ETHER_CRC_LEN : 0;

	return RTE_MAX(RTE_MIN((uint32_t)info->max_mtu, from_len), (uint32_t)RTE_ETHER_MIN_MTU);
}

int
pktcheck_port_init(const struct pktcheck_options *opt, uint16_t port, struct rte_mempool *pool)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	uint32_t max_frame = pktcheck_max_size(opt);
	uint32_t mtu = opt->mtu;
	int socket = rte_eth_dev_socket_id(port);
	uint16_t nb_rxd = opt->nb_rxd, nb_txd = opt->nb_txd;
	uint16_t q;
	int ret;

	if (!rte_eth_dev_is_valid_port(port)) {
		fprintf(stderr, "pktcheck: port %u does not exist (%u ports)\n", port,
			rte_eth_dev_count_avail());
		return -1;
	}
	ret = rte_eth_dev_info_get(port, &info);
	if (ret != 0) {
		fprintf(stderr, "pktcheck: port %u: cannot get device info: %s\n", port,
			strerror(-ret));
		return -1;
	}
	if (opt->nb_queues > info.max_rx_queues || opt->nb_queues > info.max_tx_queues) {
		fprintf(stderr, "pktcheck: port %u (%s) has at most %u RX / %u TX queues, %u asked\n",
			port, info.driver_name, info.max_rx_queues, info.max_tx_queues,
			opt->nb_queues);
		return -1;
	}
	if (mtu == 0) {
		mtu = RTE_MAX(max_frame - RTE_ETHER_HDR_LEN, (uint32_t)RTE_ETHER_MTU);
		/* Some PMDs (memif) take chained frames above the MTU they admit. */
		if (mtu > mtu_limit(&info)) {
			printf("pktcheck: port %u (%s): MTU %u not offered, using %u\n", port,
			       info.driver_name, mtu, mtu_limit(&info));
			mtu = mtu_limit(&info);
		}
	}
	if (mtu > info.max_mtu) {
		fprintf(stderr, "pktcheck: port %u (%s): MTU %u above the maximum %u\n", port,
			info.driver_name, mtu, info.max_mtu);
		return -1;
	}

	memset(&conf, 0, sizeof(conf));
	conf.rxmode.mtu = mtu;
	if (max_frame > pktcheck_pool_data_room(pool) &&
	    (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER))
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;

	ret = rte_eth_dev_configure(port, opt->nb_queues, opt->nb_queues, &conf);
	if (ret != 0) {
		fprintf(stderr, "pktcheck: port %u (%s): configure with %u queues, MTU %u: %s\n",
			port, info.driver_name, opt->nb_queues, mtu, strerror(-ret));
		return -1;
	}
	ret = rte_eth_dev_adjust_nb_rx_tx_desc(port, &nb_rxd, &nb_txd);
	if (ret != 0) {
		fprintf(stderr, "pktcheck: port %u: descriptor counts: %s\n", port, strerror(-ret));
		return -1;
	}
	for (q = 0; q < opt->nb_queues; q++) {
		ret = rte_eth_rx_queue_setup(port, q, nb_rxd, socket, NULL, pool);
		if (ret != 0) {
			fprintf(stderr, "pktcheck: port %u: RX queue %u setup: %s\n", port, q,
				strerror(-ret));
			return -1;
		}
		ret = rte_eth_tx_queue_setup(port, q, nb_txd, socket, NULL);
		if (ret != 0) {
			fprintf(stderr, "pktcheck: port %u: TX queue %u setup: %s\n", port, q,
				strerror(-ret));
			return -1;
		}
	}
	ret = rte_eth_dev_start(port);
	if (ret != 0) {
		fprintf(stderr, "pktcheck: port %u: start: %s\n", port, strerror(-ret));
		return -1;
	}
	printf("pktcheck: port %u (%s) started: %u queue pairs, MTU %u, rx scatter %s\n", port,
	       info.driver_name, opt->nb_queues, mtu,
	       (conf.rxmode.offloads & RTE_ETH_RX_OFFLOAD_SCATTER) ? "on" : "off");
	return 0;
}

int
pktcheck_port_wait_link(uint16_t port, double seconds, volatile bool *quit)
{
	struct rte_eth_link link;
	uint64_t deadline = rte_get_timer_cycles() + (uint64_t)(seconds * rte_get_timer_hz());

	do {
		memset(&link, 0, sizeof(link));
		if (rte_eth_link_get_nowait(port, &link) == 0 && link.link_status)
			return 0;
		rte_delay_ms(10);
	} while (!*quit && rte_get_timer_cycles() < deadline);
	return -1;
}

void
pktcheck_port_close(uint16_t port)
{
	int ret = rte_eth_dev_stop(port);

	if (ret != 0)
		fprintf(stderr, "pktcheck: port %u: stop: %s\n", port, strerror(-ret));
	rte_eth_dev_close(port);
}

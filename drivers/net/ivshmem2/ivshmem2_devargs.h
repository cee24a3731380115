/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

#ifndef _IVSHMEM2_DEVARGS_H_
#define _IVSHMEM2_DEVARGS_H_

/*
 * Device arguments of both attachments, each key defined once: its name,
 * the values it takes (for RTE_PMD_REGISTER_PARAM_STRING and the error
 * text) and its setter live together in ivshmem2_devargs.c.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/un.h>

#include <rte_ether.h>

#define ETH_IVSHMEM2_SOCKET_ARG		"socket"
#define ETH_IVSHMEM2_PEER_ARG		"peer"
#define ETH_IVSHMEM2_MAC_ARG		"mac"
#define ETH_IVSHMEM2_ZC_ARG		"zero-copy"
#define ETH_IVSHMEM2_TX_POOL_ARG	"tx-pool"

#define ETH_IVSHMEM2_SOCKET_VALUES	"<path>"
#define ETH_IVSHMEM2_PEER_VALUES	"<0..1023|all>"
#define ETH_IVSHMEM2_MAC_VALUES		"<xx:xx:xx:xx:xx:xx>"
#define ETH_IVSHMEM2_ZC_VALUES		"<yes|no>"
#define ETH_IVSHMEM2_TX_POOL_VALUES	"<0..N>"

/* Keys of both attachments, for RTE_PMD_REGISTER_PARAM_STRING. */
#define ETH_IVSHMEM2_COMMON_PARAMS \
	ETH_IVSHMEM2_PEER_ARG "=" ETH_IVSHMEM2_PEER_VALUES " " \
	ETH_IVSHMEM2_MAC_ARG "=" ETH_IVSHMEM2_MAC_VALUES " " \
	ETH_IVSHMEM2_ZC_ARG "=" ETH_IVSHMEM2_ZC_VALUES " " \
	ETH_IVSHMEM2_TX_POOL_ARG "=" ETH_IVSHMEM2_TX_POOL_VALUES
/* Keys of the vdev attachment. */
#define ETH_IVSHMEM2_VDEV_PARAMS \
	ETH_IVSHMEM2_SOCKET_ARG "=" ETH_IVSHMEM2_SOCKET_VALUES " " ETH_IVSHMEM2_COMMON_PARAMS

#define ETH_IVSHMEM2_PEER_AUTO		(-1)	/* the other peer, or one port per peer */

/* Which attachment parses: the vdev also takes (and needs) the socket. */
enum ivshmem2_args_scope {
	IVSHMEM2_ARGS_PCI,
	IVSHMEM2_ARGS_VDEV,
};

struct ivshmem2_args {
	char socket[sizeof(((struct sockaddr_un *)0)->sun_path)];	/**< vdev only */
	int32_t peer;			/**< remote peer ID or ETH_IVSHMEM2_PEER_AUTO */
	bool mac_set;
	struct rte_ether_addr mac;
	bool zero_copy;			/**< rx hands out read-only external buffers */
	uint32_t tx_pool;		/**< mbufs of the section's zero-copy pool; 0: none */
};

/**
 * Parse @devargs (may be NULL or empty) of device @name into @args, after
 * setting the defaults. Every error is logged with the key, the value and
 * what would be valid.
 * @return 0 or -EINVAL.
 */
int ivshmem2_args_parse(const char *devargs, enum ivshmem2_args_scope scope, const char *name,
			struct ivshmem2_args *args);

#endif /* _IVSHMEM2_DEVARGS_H_ */

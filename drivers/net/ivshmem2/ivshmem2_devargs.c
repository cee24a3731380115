/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/* Device arguments: one table holds every key, its values and its setter. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_kvargs.h>
#include <rte_mbuf.h>
#include <rte_string_fns.h>

#include <ivshmem2/net.h>
#include <ivshmem2/shmem.h>

#include "ivshmem2_devargs.h"
#include "ivshmem2_logs.h"

static int
ivshmem2_set_socket(const char *key, const char *value, void *extra_args)
{
	struct ivshmem2_args *args = extra_args;

	if (value[0] == '\0' || strlen(value) >= sizeof(args->socket)) {
		IVSHMEM2_LOG(ERR, "invalid %s=%s: a UNIX socket path of 1..%zu bytes", key, value,
			     sizeof(args->socket) - 1);
		return -EINVAL;
	}
	strlcpy(args->socket, value, sizeof(args->socket));
	return 0;
}

static int
ivshmem2_set_peer(const char *key, const char *value, void *extra_args)
{
	struct ivshmem2_args *args = extra_args;
	unsigned long v;
	char *end;

	if (strcmp(value, "all") == 0 || strcmp(value, "auto") == 0) {
		args->peer = ETH_IVSHMEM2_PEER_AUTO;
		return 0;
	}
	errno = 0;
	v = strtoul(value, &end, 10);
	if (errno != 0 || end == value || *end != '\0' || value[0] == '-' ||
	    v >= IVSHMEM2_STATE_TABLE_MAX_PEERS) {
		IVSHMEM2_LOG(ERR, "invalid %s=%s: a peer ID 0..%u or 'all'", key, value,
			     IVSHMEM2_STATE_TABLE_MAX_PEERS - 1);
		return -EINVAL;
	}
	args->peer = (int32_t)v;
	return 0;
}

static int
ivshmem2_set_mac(const char *key, const char *value, void *extra_args)
{
	struct ivshmem2_args *args = extra_args;

	if (rte_ether_unformat_addr(value, &args->mac) != 0 || strlen(value) != 17 ||
	    rte_is_multicast_ether_addr(&args->mac) || rte_is_zero_ether_addr(&args->mac)) {
		IVSHMEM2_LOG(ERR, "invalid %s=%s: a unicast address xx:xx:xx:xx:xx:xx", key, value);
		return -EINVAL;
	}
	args->mac_set = true;
	return 0;
}

static int
ivshmem2_set_zero_copy(const char *key, const char *value, void *extra_args)
{
	struct ivshmem2_args *args = extra_args;

	if (strcmp(value, "yes") == 0) {
		args->zero_copy = true;
	} else if (strcmp(value, "no") == 0) {
		args->zero_copy = false;
	} else {
		IVSHMEM2_LOG(ERR, "invalid %s=%s: yes or no", key, value);
		return -EINVAL;
	}
	return 0;
}

/* Mbufs of the default data room the largest pool area (4 GiB) could hold. */
#define IVSHMEM2_TX_POOL_ARG_MAX	(IVSHMEM2_NET_POOL_MAX / RTE_MBUF_DEFAULT_BUF_SIZE)

static int
ivshmem2_set_tx_pool(const char *key, const char *value, void *extra_args)
{
	struct ivshmem2_args *args = extra_args;
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(value, &end, 10);
	if (errno != 0 || end == value || *end != '\0' || value[0] == '-' ||
	    v > IVSHMEM2_TX_POOL_ARG_MAX) {
		IVSHMEM2_LOG(ERR, "invalid %s=%s: a number of mbufs 0..%u (0: no pool); "
			     "the section's pool area limits it further", key, value,
			     (unsigned int)IVSHMEM2_TX_POOL_ARG_MAX);
		return -EINVAL;
	}
	args->tx_pool = (uint32_t)v;
	return 0;
}

static const struct ivshmem2_devarg {
	const char *key;
	const char *values;
	bool vdev_only;
	arg_handler_t set;
} ivshmem2_devargs[] = {
	{ ETH_IVSHMEM2_SOCKET_ARG, ETH_IVSHMEM2_SOCKET_VALUES, true, ivshmem2_set_socket },
	{ ETH_IVSHMEM2_PEER_ARG, ETH_IVSHMEM2_PEER_VALUES, false, ivshmem2_set_peer },
	{ ETH_IVSHMEM2_MAC_ARG, ETH_IVSHMEM2_MAC_VALUES, false, ivshmem2_set_mac },
	{ ETH_IVSHMEM2_ZC_ARG, ETH_IVSHMEM2_ZC_VALUES, false, ivshmem2_set_zero_copy },
	{ ETH_IVSHMEM2_TX_POOL_ARG, ETH_IVSHMEM2_TX_POOL_VALUES, false, ivshmem2_set_tx_pool },
};

static bool
devarg_in_scope(const struct ivshmem2_devarg *d, enum ivshmem2_args_scope scope)
{
	return !d->vdev_only || scope == IVSHMEM2_ARGS_VDEV;
}

/* "key=<values>, ..." of the keys valid in @scope, for the error text. */
static void
valid_keys_text(enum ivshmem2_args_scope scope, char *buf, size_t size)
{
	size_t i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < RTE_DIM(ivshmem2_devargs) && len < size; i++) {
		const struct ivshmem2_devarg *d = &ivshmem2_devargs[i];

		if (devarg_in_scope(d, scope))
			len += snprintf(buf + len, size - len, "%s%s=%s", len > 0 ? ", " : "",
					d->key, d->values);
	}
}

int
ivshmem2_args_parse(const char *devargs, enum ivshmem2_args_scope scope, const char *name,
		    struct ivshmem2_args *args)
{
	const char *valid[RTE_DIM(ivshmem2_devargs) + 1];
	struct rte_kvargs *kvlist = NULL;
	size_t i, n = 0;
	char text[256];
	int ret = 0;

	memset(args, 0, sizeof(*args));
	args->peer = ETH_IVSHMEM2_PEER_AUTO;
	for (i = 0; i < RTE_DIM(ivshmem2_devargs); i++)
		if (devarg_in_scope(&ivshmem2_devargs[i], scope))
			valid[n++] = ivshmem2_devargs[i].key;
	valid[n] = NULL;

	if (devargs != NULL && devargs[0] != '\0') {
		kvlist = rte_kvargs_parse(devargs, valid);
		if (kvlist == NULL) {
			valid_keys_text(scope, text, sizeof(text));
			IVSHMEM2_LOG(ERR, "%s: invalid devargs '%s'; valid: %s", name, devargs, text);
			return -EINVAL;
		}
		for (i = 0; i < RTE_DIM(ivshmem2_devargs) && ret == 0; i++)
			if (devarg_in_scope(&ivshmem2_devargs[i], scope))
				ret = rte_kvargs_process(kvlist, ivshmem2_devargs[i].key,
							 ivshmem2_devargs[i].set, args);
		rte_kvargs_free(kvlist);
		if (ret != 0)
			return -EINVAL;
	}
	if (args->zero_copy && args->tx_pool != 0) {
		IVSHMEM2_LOG(ERR, "%s: %s=%u needs %s=no: zero-copy rx hands out read-only ring "
			     "buffers, so received frames cannot be forwarded from the pool",
			     name, ETH_IVSHMEM2_TX_POOL_ARG, args->tx_pool, ETH_IVSHMEM2_ZC_ARG);
		return -EINVAL;
	}
	if (scope == IVSHMEM2_ARGS_VDEV && args->socket[0] == '\0') {
		IVSHMEM2_LOG(ERR, "%s: missing %s=<path of the ivshmem2-server socket>", name,
			     ETH_IVSHMEM2_SOCKET_ARG);
		return -EINVAL;
	}
	return 0;
}

/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/*
 * The buffer map of a zero-copy tx pool (struct ivshmem2_pool_map): which
 * mbuf owns each buffer of the pool area. Built once with the pool.
 */

#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "ivshmem2_rxtx.h"

struct pool_map_fill {
	struct ivshmem2_pool_map *map;
	uintptr_t area;
};

static void
pool_map_obj(struct rte_mempool *mp __rte_unused, void *opaque, void *obj,
	     unsigned int idx __rte_unused)
{
	struct pool_map_fill *fill = opaque;
	struct rte_mbuf *m = obj;
	uint32_t b = (uint32_t)(((uintptr_t)m->buf_addr - fill->area) / fill->map->elt);

	if (b < fill->map->nb)
		fill->map->mbuf[b] = m;
}

struct ivshmem2_pool_map *
ivshmem2_pool_map_create(struct rte_mempool *mp, uintptr_t area, uint32_t elt, uint32_t n,
			 int socket)
{
	struct ivshmem2_pool_map *map;
	struct pool_map_fill fill;
	uint32_t b;

	map = rte_zmalloc_socket("ivshmem2_pool_map", sizeof(*map) + (size_t)n *
				 (sizeof(map->mbuf[0]) + sizeof(map->posting[0])),
				 RTE_CACHE_LINE_SIZE, socket);
	if (map == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	map->elt = elt;
	map->elt_div = rte_reciprocal_value(elt);
	map->nb = n;
	map->posting = (uint64_t *)(map + 1);
	map->mbuf = (struct rte_mbuf **)(map->posting + n);
	fill.map = map;
	fill.area = area;
	rte_mempool_obj_iter(mp, pool_map_obj, &fill);
	for (b = 0; b < n; b++) {
		if (map->mbuf[b] == NULL) {
			/* Not the layout rte_pktmbuf_pool_create_extbuf() gives: no take-back. */
			rte_free(map);
			rte_errno = EINVAL;
			return NULL;
		}
	}
	return map;
}

/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/*
 * Zero-copy tx pool: an mbuf pool whose data buffers are the pool area of
 * the own output section (net.h). The tx burst posts a segment of it as a
 * POOL descriptor and holds it until the consumer's head passed it.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include <ethdev_driver.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "ivshmem2_logs.h"
#include "ivshmem2_pool.h"
#include "ivshmem2_port.h"

/* Per-lcore cache of a pool the tx-pool devarg creates. */
#define IVSHMEM2_TX_POOL_CACHE	512u

void
ivshmem2_pool_txq_attach(struct ivshmem2_txq *q, const struct ivshmem2_hw *hw)
{
	if (q == NULL || hw->tx_pool == NULL)
		return;
	q->pool_base = hw->tx_pool_base;
	q->pool_size = hw->tx_pool_size;
	q->pool_map = hw->tx_pool_map;
	/* Last: a burst running meanwhile sees the pool only with its area. */
	__atomic_store_n(&q->pool, hw->tx_pool, __ATOMIC_RELEASE);
}

void
ivshmem2_pool_rxq_attach(struct ivshmem2_rxq *q, const struct ivshmem2_hw *hw)
{
	if (q != NULL && hw->tx_pool_map != NULL)
		__atomic_store_n(&q->pool_map, hw->tx_pool_map, __ATOMIC_RELEASE);
}

static void
port_queues_attach(struct rte_eth_dev *dev, const struct ivshmem2_hw *hw)
{
	uint16_t q;

	for (q = 0; q < dev->data->nb_tx_queues; q++)
		ivshmem2_pool_txq_attach(dev->data->tx_queues[q], hw);
	for (q = 0; q < dev->data->nb_rx_queues; q++)
		ivshmem2_pool_rxq_attach(dev->data->rx_queues[q], hw);
}

/* Buffers of @data_room_size bytes the pool area of @hw's section holds. */
static uint32_t
pool_capacity(const struct ivshmem2_hw *hw, uint16_t data_room_size)
{
	uint32_t elt = RTE_ALIGN_CEIL((uint32_t)data_room_size, RTE_CACHE_LINE_SIZE);

	return elt == 0 ? 0 : (uint32_t)(hw->net.pool_size / elt);
}

static struct rte_mempool *
pool_create(struct rte_eth_dev *dev, const char *name, unsigned int n, unsigned int cache_size,
	    uint16_t priv_size, uint16_t data_room_size)
{
	struct ivshmem2_hw *hw = ivshmem2_port_hw(dev);
	uint32_t elt = RTE_ALIGN_CEIL((uint32_t)data_room_size, RTE_CACHE_LINE_SIZE);
	struct ivshmem2_pool_map *map;
	struct rte_pktmbuf_extmem ext;
	struct rte_mempool *mp;
	uint8_t *area;
	uint32_t fit;

	if (hw == NULL || !hw->connected || hw->base == NULL) {
		IVSHMEM2_LOG(ERR, "port %u: not connected to its group: no section for a pool",
			     dev->data->port_id);
		rte_errno = EAGAIN;
		return NULL;
	}
	if (n == 0 || data_room_size <= RTE_PKTMBUF_HEADROOM) {
		IVSHMEM2_LOG(ERR, "port %u: pool of %u mbufs of %u bytes: need n > 0 and a data "
			     "room above the headroom (%u)", dev->data->port_id, n,
			     data_room_size, RTE_PKTMBUF_HEADROOM);
		rte_errno = EINVAL;
		return NULL;
	}
	fit = pool_capacity(hw, data_room_size);
	if (n > fit) {
		IVSHMEM2_LOG(ERR, "port %u: the pool area of the section (%" PRIu64 " bytes) holds "
			     "at most %u buffers of %u bytes, %u asked: ask for fewer, or give the "
			     "group larger output sections (ivshmem2-server -o)",
			     dev->data->port_id, hw->net.pool_size, fit, elt, n);
		rte_errno = ENOSPC;
		return NULL;
	}
	area = ivshmem2_hw_section(hw, hw->id) + hw->net.pool_offset;
	ext.buf_ptr = area;
	/* No DMA: the address only, where it is one. */
	ext.buf_iova = rte_eal_iova_mode() == RTE_IOVA_VA ? (rte_iova_t)(uintptr_t)area :
							    RTE_BAD_IOVA;
	ext.buf_len = (size_t)n * elt;
	ext.elt_size = (uint16_t)elt;
	mp = rte_pktmbuf_pool_create_extbuf(name, n, cache_size, priv_size, data_room_size,
					    hw->numa_node == SOCKET_ID_ANY ? (int)rte_socket_id() :
					    hw->numa_node, &ext, 1);
	if (mp == NULL) {
		IVSHMEM2_LOG(ERR, "port %u: pool %s: %s", dev->data->port_id, name,
			     rte_strerror(rte_errno));
		return NULL;
	}
	map = ivshmem2_pool_map_create(mp, (uintptr_t)area, elt, n, hw->numa_node);
	if (map == NULL)
		IVSHMEM2_LOG(WARNING, "port %u: pool %s: no buffer map (%s): frames sent back "
			     "are copied", dev->data->port_id, name, rte_strerror(rte_errno));
	rte_spinlock_lock(&hw->lock);
	if (hw->tx_pool != NULL) {
		/* Another thread created one meanwhile. */
		rte_spinlock_unlock(&hw->lock);
		rte_free(map);
		rte_mempool_free(mp);
		rte_errno = EEXIST;
		return NULL;
	}
	hw->tx_pool_base = (uintptr_t)area;
	hw->tx_pool_size = (uint32_t)ext.buf_len;
	hw->tx_pool_map = map;
	hw->tx_pool = mp;
	rte_spinlock_unlock(&hw->lock);
	IVSHMEM2_LOG(INFO, "port %u: zero-copy tx pool %s: %u mbufs of %u bytes in the section's "
		     "pool area (%u fit)", dev->data->port_id, name, n, data_room_size, fit);
	return mp;
}

/* Every port of the section learns the pool, whenever it set its queues up. */
static void
section_queues_attach(struct ivshmem2_hw *hw)
{
	struct rte_eth_dev *dev;
	uint32_t peer;

	IVSHMEM2_HW_FOREACH_PORT(hw, peer, dev)
		port_queues_attach(dev, hw);
}

struct rte_mempool *
ivshmem2_pool_create(struct rte_eth_dev *dev, const char *name, unsigned int n,
		     unsigned int cache_size, uint16_t priv_size, uint16_t data_room_size)
{
	uint16_t port_id = dev->data->port_id;
	struct rte_mempool *mp;

	if (rte_eal_process_type() != RTE_PROC_PRIMARY) {
		rte_errno = ENOTSUP;
		return NULL;
	}
	if (ivshmem2_port_hw(dev) != NULL && ivshmem2_port_hw(dev)->tx_pool != NULL) {
		IVSHMEM2_LOG(ERR, "port %u: its section already has a zero-copy pool (%s)",
			     port_id, ivshmem2_port_hw(dev)->tx_pool->name);
		rte_errno = EEXIST;
		return NULL;
	}
	mp = pool_create(dev, name, n, cache_size, priv_size, data_room_size);
	if (mp != NULL)
		section_queues_attach(ivshmem2_port_hw(dev));
	return mp;
}

void
ivshmem2_pool_release(struct ivshmem2_hw *hw)
{
	unsigned int in_use;

	if (hw->tx_pool == NULL)
		return;
	in_use = rte_mempool_in_use_count(hw->tx_pool);
	if (in_use != 0) {
		/* Their data lies in the shared memory: it must stay mapped. */
		hw->zc_held = true;
		IVSHMEM2_LOG(WARNING, "pool %s: %u mbufs still in use when the last port closes; "
			     "the shared memory stays mapped", hw->tx_pool->name, in_use);
		return;
	}
	if (hw->tx_pool_owned)
		rte_mempool_free(hw->tx_pool);
	hw->tx_pool = NULL;
	rte_free(hw->tx_pool_map);
	hw->tx_pool_map = NULL;
}

int
ivshmem2_pool_port_start(struct rte_eth_dev *dev)
{
	struct ivshmem2_hw *hw = ivshmem2_port_hw(dev);
	struct ivshmem2_port *p = ivshmem2_port_priv(dev);
	uint16_t q;

	if (p->tx_pool != 0 && hw->tx_pool == NULL) {
		char name[RTE_MEMPOOL_NAMESIZE];

		snprintf(name, sizeof(name), "ivshmem2_txpool_%u", dev->data->port_id);
		if (pool_create(dev, name, p->tx_pool, RTE_MIN(IVSHMEM2_TX_POOL_CACHE,
							    p->tx_pool / 4), 0,
				RTE_MBUF_DEFAULT_BUF_SIZE) == NULL)
			return -rte_errno;
		hw->tx_pool_owned = true;
		section_queues_attach(hw);
	}
	if (p->tx_pool != 0) {
		uint32_t held_max = hw->net.ring_size * dev->data->nb_tx_queues;

		/*
		 * A forwarder frees held mbufs only in its next tx burst, which
		 * needs a received frame, which needs a free mbuf.
		 */
		if (rte_mempool_avail_count(hw->tx_pool) < 2 * held_max)
			IVSHMEM2_LOG(WARNING, "port %u: pool %s: %u mbufs free, the tx queues may "
				     "hold up to %u until the peer took them; below %u forwarding "
				     "can stall (raise tx-pool)", dev->data->port_id,
				     hw->tx_pool->name, rte_mempool_avail_count(hw->tx_pool),
				     held_max, 2 * held_max);
		/* Received into the pool: forwarding them is a POOL descriptor, not a copy. */
		for (q = 0; q < dev->data->nb_rx_queues; q++) {
			struct ivshmem2_rxq *r = dev->data->rx_queues[q];

			if (r == NULL)
				continue;
			r->mp = hw->tx_pool;
			r->data_room = rte_pktmbuf_data_room_size(hw->tx_pool) -
				       RTE_PKTMBUF_HEADROOM;
			ivshmem2_rxq_pinned_pool(r);
		}
	}
	port_queues_attach(dev, hw);
	return 0;
}

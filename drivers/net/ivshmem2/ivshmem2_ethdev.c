/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/*
 * Bus-independent ethdev part: dev_ops, queues, stats and xstats. The link
 * is ivshmem2_link.c's, the bursts ivshmem2_rx.c's and ivshmem2_tx.c's.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <ethdev_driver.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_memory.h>
#include <rte_random.h>

#include "ivshmem2_copy.h"
#include "ivshmem2_ethdev.h"
#include "ivshmem2_intr.h"
#include "ivshmem2_link.h"
#include "ivshmem2_logs.h"
#include "ivshmem2_pool.h"
#include "ivshmem2_port.h"
#include "ivshmem2_rxtx.h"
#include "ivshmem2_stats.h"
#include "rte_pmd_ivshmem2.h"

RTE_LOG_REGISTER_DEFAULT(ivshmem2_logtype, NOTICE);

/* How long dev_stop gives a live peer to take the frames already sent. */
#define IVSHMEM2_STOP_DRAIN_MS		200

/* Ethernet header + one VLAN tag: the frame/MTU overhead we account for. */
#define IVSHMEM2_FRAME_OVERHEAD		(RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN)
#define IVSHMEM2_MAX_MTU		(IVSHMEM2_NET_MAX_FRAME - IVSHMEM2_FRAME_OVERHEAD)

/* ---- dev_ops ---- */

static int
ivshmem2_dev_configure(struct rte_eth_dev *dev)
{
	struct ivshmem2_hw *hw = ivshmem2_port_hw(dev);
	struct rte_eth_conf *conf = &dev->data->dev_conf;

	if (conf->intr_conf.rxq &&
	    hw->vectors < IVSHMEM2_NET_VECTOR_RXQ_BASE + dev->data->nb_rx_queues) {
		IVSHMEM2_LOG(ERR, "rx interrupts for %u queues need %u vectors, the group has %u",
			     dev->data->nb_rx_queues,
			     IVSHMEM2_NET_VECTOR_RXQ_BASE + dev->data->nb_rx_queues, hw->vectors);
		return -EINVAL;
	}
	return 0;
}

static int
ivshmem2_dev_start(struct rte_eth_dev *dev)
{
	struct ivshmem2_hw *hw = ivshmem2_port_hw(dev);
	uint16_t q;
	int ret;

	ret = ivshmem2_pool_port_start(dev);
	if (ret != 0)
		return ret;
	if (dev->data->dev_conf.intr_conf.rxq) {
		ret = ivshmem2_intr_rxq_setup(hw, dev->intr_handle, dev->data->nb_rx_queues);
		if (ret != 0) {
			IVSHMEM2_LOG(ERR, "port %u: rx interrupt setup failed: %s",
				     dev->data->port_id, strerror(-ret));
			return ret;
		}
	}
	for (q = 0; q < dev->data->nb_rx_queues; q++)
		dev->data->rx_queue_state[q] = RTE_ETH_QUEUE_STATE_STARTED;
	for (q = 0; q < dev->data->nb_tx_queues; q++)
		dev->data->tx_queue_state[q] = RTE_ETH_QUEUE_STATE_STARTED;
	ivshmem2_link_start(dev);
	return 0;
}

/*
 * Frames accepted by tx_burst are counted as sent: give the peer a moment
 * to consume them before the link goes down and it discards the rest.
 * The application no longer bursts on a port it stops, so the queues are ours.
 */
static void
ivshmem2_tx_drain(struct rte_eth_dev *dev)
{
	uint64_t deadline = rte_get_timer_cycles() +
			    rte_get_timer_hz() / 1000 * IVSHMEM2_STOP_DRAIN_MS;
	uint32_t left = 0;
	uint16_t q;

	for (q = 0; q < dev->data->nb_tx_queues; q++) {
		const struct ivshmem2_txq *txq = dev->data->tx_queues[q];

		if (txq == NULL)
			continue;
		while ((left = ivshmem2_txq_pending(txq)) != 0 &&
		       rte_get_timer_cycles() < deadline)
			rte_delay_us_sleep(100);
		if (left != 0)
			IVSHMEM2_LOG(NOTICE, "port %u: stopped with %u frames on tx queue %u "
				     "not taken by the peer", dev->data->port_id, left, q);
	}
}

static int
ivshmem2_dev_stop(struct rte_eth_dev *dev)
{
	struct ivshmem2_hw *hw = ivshmem2_port_hw(dev);
	uint16_t q;

	ivshmem2_tx_drain(dev);
	ivshmem2_link_stop(dev);
	/* The peer no longer reads: pool segments still posted go back to the pool. */
	for (q = 0; q < dev->data->nb_tx_queues; q++)
		if (dev->data->tx_queues[q] != NULL)
			ivshmem2_txq_held_release(dev->data->tx_queues[q]);

	if (dev->data->dev_conf.intr_conf.rxq)
		ivshmem2_intr_rxq_teardown(hw, dev->intr_handle);
	for (q = 0; q < dev->data->nb_rx_queues; q++)
		dev->data->rx_queue_state[q] = RTE_ETH_QUEUE_STATE_STOPPED;
	for (q = 0; q < dev->data->nb_tx_queues; q++)
		dev->data->tx_queue_state[q] = RTE_ETH_QUEUE_STATE_STOPPED;
	dev->data->dev_started = 0;
	return 0;
}

static void
ivshmem2_rx_queue_release(struct rte_eth_dev *dev, uint16_t qid)
{
	struct ivshmem2_rxq *q = dev->data->rx_queues[qid];

	uint64_t held;

	if (q == NULL)
		return;
	held = ivshmem2_rxq_zc_release(q);
	if (held != 0) {
		/* Their data lies in the shared memory: it must stay mapped. */
		ivshmem2_port_hw(dev)->zc_held = true;
		IVSHMEM2_LOG(WARNING, "port %u: rx queue %u released while the application "
			     "holds %" PRIu64 " zero-copy buffers; they stay valid",
			     dev->data->port_id, qid, held);
	}
	rte_free(q);
	dev->data->rx_queues[qid] = NULL;
}

static void
ivshmem2_tx_queue_release(struct rte_eth_dev *dev, uint16_t qid)
{
	if (dev->data->tx_queues[qid] != NULL)
		ivshmem2_txq_held_release(dev->data->tx_queues[qid]);
	rte_free(dev->data->tx_queues[qid]);
	dev->data->tx_queues[qid] = NULL;
}

/* This process lets go of a port; the last one releases the attachment. */
static void
port_detach(struct rte_eth_dev *dev)
{
	struct ivshmem2_hw *hw = ivshmem2_port_hw(dev);
	bool last;

	rte_spinlock_lock(&hw->lock);
	if (rte_eal_process_type() == RTE_PROC_PRIMARY) {
		uint32_t remote = ivshmem2_port_priv(dev)->remote;

		if (remote < hw->max_peers && hw->port_of_peer[remote] == dev->data->port_id)
			hw->port_of_peer[remote] = IVSHMEM2_PORT_NONE;
	}
	last = --hw->nb_ports == 0;
	rte_spinlock_unlock(&hw->lock);
	dev->process_private = NULL;
	if (last) {
		if (rte_eal_process_type() == RTE_PROC_PRIMARY)
			ivshmem2_pool_release(hw);
		IVSHMEM2_OPS(hw)->close(hw);
	}
}

static int
ivshmem2_dev_close(struct rte_eth_dev *dev)
{
	uint16_t q;

	if (ivshmem2_port_hw(dev) == NULL)
		return 0;
	/* The port's queues and state belong to the primary: a secondary only lets go. */
	if (rte_eal_process_type() == RTE_PROC_PRIMARY) {
		if (ivshmem2_port_priv(dev)->started)
			ivshmem2_dev_stop(dev);
		for (q = 0; q < dev->data->nb_rx_queues; q++)
			ivshmem2_rx_queue_release(dev, q);
		for (q = 0; q < dev->data->nb_tx_queues; q++)
			ivshmem2_tx_queue_release(dev, q);
		/* mac_addrs points into dev_private: rte_eth_dev_release_port must not free it. */
		dev->data->mac_addrs = NULL;
		rte_intr_instance_free(dev->intr_handle);
		dev->intr_handle = NULL;
	}
	port_detach(dev);
	return 0;
}

static int
ivshmem2_dev_infos_get(struct rte_eth_dev *dev, struct rte_eth_dev_info *info)
{
	struct ivshmem2_hw *hw = ivshmem2_port_hw(dev);

	info->max_mac_addrs = 1;
	info->max_rx_pktlen = IVSHMEM2_NET_MAX_FRAME;
	info->min_mtu = RTE_ETHER_MIN_MTU;
	info->max_mtu = IVSHMEM2_MAX_MTU;
	info->min_rx_bufsize = 0;
	info->max_rx_queues = hw->net.queues;
	info->max_tx_queues = hw->net.queues;
	info->rx_offload_capa = RTE_ETH_RX_OFFLOAD_SCATTER;
	info->tx_offload_capa = RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	/*
	 * The shared layout fixes every ring's size: more cannot be had, and a
	 * smaller request gets the whole ring (rxq/txq_info_get tell its size).
	 */
	info->rx_desc_lim.nb_max = hw->net.ring_size;
	info->rx_desc_lim.nb_min = 1;
	info->rx_desc_lim.nb_align = 1;
	info->tx_desc_lim = info->rx_desc_lim;
	info->default_rxportconf.ring_size = hw->net.ring_size;
	info->default_txportconf.ring_size = hw->net.ring_size;
	info->default_rxportconf.nb_queues = 1;
	info->default_txportconf.nb_queues = 1;
	info->speed_capa = RTE_ETH_LINK_SPEED_10G;
	return 0;
}

static int
ivshmem2_link_update(struct rte_eth_dev *dev, int wait_to_complete __rte_unused)
{
	/*
	 * The link belongs to the primary, which keeps dev->data->dev_link
	 * current; a secondary running the handshake would write the port's
	 * shared state and its own section behind the primary's back.
	 */
	if (rte_eal_process_type() == RTE_PROC_PRIMARY)
		ivshmem2_link_check(ivshmem2_port_hw(dev));
	return 0;
}

static int
ivshmem2_rx_queue_setup(struct rte_eth_dev *dev, uint16_t qid, uint16_t nb_desc __rte_unused,
			unsigned int socket_id __rte_unused,
			const struct rte_eth_rxconf *conf __rte_unused, struct rte_mempool *mp)
{
	struct ivshmem2_hw *hw = ivshmem2_port_hw(dev);
	struct ivshmem2_port *p = ivshmem2_port_priv(dev);
	struct ivshmem2_rxq *q;

	ivshmem2_rx_queue_release(dev, qid);
	q = rte_zmalloc_socket("ivshmem2_rxq", sizeof(*q), RTE_CACHE_LINE_SIZE, hw->numa_node);
	if (q == NULL)
		return -ENOMEM;
	q->mp = mp;
	q->mbuf_initializer = ivshmem2_mbuf_initializer(dev->data->port_id);
	/* A pool of pinned external buffers keeps the flag on every free mbuf. */
	if (rte_pktmbuf_priv_flags(mp) & RTE_PKTMBUF_POOL_F_PINNED_EXT_BUF)
		ivshmem2_rxq_pinned_pool(q);	/* such as a tx pool */
	q->data_room = rte_pktmbuf_data_room_size(mp) - RTE_PKTMBUF_HEADROOM;
	q->link_gen = &p->link.gen;
	q->map_gen = &p->map_gen;
	q->gen = IVSHMEM2_GEN_NONE;
	q->ring_size = hw->net.ring_size;
	q->queue_id = qid;
	q->port_id = dev->data->port_id;
	q->vector = IVSHMEM2_NET_VECTOR_RXQ_BASE + qid;
	q->nombuf = &dev->data->rx_mbuf_alloc_failed;
	q->zero_copy = p->zero_copy;
	q->iova_is_va = rte_eal_iova_mode() == RTE_IOVA_VA;
	q->port_data = dev->data;
	ivshmem2_pool_rxq_attach(q, hw);
	if (q->zero_copy) {
		if (ivshmem2_rxq_zc_alloc(q, hw->numa_node) != 0) {
			rte_free(q);
			return -ENOMEM;
		}
		if (!hw->extmem_registered) {
			/* Once per mapping, so that rte_mem_virt2memseg() knows the slots. */
			int ret = rte_extmem_register(hw->base, hw->shm.shm_size, NULL, 0,
						      hw->page_size);

			if (ret != 0 && rte_errno != EEXIST)
				IVSHMEM2_LOG(WARNING, "rte_extmem_register: %s",
					     rte_strerror(rte_errno));
			else
				hw->extmem_registered = true;
		}
	}
	dev->data->rx_queues[qid] = q;
	return 0;
}

static int
ivshmem2_tx_queue_setup(struct rte_eth_dev *dev, uint16_t qid, uint16_t nb_desc __rte_unused,
			unsigned int socket_id __rte_unused,
			const struct rte_eth_txconf *conf __rte_unused)
{
	struct ivshmem2_hw *hw = ivshmem2_port_hw(dev);
	struct ivshmem2_port *p = ivshmem2_port_priv(dev);
	struct ivshmem2_txq *q;
	const char *why;

	ivshmem2_tx_queue_release(dev, qid);
	/* With the pool segments each entry may hold (zero-copy tx). */
	q = rte_zmalloc_socket("ivshmem2_txq", sizeof(*q) + hw->net.ring_size * sizeof(q->held[0]),
			       RTE_CACHE_LINE_SIZE, hw->numa_node);
	if (q == NULL)
		return -ENOMEM;
	q->held = (struct rte_mbuf **)(q + 1);
	q->link_gen = &p->link.gen;
	q->map_gen = &p->map_gen;
	q->gen = IVSHMEM2_GEN_NONE;
	q->ring_size = hw->net.ring_size;
	q->remote = p->remote;
	q->vectors = hw->vectors;
	q->queue_id = qid;
	q->port_id = dev->data->port_id;
	q->returns = p->zero_copy;
	rte_spinlock_init(&q->held_lock);
	/* Once per queue, never per packet; the kind, not a pointer: secondaries share q. */
	q->copy = ivshmem2_copy_select(&why);
	IVSHMEM2_LOG(INFO, "port %u txq %u: slot copy %s (%s)", dev->data->port_id, qid,
		     ivshmem2_copy_name(q->copy), why);
	ivshmem2_pool_txq_attach(q, hw);
	dev->data->tx_queues[qid] = q;
	return 0;
}

static int
ivshmem2_mtu_set(struct rte_eth_dev *dev, uint16_t mtu)
{
	if (mtu < RTE_ETHER_MIN_MTU || mtu > IVSHMEM2_MAX_MTU) {
		IVSHMEM2_LOG(ERR, "MTU %u out of range %u..%u", mtu, RTE_ETHER_MIN_MTU,
			     IVSHMEM2_MAX_MTU);
		return -EINVAL;
	}
	ivshmem2_link_mtu_set(dev, mtu);
	return 0;
}

static int
ivshmem2_promiscuous_noop(struct rte_eth_dev *dev __rte_unused)
{
	return 0;	/* point to point: every frame of the peer is delivered */
}

static int
ivshmem2_mac_addr_set(struct rte_eth_dev *dev, struct rte_ether_addr *addr)
{
	rte_ether_addr_copy(addr, &ivshmem2_port_priv(dev)->mac);
	return 0;
}

static int
ivshmem2_rx_queue_intr_enable(struct rte_eth_dev *dev, uint16_t qid)
{
	struct ivshmem2_hw *hw = ivshmem2_port_hw(dev);
	struct ivshmem2_rxq *q = dev->data->rx_queues[qid];

	if (q == NULL)
		return -EINVAL;
	/* Data already there: raise our own vector so the caller does not sleep. */
	if (ivshmem2_rxq_wake_set(q, true))
		IVSHMEM2_OPS(hw)->notify(hw, hw->id, q->vector);
	return 0;
}

static int
ivshmem2_rx_queue_intr_disable(struct rte_eth_dev *dev, uint16_t qid)
{
	struct ivshmem2_rxq *q = dev->data->rx_queues[qid];

	if (q == NULL)
		return -EINVAL;
	ivshmem2_rxq_wake_set(q, false);
	return 0;
}

static uint32_t
ivshmem2_rx_queue_count(void *rxq)
{
	return ivshmem2_rxq_pending(rxq);
}

static int
ivshmem2_monitor_callback(const uint64_t value,
			  const uint64_t opaque[RTE_POWER_MONITOR_OPAQUE_SZ])
{
	/* Abort the sleep if the producer's tail moved since we looked. */
	return value != opaque[0] ? -1 : 0;
}

static int
ivshmem2_get_monitor_addr(void *rxq, struct rte_power_monitor_cond *pmc)
{
	struct ivshmem2_rxq *q = rxq;
	uint32_t gen = __atomic_load_n(q->link_gen, __ATOMIC_ACQUIRE);

	pmc->size = sizeof(uint32_t);
	pmc->fn = ivshmem2_monitor_callback;
	if (q->gen != gen || q->nb_src == 0) {
		/*
		 * No rings of this generation taken yet: watch the link instead.
		 * Up: it changed since the last poll, so do not sleep at all.
		 * Down: sleep until it changes.
		 */
		pmc->addr = (volatile void *)(uintptr_t)q->link_gen;
		pmc->opaque[0] = ivshmem2_gen_up(gen) ? q->gen : gen;
		return 0;
	}
	/* The first ring only: with several rings per queue, others wake on the next poll. */
	pmc->addr = (volatile void *)(uintptr_t)q->src[0].ring.peer_tail;
	pmc->opaque[0] = q->src[0].rd;
	return 0;
}

static const struct eth_dev_ops ivshmem2_eth_dev_ops = {
	.dev_configure = ivshmem2_dev_configure,
	.dev_start = ivshmem2_dev_start,
	.dev_stop = ivshmem2_dev_stop,
	.dev_close = ivshmem2_dev_close,
	.dev_infos_get = ivshmem2_dev_infos_get,
	.link_update = ivshmem2_link_update,
	.promiscuous_enable = ivshmem2_promiscuous_noop,
	.promiscuous_disable = ivshmem2_promiscuous_noop,
	.allmulticast_enable = ivshmem2_promiscuous_noop,
	.allmulticast_disable = ivshmem2_promiscuous_noop,
	.mac_addr_set = ivshmem2_mac_addr_set,
	.mtu_set = ivshmem2_mtu_set,
	.rx_queue_setup = ivshmem2_rx_queue_setup,
	.tx_queue_setup = ivshmem2_tx_queue_setup,
	.rx_queue_release = ivshmem2_rx_queue_release,
	.tx_queue_release = ivshmem2_tx_queue_release,
	.tx_done_cleanup = ivshmem2_tx_done_cleanup,
	.rx_queue_intr_enable = ivshmem2_rx_queue_intr_enable,
	.rx_queue_intr_disable = ivshmem2_rx_queue_intr_disable,
	.get_monitor_addr = ivshmem2_get_monitor_addr,
	.stats_get = ivshmem2_stats_get,
	.stats_reset = ivshmem2_stats_reset,
	.xstats_get = ivshmem2_xstats_get,
	.xstats_get_names = ivshmem2_xstats_get_names,
	.xstats_reset = ivshmem2_xstats_reset,
	.rxq_info_get = ivshmem2_rxq_info_get,
	.txq_info_get = ivshmem2_txq_info_get,
	.rx_burst_mode_get = ivshmem2_rx_burst_mode_get,
	.tx_burst_mode_get = ivshmem2_tx_burst_mode_get,
	.eth_dev_priv_dump = ivshmem2_priv_dump,
};

void
ivshmem2_eth_dev_attach_secondary(struct rte_eth_dev *dev, struct ivshmem2_hw *hw)
{
	dev->process_private = hw;
	dev->dev_ops = &ivshmem2_eth_dev_ops;
	dev->rx_pkt_burst = ivshmem2_rx_burst;
	dev->tx_pkt_burst = ivshmem2_tx_burst;
	dev->rx_queue_count = ivshmem2_rx_queue_count;
}

int
ivshmem2_eth_dev_init(struct rte_eth_dev *dev, struct ivshmem2_hw *hw, uint32_t remote,
		      bool auto_remote, const struct ivshmem2_args *args)
{
	struct ivshmem2_port *p = ivshmem2_port_priv(dev);

	p->remote = remote;
	p->auto_remote = auto_remote;
	p->zero_copy = args->zero_copy;
	p->tx_pool = args->tx_pool;
	p->mtu = RTE_ETHER_MTU;
	if (args->mac_set)
		rte_ether_addr_copy(&args->mac, &p->mac);
	else
		rte_eth_random_addr(p->mac.addr_bytes);

	dev->process_private = hw;
	dev->dev_ops = &ivshmem2_eth_dev_ops;
	dev->rx_pkt_burst = ivshmem2_rx_burst;
	dev->tx_pkt_burst = ivshmem2_tx_burst;
	dev->rx_queue_count = ivshmem2_rx_queue_count;
	dev->data->mac_addrs = &p->mac;
	dev->data->mtu = RTE_ETHER_MTU;
	dev->data->dev_flags |= RTE_ETH_DEV_INTR_LSC | RTE_ETH_DEV_AUTOFILL_QUEUE_XSTATS;
	dev->data->numa_node = hw->numa_node;
	dev->intr_handle = rte_intr_instance_alloc(RTE_INTR_INSTANCE_F_PRIVATE);
	if (dev->intr_handle == NULL)
		return -ENOMEM;

	rte_spinlock_lock(&hw->lock);
	if (remote < hw->max_peers)
		hw->port_of_peer[remote] = dev->data->port_id;
	hw->nb_ports++;
	rte_spinlock_unlock(&hw->lock);
	ivshmem2_link_init(dev);
	return 0;
}

bool
ivshmem2_eth_dev_is_ours(const struct rte_eth_dev *dev)
{
	return dev->dev_ops == &ivshmem2_eth_dev_ops;
}

/* Public API: which ports are ours is known here; the pool is ivshmem2_pool.c's. */
__attribute__((visibility("default"))) struct rte_mempool *
rte_pmd_ivshmem2_pktmbuf_pool_create(const char *name, unsigned int n, unsigned int cache_size,
				     uint16_t priv_size, uint16_t data_room_size,
				     uint16_t port_id)
{
	if (!rte_eth_dev_is_valid_port(port_id) ||
	    !ivshmem2_eth_dev_is_ours(&rte_eth_devices[port_id])) {
		rte_errno = ENODEV;
		return NULL;
	}
	return ivshmem2_pool_create(&rte_eth_devices[port_id], name, n, cache_size, priv_size,
				    data_room_size);
}

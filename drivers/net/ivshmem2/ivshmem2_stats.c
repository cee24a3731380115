/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/*
 * Statistics and introspection of a port. Counters are written by the one
 * lcore that bursts a queue and read here racily: they are counts. Names of
 * extended statistics follow DPDK's direction_detail_unit scheme.
 */

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <ethdev_driver.h>
#include <rte_string_fns.h>

#include "ivshmem2_port.h"
#include "ivshmem2_rxtx.h"
#include "ivshmem2_stats.h"

int
ivshmem2_stats_get(struct rte_eth_dev *dev, struct rte_eth_stats *st)
{
	uint16_t q;

	for (q = 0; q < dev->data->nb_rx_queues; q++) {
		struct ivshmem2_rxq *r = dev->data->rx_queues[q];

		if (r == NULL)
			continue;
		st->ipackets += r->pkts;
		st->ibytes += r->bytes;
		st->ierrors += r->rejected + r->bad_index;
		if (q < RTE_ETHDEV_QUEUE_STAT_CNTRS) {
			st->q_ipackets[q] = r->pkts;
			st->q_ibytes[q] = r->bytes;
			st->q_errors[q] = r->rejected + r->bad_index;
		}
	}
	for (q = 0; q < dev->data->nb_tx_queues; q++) {
		struct ivshmem2_txq *t = dev->data->tx_queues[q];

		if (t == NULL)
			continue;
		st->opackets += t->pkts;
		st->obytes += t->bytes;
		st->oerrors += t->oversize;
		if (q < RTE_ETHDEV_QUEUE_STAT_CNTRS) {
			st->q_opackets[q] = t->pkts;
			st->q_obytes[q] = t->bytes;
		}
	}
	return 0;
}

int
ivshmem2_stats_reset(struct rte_eth_dev *dev)
{
	uint16_t q;

	for (q = 0; q < dev->data->nb_rx_queues; q++) {
		struct ivshmem2_rxq *r = dev->data->rx_queues[q];

		if (r != NULL) {
			r->pkts = r->bytes = r->rejected = r->bad_index = r->mbuf_fail = 0;
			r->taken_back = 0;
		}
	}
	for (q = 0; q < dev->data->nb_tx_queues; q++) {
		struct ivshmem2_txq *t = dev->data->tx_queues[q];

		if (t != NULL) {
			t->pkts = t->bytes = t->oversize = t->ring_full = 0;
			t->doorbells = t->doorbells_suppressed = t->link_down = 0;
			t->pool_posted = 0;
			t->returned = 0;
		}
	}
	dev->data->rx_mbuf_alloc_failed = 0;
	return 0;
}

/* Port-wide extended statistics; per-queue ones follow them. */
enum ivshmem2_xstat {
	XSTAT_RX_BAD_DESC,
	XSTAT_RX_BAD_INDEX,
	XSTAT_RX_MBUF_FAIL,
	XSTAT_RX_TAKEN_BACK,
	XSTAT_TX_RING_FULL,
	XSTAT_TX_OVERSIZE,
	XSTAT_TX_DOORBELLS,
	XSTAT_TX_DOORBELLS_SUPPRESSED,
	XSTAT_TX_LINK_DOWN,
	XSTAT_TX_POOL_POSTED,
	XSTAT_TX_POOL_HELD,
	XSTAT_TX_RETURNED,
	XSTAT_LINK_UPS,
	XSTAT_HEARTBEAT_TIMEOUTS,
	XSTAT_BAD_PEER_DOWNS,
	XSTAT_RECONNECTS,
	XSTAT_COUNT,
};

static const char * const ivshmem2_xstat_names[XSTAT_COUNT] = {
	[XSTAT_RX_BAD_DESC] = "rx_bad_descriptor_errors",
	[XSTAT_RX_BAD_INDEX] = "rx_bad_index_errors",
	[XSTAT_RX_MBUF_FAIL] = "rx_mbuf_allocation_errors",
	[XSTAT_RX_TAKEN_BACK] = "rx_taken_back_packets",
	[XSTAT_TX_RING_FULL] = "tx_ring_full_packets",
	[XSTAT_TX_OVERSIZE] = "tx_oversize_dropped_packets",
	[XSTAT_TX_DOORBELLS] = "tx_doorbell_notifications",
	[XSTAT_TX_DOORBELLS_SUPPRESSED] = "tx_doorbell_suppressed_notifications",
	[XSTAT_TX_LINK_DOWN] = "tx_link_down_refused_packets",
	[XSTAT_TX_POOL_POSTED] = "tx_pool_posted_segments",
	[XSTAT_TX_POOL_HELD] = "tx_pool_held_segments",
	[XSTAT_TX_RETURNED] = "tx_returned_packets",
	[XSTAT_LINK_UPS] = "link_up_events",
	[XSTAT_HEARTBEAT_TIMEOUTS] = "link_heartbeat_timeout_events",
	[XSTAT_BAD_PEER_DOWNS] = "link_bad_peer_events",
	[XSTAT_RECONNECTS] = "link_server_reconnect_events",
};

/* Per queue: one rx counter, then two tx counters. */
#define XSTAT_RXQ_NAME	"rx_q%u_bad_descriptor_errors"
#define XSTAT_TXQ_NAMES	{ "tx_q%u_ring_full_packets", "tx_q%u_doorbell_notifications" }
#define XSTAT_PER_TXQ	2

static unsigned int
xstats_count(const struct rte_eth_dev *dev)
{
	return XSTAT_COUNT + dev->data->nb_rx_queues + XSTAT_PER_TXQ * dev->data->nb_tx_queues;
}

static void
xstats_collect(struct rte_eth_dev *dev, uint64_t *v)
{
	const struct ivshmem2_port *p = ivshmem2_port_priv(dev);
	uint16_t nb_rxq = dev->data->nb_rx_queues;
	uint16_t q;

	memset(v, 0, sizeof(uint64_t) * xstats_count(dev));
	for (q = 0; q < nb_rxq; q++) {
		const struct ivshmem2_rxq *r = dev->data->rx_queues[q];

		if (r == NULL)
			continue;
		v[XSTAT_RX_BAD_DESC] += r->rejected;
		v[XSTAT_RX_BAD_INDEX] += r->bad_index;
		v[XSTAT_RX_MBUF_FAIL] += r->mbuf_fail;
		v[XSTAT_RX_TAKEN_BACK] += r->taken_back;
		v[XSTAT_COUNT + q] = r->rejected;
	}
	for (q = 0; q < dev->data->nb_tx_queues; q++) {
		const struct ivshmem2_txq *t = dev->data->tx_queues[q];
		uint64_t *per_q = &v[XSTAT_COUNT + nb_rxq + XSTAT_PER_TXQ * q];

		if (t == NULL)
			continue;
		v[XSTAT_TX_RING_FULL] += t->ring_full;
		v[XSTAT_TX_OVERSIZE] += t->oversize;
		v[XSTAT_TX_DOORBELLS] += t->doorbells;
		v[XSTAT_TX_DOORBELLS_SUPPRESSED] += t->doorbells_suppressed;
		v[XSTAT_TX_LINK_DOWN] += t->link_down;
		v[XSTAT_TX_POOL_POSTED] += t->pool_posted;
		v[XSTAT_TX_POOL_HELD] += t->nb_held;
		v[XSTAT_TX_RETURNED] += t->returned;
		per_q[0] = t->ring_full;
		per_q[1] = t->doorbells;
	}
	v[XSTAT_LINK_UPS] = p->link.ups;
	v[XSTAT_HEARTBEAT_TIMEOUTS] = p->link.heartbeat_timeouts;
	v[XSTAT_BAD_PEER_DOWNS] = p->link.bad_peer_downs;
	v[XSTAT_RECONNECTS] = ivshmem2_port_hw(dev)->reconnects - p->reconnects_base;
}

int
ivshmem2_xstats_get(struct rte_eth_dev *dev, struct rte_eth_xstat *xstats, unsigned int n)
{
	unsigned int i, count = xstats_count(dev);
	uint64_t v[XSTAT_COUNT + IVSHMEM2_NET_MAX_QUEUES * (1 + XSTAT_PER_TXQ)];

	if (xstats == NULL || n < count)
		return count;
	xstats_collect(dev, v);
	for (i = 0; i < count; i++) {
		xstats[i].id = i;
		xstats[i].value = v[i];
	}
	return count;
}

int
ivshmem2_xstats_get_names(struct rte_eth_dev *dev, struct rte_eth_xstat_name *names,
			  unsigned int size)
{
	static const char * const txq_names[XSTAT_PER_TXQ] = XSTAT_TXQ_NAMES;
	unsigned int i, k, count = xstats_count(dev);
	uint16_t q;

	if (names == NULL || size < count)
		return count;
	for (i = 0; i < XSTAT_COUNT; i++)
		strlcpy(names[i].name, ivshmem2_xstat_names[i], sizeof(names[i].name));
	for (q = 0; q < dev->data->nb_rx_queues; q++)
		snprintf(names[i++].name, sizeof(names[0].name), XSTAT_RXQ_NAME, q);
	for (q = 0; q < dev->data->nb_tx_queues; q++)
		for (k = 0; k < XSTAT_PER_TXQ; k++)
			snprintf(names[i++].name, sizeof(names[0].name), txq_names[k], q);
	return count;
}

int
ivshmem2_xstats_reset(struct rte_eth_dev *dev)
{
	struct ivshmem2_port *p = ivshmem2_port_priv(dev);

	p->link.ups = 0;
	p->link.heartbeat_timeouts = 0;
	p->link.bad_peer_downs = 0;
	p->reconnects_base = ivshmem2_port_hw(dev)->reconnects;
	return ivshmem2_stats_reset(dev);
}

void
ivshmem2_rxq_info_get(struct rte_eth_dev *dev, uint16_t qid, struct rte_eth_rxq_info *info)
{
	const struct ivshmem2_rxq *q = dev->data->rx_queues[qid];

	info->mp = q->mp;
	info->nb_desc = q->ring_size;	/* the shared ring's size, whatever was asked */
	info->rx_buf_size = q->data_room;
	info->scattered_rx = 1;
	info->queue_state = dev->data->rx_queue_state[qid];
}

void
ivshmem2_txq_info_get(struct rte_eth_dev *dev, uint16_t qid, struct rte_eth_txq_info *info)
{
	const struct ivshmem2_txq *q = dev->data->tx_queues[qid];

	info->nb_desc = q->ring_size;
	info->conf.offloads = RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	info->queue_state = dev->data->tx_queue_state[qid];
}

int
ivshmem2_rx_burst_mode_get(struct rte_eth_dev *dev, uint16_t qid, struct rte_eth_burst_mode *mode)
{
	const struct ivshmem2_rxq *q = dev->data->rx_queues[qid];

	snprintf(mode->info, sizeof(mode->info), "%s from the peer's section, %u-slot rings",
		 q->zero_copy ? "Zero-copy (read-only external buffers)" : "Copy", q->ring_size);
	return 0;
}

int
ivshmem2_tx_burst_mode_get(struct rte_eth_dev *dev, uint16_t qid, struct rte_eth_burst_mode *mode)
{
	const struct ivshmem2_txq *q = dev->data->tx_queues[qid];

	if (ivshmem2_copy_streams(q->copy))
		snprintf(mode->info, sizeof(mode->info),
			 "Copy into the own section (%s, non-temporal from %u B), %u-slot rings",
			 ivshmem2_copy_name(q->copy), IVSHMEM2_COPY_STREAM_MIN, q->ring_size);
	else
		snprintf(mode->info, sizeof(mode->info),
			 "Copy into the own section (%s), %u-slot rings",
			 ivshmem2_copy_name(q->copy), q->ring_size);
	return 0;
}

int
ivshmem2_priv_dump(struct rte_eth_dev *dev, FILE *f)
{
	const struct ivshmem2_port *p = ivshmem2_port_priv(dev);
	const struct ivshmem2_hw *hw = ivshmem2_port_hw(dev);
	uint16_t q, i;

	fprintf(f, "net_ivshmem2 port %u: peer %u of %u (we are %u), %s, %s\n",
		dev->data->port_id, p->remote, hw->max_peers, hw->id,
		hw->connected ? "attached" : "detached", p->started ? "started" : "stopped");
	fprintf(f, "  link: generation %u (%s), session %08x, peer session %08x, pairing %u, "
		"peer tx queues %u\n", p->link.gen, (p->link.gen & 1) ? "up" : "down",
		p->link.session, p->link.peer_session, p->link.pairing, p->link.peer_tx_queues);
	fprintf(f, "  peer: state %u, heartbeat %u%s%s\n",
		hw->connected && p->remote < hw->max_peers ?
			ivshmem2_hw_peer_state(hw, p->remote) : 0,
		p->link.peer_beat, p->link.peer_dead ? ", dead (no heartbeat)" : "",
		p->link.peer_bad ? ", too many bad descriptors" : "");
	fprintf(f, "  layout: %u queue pair(s) of %u slots per peer, %u vectors\n",
		hw->net.queues, hw->net.ring_size, hw->vectors);
	for (q = 0; q < dev->data->nb_tx_queues; q++) {
		const struct ivshmem2_txq *t = dev->data->tx_queues[q];

		if (t == NULL || t->gen != p->link.gen || !ivshmem2_gen_up(t->gen))
			continue;
		fprintf(f, "  txq %u: tail %u, in flight %u, free (cached) %u\n", q, t->tail,
			ivshmem2_txq_pending(t), t->free);
	}
	for (q = 0; q < dev->data->nb_rx_queues; q++) {
		const struct ivshmem2_rxq *r = dev->data->rx_queues[q];

		if (r == NULL || r->gen != p->link.gen || !ivshmem2_gen_up(r->gen))
			continue;
		for (i = 0; i < r->nb_src; i++)
			fprintf(f, "  rxq %u ring %u: read %u, returned %u, waiting %u, wake %u\n",
				q, i, r->src[i].rd, r->src[i].head,
				*r->src[i].ring.peer_tail - r->src[i].rd,
				*r->src[i].ring.wake);
	}
	return 0;
}

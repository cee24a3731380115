/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/*
 * Bus-independent ethdev part: dev_ops, link state machine, stats and
 * xstats, devargs shared by the attachments.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <ethdev_driver.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_memory.h>
#include <rte_random.h>

#include "ivshmem2_attach.h"
#include "ivshmem2_ethdev.h"
#include "ivshmem2_logs.h"
#include "ivshmem2_ring.h"
#include "ivshmem2_rxtx.h"

RTE_LOG_REGISTER_DEFAULT(ivshmem2_logtype, NOTICE);

/* Rejected descriptors from one peer session before its link is taken down. */
#define IVSHMEM2_REJECT_LIMIT		64

/* How long dev_stop gives a live peer to take the frames already sent. */
#define IVSHMEM2_STOP_DRAIN_MS		200

/* Ethernet header + one VLAN tag: the frame/MTU overhead we account for. */
#define IVSHMEM2_FRAME_OVERHEAD		(RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN)
#define IVSHMEM2_MAX_MTU		(IVSHMEM2_NET_MAX_FRAME - IVSHMEM2_FRAME_OVERHEAD)

static struct ivshmem2_hw *
port_hw(struct rte_eth_dev *dev)
{
	return dev->process_private;
}

static struct ivshmem2_port *
port_priv(struct rte_eth_dev *dev)
{
	return dev->data->dev_private;
}

/* ---- devargs ---- */

void
ivshmem2_args_init(struct ivshmem2_args *args)
{
	memset(args, 0, sizeof(*args));
	args->peer = ETH_IVSHMEM2_PEER_AUTO;
}

static int
ivshmem2_set_peer(const char *key __rte_unused, const char *value, void *extra_args)
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
		IVSHMEM2_LOG(ERR, "invalid %s=%s: a peer ID 0..%u or 'all'",
			     ETH_IVSHMEM2_PEER_ARG, value, IVSHMEM2_STATE_TABLE_MAX_PEERS - 1);
		return -EINVAL;
	}
	args->peer = (int32_t)v;
	return 0;
}

static int
ivshmem2_set_mac(const char *key __rte_unused, const char *value, void *extra_args)
{
	struct ivshmem2_args *args = extra_args;

	if (rte_ether_unformat_addr(value, &args->mac) != 0 || strlen(value) != 17 ||
	    rte_is_multicast_ether_addr(&args->mac) || rte_is_zero_ether_addr(&args->mac)) {
		IVSHMEM2_LOG(ERR, "invalid %s=%s: a unicast address xx:xx:xx:xx:xx:xx",
			     ETH_IVSHMEM2_MAC_ARG, value);
		return -EINVAL;
	}
	args->mac_set = true;
	return 0;
}

static int
ivshmem2_set_zero_copy(const char *key __rte_unused, const char *value, void *extra_args)
{
	struct ivshmem2_args *args = extra_args;

	if (strcmp(value, "yes") == 0) {
		args->zero_copy = true;
	} else if (strcmp(value, "no") == 0) {
		args->zero_copy = false;
	} else {
		IVSHMEM2_LOG(ERR, "invalid %s=%s: yes or no", ETH_IVSHMEM2_ZC_ARG, value);
		return -EINVAL;
	}
	return 0;
}

int
ivshmem2_args_parse(struct rte_kvargs *kvlist, struct ivshmem2_args *args)
{
	int ret;

	ret = rte_kvargs_process(kvlist, ETH_IVSHMEM2_PEER_ARG, ivshmem2_set_peer, args);
	if (ret == 0)
		ret = rte_kvargs_process(kvlist, ETH_IVSHMEM2_MAC_ARG, ivshmem2_set_mac, args);
	if (ret == 0)
		ret = rte_kvargs_process(kvlist, ETH_IVSHMEM2_ZC_ARG, ivshmem2_set_zero_copy,
					 args);
	return ret < 0 ? -EINVAL : 0;
}

/* ---- link state machine (control path, hw->lock held) ---- */

static uint32_t
new_session(uint32_t old)
{
	uint32_t s;

	do {
		s = (uint32_t)rte_rand();
	} while (s == 0 || s == old);
	return s;
}

static struct ivshmem2_net_channel_header *
own_channel(struct ivshmem2_hw *hw, uint32_t remote)
{
	return ivshmem2_ring_channel(ivshmem2_hw_section(hw, hw->id), remote);
}

static bool
remote_valid(struct ivshmem2_hw *hw, uint32_t remote)
{
	return remote < hw->max_peers && remote != hw->id;
}

/* Write the own channel header of a port and tell the peer (vector 0). */
static void
publish_channel(struct rte_eth_dev *dev)
{
	struct ivshmem2_hw *hw = port_hw(dev);
	struct ivshmem2_port *p = port_priv(dev);
	struct ivshmem2_net_channel_header *c;

	if (!hw->connected || !remote_valid(hw, p->remote))
		return;
	c = own_channel(hw, p->remote);
	if (p->started) {
		c->tx_queues = dev->data->nb_tx_queues;
		c->rx_queues = dev->data->nb_rx_queues;
		c->mtu = p->mtu;
		memcpy(c->mac, p->mac.addr_bytes, sizeof(c->mac));
	} else {
		__atomic_store_n(&c->ack, 0, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&c->session, p->session, __ATOMIC_RELEASE);
	IVSHMEM2_OPS(hw)->notify(hw, p->remote, IVSHMEM2_VECTOR_STATE);
}

uint32_t
ivshmem2_hw_wanted_state(struct ivshmem2_hw *hw)
{
	uint32_t i;

	for (i = 0; i < hw->max_peers; i++) {
		uint16_t pid = hw->port_of_peer[i];

		if (pid != IVSHMEM2_PORT_NONE && port_priv(&rte_eth_devices[pid])->started)
			return IVSHMEM2_NET_STATE_RUN;
	}
	return IVSHMEM2_NET_STATE_READY;
}

/* Hand the rings of a new link generation to the queues. */
static void
prepare_rings(struct rte_eth_dev *dev, uint32_t peer_tx_queues)
{
	struct ivshmem2_hw *hw = port_hw(dev);
	struct ivshmem2_port *p = port_priv(dev);
	uint8_t *own = ivshmem2_hw_section(hw, hw->id);
	uint8_t *peer = ivshmem2_hw_section(hw, p->remote);
	uint16_t q, nb_rxq = dev->data->nb_rx_queues;

	for (q = 0; q < dev->data->nb_tx_queues; q++) {
		struct ivshmem2_txq *txq = dev->data->tx_queues[q];

		if (txq == NULL)
			continue;
		ivshmem2_ring_tx_attach(&txq->next_ring, own, peer, &hw->net, hw->id, p->remote,
					q);
		txq->remote = p->remote;
		txq->vectors = hw->vectors;
	}
	/* Rx queue j polls the peer's tx rings j, j + nb_rxq, ... */
	for (q = 0; q < nb_rxq; q++) {
		struct ivshmem2_rxq *rxq = dev->data->rx_queues[q];
		uint32_t k;
		uint16_t n = 0;

		if (rxq == NULL)
			continue;
		for (k = q; k < peer_tx_queues && n < IVSHMEM2_NET_MAX_QUEUES; k += nb_rxq) {
			rxq->next_start[n] = p->rx_start[k];
			ivshmem2_ring_rx_attach(&rxq->next_ring[n++], own, peer, &hw->net, hw->id,
						p->remote, k);
		}
		rxq->next_nb_src = n;
		rxq->next_pairing = p->pairing;
	}
	p->peer_tx_queues = peer_tx_queues;
}

static void
set_link(struct rte_eth_dev *dev, bool up)
{
	struct rte_eth_link link = {
		.link_speed = up ? RTE_ETH_SPEED_NUM_10G : RTE_ETH_SPEED_NUM_NONE,
		.link_duplex = RTE_ETH_LINK_FULL_DUPLEX,
		.link_autoneg = RTE_ETH_LINK_FIXED,
		.link_status = up ? RTE_ETH_LINK_UP : RTE_ETH_LINK_DOWN,
	};

	if (rte_eth_linkstatus_set(dev, &link) != 0)
		return;	/* unchanged */
	port_priv(dev)->lsc_pending = true;
}

/* Bad descriptors the rx queues dropped so far (read racily: a count). */
static uint64_t
rx_rejected(struct rte_eth_dev *dev)
{
	uint64_t n = 0;
	uint16_t q;

	for (q = 0; q < dev->data->nb_rx_queues; q++) {
		const struct ivshmem2_rxq *r = dev->data->rx_queues[q];

		if (r != NULL)
			n += __atomic_load_n(&r->rejected, __ATOMIC_RELAXED);
	}
	return n;
}

/* Link down for the data path: even generation (control path, hw->lock held). */
static void
gen_down(struct ivshmem2_port *p)
{
	if (ivshmem2_gen_up(p->link_gen)) {
		__atomic_store_n(&p->link_gen, ivshmem2_gen_next(p->link_gen), __ATOMIC_RELAXED);
		/* Seqlock write side: the even value is visible before next_* change. */
		rte_atomic_thread_fence(__ATOMIC_RELEASE);
	}
}

/*
 * Accept a new session of the peer (before our ack makes it visible): from
 * now on the peer may send, so fix where our rx rings start. For each ring
 * the peer produces towards us, the start is its tail now, and our head
 * says so before the ack does, so the peer's first burst sees a consistent
 * head (not a full ring) and we never drop a frame it sent after link up.
 * Our rx queues are at an even generation: no burst writes these heads.
 */
static void
accept_peer_session(struct rte_eth_dev *dev)
{
	struct ivshmem2_hw *hw = port_hw(dev);
	struct ivshmem2_port *p = port_priv(dev);
	uint8_t *own = ivshmem2_hw_section(hw, hw->id);
	const uint8_t *peer = ivshmem2_hw_section(hw, p->remote);
	uint32_t k;

	gen_down(p);
	for (k = 0; k < hw->net.queues && k < IVSHMEM2_NET_MAX_QUEUES; k++) {
		struct ivshmem2_ring_rx r;

		ivshmem2_ring_rx_attach(&r, own, peer, &hw->net, hw->id, p->remote, k);
		p->rx_start[k] = __atomic_load_n(r.peer_tail, __ATOMIC_ACQUIRE);
		__atomic_store_n(r.head, p->rx_start[k], __ATOMIC_RELEASE);
	}
	p->pairing++;
	p->rejected_base = rx_rejected(dev);
	p->peer_bad = false;
	/* A new session is a sign of life: the heartbeat clock starts again. */
	p->peer_dead = false;
	p->peer_beat_tsc = rte_get_timer_cycles();
}

/* Re-evaluate one port's link (hw->lock held). */
static void
port_link_check_locked(struct rte_eth_dev *dev)
{
	struct ivshmem2_hw *hw = port_hw(dev);
	struct ivshmem2_port *p = port_priv(dev);
	enum ivshmem2_ring_check chk = IVSHMEM2_RING_NOT_READY;
	struct ivshmem2_ring_peer_channel pc = { 0 };
	bool was_up = ivshmem2_gen_up(p->link_gen);
	bool up = false;

	if (hw->connected && p->started && remote_valid(hw, p->remote)) {
		uint32_t pstate = ivshmem2_hw_peer_state(hw, p->remote);
		const uint8_t *peer = ivshmem2_hw_section(hw, p->remote);
		struct ivshmem2_net_channel_header *mine = own_channel(hw, p->remote);

		if (pstate == IVSHMEM2_NET_STATE_READY || pstate == IVSHMEM2_NET_STATE_RUN) {
			chk = ivshmem2_ring_section_check(peer, &hw->net, p->remote);
			if (chk == IVSHMEM2_RING_OK)
				chk = ivshmem2_ring_channel_read(peer, &hw->net, hw->id, &pc);
		}
		if (chk == IVSHMEM2_RING_OK && pc.session != 0) {
			if (__atomic_load_n(&mine->ack, __ATOMIC_RELAXED) != pc.session) {
				/* New peer session: the old pairing (if any) ends here. */
				accept_peer_session(dev);
				__atomic_store_n(&mine->ack, pc.session, __ATOMIC_RELEASE);
				IVSHMEM2_OPS(hw)->notify(hw, p->remote, IVSHMEM2_VECTOR_STATE);
			}
			up = pc.ack == p->session && !p->peer_dead && !p->peer_bad;
		}
		if (chk != IVSHMEM2_RING_OK && chk != IVSHMEM2_RING_NOT_READY &&
		    chk != p->last_check)
			IVSHMEM2_LOG(ERR, "port %u: peer %u unusable: %s", dev->data->port_id,
				     p->remote, ivshmem2_ring_check_str(chk));
		p->last_check = chk;
	}

	if (up && (!ivshmem2_gen_up(p->link_gen) || pc.session != p->peer_session)) {
		/* New generation with fresh rings: down first if still up. */
		gen_down(p);
		prepare_rings(dev, pc.tx_queues);
		p->peer_session = pc.session;
		p->link_ups++;
		__atomic_store_n(&p->link_gen, ivshmem2_gen_next(p->link_gen), __ATOMIC_RELEASE);
		IVSHMEM2_LOG(INFO, "port %u: link up to peer %u (%u tx queues)",
			     dev->data->port_id, p->remote, pc.tx_queues);
		/* Wake rx queues sleeping on interrupts so that they take the new rings. */
		if (dev->data->dev_conf.intr_conf.rxq) {
			uint16_t q;

			for (q = 0; q < dev->data->nb_rx_queues; q++)
				IVSHMEM2_OPS(hw)->notify(hw, hw->id,
							 IVSHMEM2_NET_VECTOR_RXQ_BASE + q);
		}
	} else if (!up && ivshmem2_gen_up(p->link_gen)) {
		gen_down(p);
	}
	if (!up && was_up)
		IVSHMEM2_LOG(INFO, "port %u: link down (peer %u)", dev->data->port_id, p->remote);
	set_link(dev, up);
}

static void
deliver_lsc(struct rte_eth_dev *dev)
{
	struct ivshmem2_port *p = port_priv(dev);

	if (!p->lsc_pending)
		return;
	p->lsc_pending = false;
	if (dev->data->dev_conf.intr_conf.lsc)
		rte_eth_dev_callback_process(dev, RTE_ETH_EVENT_INTR_LSC, NULL);
}

void
ivshmem2_hw_link_check(struct ivshmem2_hw *hw)
{
	uint16_t pids[RTE_MAX_ETHPORTS];
	uint32_t i, n = 0;

	rte_spinlock_lock(&hw->lock);
	for (i = 0; i < hw->max_peers && n < RTE_MAX_ETHPORTS; i++) {
		uint16_t pid = hw->port_of_peer[i];

		if (pid == IVSHMEM2_PORT_NONE)
			continue;
		port_link_check_locked(&rte_eth_devices[pid]);
		pids[n++] = pid;
	}
	rte_spinlock_unlock(&hw->lock);
	/* Application callbacks may call back into the PMD: no lock held. */
	for (i = 0; i < n; i++)
		deliver_lsc(&rte_eth_devices[pids[i]]);
}

/* Heartbeat check of one port's peer (hw->lock held, from the tick only). */
static void
port_liveness_locked(struct rte_eth_dev *dev, uint64_t now, uint64_t timeout)
{
	struct ivshmem2_hw *hw = port_hw(dev);
	struct ivshmem2_port *p = port_priv(dev);
	uint32_t beat;

	if (!p->started || !remote_valid(hw, p->remote) ||
	    ivshmem2_hw_peer_state(hw, p->remote) == IVSHMEM2_STATE_RESET ||
	    !ivshmem2_ring_peer_heartbeat(ivshmem2_hw_section(hw, p->remote), &beat)) {
		/* Gone, or liveness unknown (older peer): the state table decides. */
		p->peer_dead = false;
		p->peer_beat_tsc = now;
		return;
	}
	if (beat != p->peer_beat) {
		if (p->peer_dead)
			IVSHMEM2_LOG(NOTICE, "port %u: peer %u alive again", dev->data->port_id,
				     p->remote);
		p->peer_beat = beat;
		p->peer_beat_tsc = now;
		p->peer_dead = false;
	} else if (!p->peer_dead && now - p->peer_beat_tsc > timeout) {
		p->peer_dead = true;
		p->heartbeat_timeouts++;
		IVSHMEM2_LOG(NOTICE, "port %u: no heartbeat from peer %u for %u ms: link down",
			     dev->data->port_id, p->remote, IVSHMEM2_NET_HEARTBEAT_TIMEOUT_MS);
	}
}

/* Too many bad descriptors from the current peer session (hw->lock held, tick). */
static void
port_rejects_locked(struct rte_eth_dev *dev)
{
	struct ivshmem2_port *p = port_priv(dev);

	if (p->started && !p->peer_bad &&
	    rx_rejected(dev) - p->rejected_base > IVSHMEM2_REJECT_LIMIT) {
		/* Until the peer starts a new session: no more guessing at its rings. */
		p->peer_bad = true;
		p->bad_peer_downs++;
		IVSHMEM2_LOG(ERR, "port %u: more than %u bad descriptors from peer %u: link down",
			     dev->data->port_id, IVSHMEM2_REJECT_LIMIT, p->remote);
	}
}

void
ivshmem2_hw_tick(struct ivshmem2_hw *hw)
{
	uint64_t now = rte_get_timer_cycles();
	uint64_t timeout = rte_get_timer_hz() / 1000 * IVSHMEM2_NET_HEARTBEAT_TIMEOUT_MS;
	uint32_t i;

	rte_spinlock_lock(&hw->lock);
	if (hw->connected) {
		ivshmem2_ring_heartbeat(ivshmem2_hw_section(hw, hw->id));
		for (i = 0; i < hw->max_peers; i++) {
			uint16_t pid = hw->port_of_peer[i];

			if (pid == IVSHMEM2_PORT_NONE)
				continue;
			port_liveness_locked(&rte_eth_devices[pid], now, timeout);
			port_rejects_locked(&rte_eth_devices[pid]);
		}
	}
	rte_spinlock_unlock(&hw->lock);
	ivshmem2_hw_link_check(hw);
}

void
ivshmem2_hw_reinit_locked(struct ivshmem2_hw *hw)
{
	uint32_t i;

	ivshmem2_ring_section_init(ivshmem2_hw_section(hw, hw->id), &hw->net, hw->id);
	for (i = 0; i < hw->max_peers; i++) {
		uint16_t pid = hw->port_of_peer[i];
		struct ivshmem2_port *p;

		if (pid == IVSHMEM2_PORT_NONE)
			continue;
		p = port_priv(&rte_eth_devices[pid]);
		if (p->started) {
			p->session = new_session(p->session);
			publish_channel(&rte_eth_devices[pid]);
		}
	}
	IVSHMEM2_OPS(hw)->set_state(hw, ivshmem2_hw_wanted_state(hw));
}

/* ---- dev_ops ---- */

static int
ivshmem2_dev_configure(struct rte_eth_dev *dev)
{
	struct ivshmem2_hw *hw = port_hw(dev);
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
	struct ivshmem2_hw *hw = port_hw(dev);
	struct ivshmem2_port *p = port_priv(dev);
	uint16_t q;
	int ret;

	if (dev->data->dev_conf.intr_conf.rxq) {
		ret = ivshmem2_hw_rxq_intr_setup(hw, dev->intr_handle, dev->data->nb_rx_queues);
		if (ret != 0) {
			IVSHMEM2_LOG(ERR, "port %u: rx interrupt setup failed: %s",
				     dev->data->port_id, strerror(-ret));
			return ret;
		}
	}
	rte_spinlock_lock(&hw->lock);
	p->session = new_session(p->session);
	p->started = true;
	publish_channel(dev);
	IVSHMEM2_OPS(hw)->set_state(hw, ivshmem2_hw_wanted_state(hw));
	rte_spinlock_unlock(&hw->lock);

	for (q = 0; q < dev->data->nb_rx_queues; q++)
		dev->data->rx_queue_state[q] = RTE_ETH_QUEUE_STATE_STARTED;
	for (q = 0; q < dev->data->nb_tx_queues; q++)
		dev->data->tx_queue_state[q] = RTE_ETH_QUEUE_STATE_STARTED;
	ivshmem2_hw_link_check(hw);
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
	struct ivshmem2_hw *hw = port_hw(dev);
	struct ivshmem2_port *p = port_priv(dev);
	uint16_t q;

	ivshmem2_tx_drain(dev);
	rte_spinlock_lock(&hw->lock);
	p->started = false;
	p->session = 0;
	publish_channel(dev);
	IVSHMEM2_OPS(hw)->set_state(hw, ivshmem2_hw_wanted_state(hw));
	port_link_check_locked(dev);
	rte_spinlock_unlock(&hw->lock);
	deliver_lsc(dev);

	if (dev->data->dev_conf.intr_conf.rxq)
		ivshmem2_hw_rxq_intr_teardown(hw, dev->intr_handle);
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

	if (q == NULL)
		return;
	rte_free(q->busy_mem);
	rte_free(q->shinfo_mem);
	rte_free(q);
	dev->data->rx_queues[qid] = NULL;
}

static void
ivshmem2_tx_queue_release(struct rte_eth_dev *dev, uint16_t qid)
{
	rte_free(dev->data->tx_queues[qid]);
	dev->data->tx_queues[qid] = NULL;
}

static int
ivshmem2_dev_close(struct rte_eth_dev *dev)
{
	struct ivshmem2_hw *hw = port_hw(dev);
	struct ivshmem2_port *p = port_priv(dev);
	uint16_t q;
	bool last;

	if (rte_eal_process_type() != RTE_PROC_PRIMARY)
		return ivshmem2_mp_port_close(dev);
	if (p->started)
		ivshmem2_dev_stop(dev);
	for (q = 0; q < dev->data->nb_rx_queues; q++)
		ivshmem2_rx_queue_release(dev, q);
	for (q = 0; q < dev->data->nb_tx_queues; q++)
		ivshmem2_tx_queue_release(dev, q);
	/* mac_addrs points into dev_private: rte_eth_dev_release_port must not free it. */
	dev->data->mac_addrs = NULL;

	rte_spinlock_lock(&hw->lock);
	if (p->remote < hw->max_peers && hw->port_of_peer[p->remote] == dev->data->port_id)
		hw->port_of_peer[p->remote] = IVSHMEM2_PORT_NONE;
	last = --hw->nb_ports == 0;
	rte_spinlock_unlock(&hw->lock);
	rte_intr_instance_free(dev->intr_handle);
	dev->intr_handle = NULL;
	dev->process_private = NULL;
	if (last)
		IVSHMEM2_OPS(hw)->close(hw);
	return 0;
}

static int
ivshmem2_dev_infos_get(struct rte_eth_dev *dev, struct rte_eth_dev_info *info)
{
	struct ivshmem2_hw *hw = port_hw(dev);

	info->max_mac_addrs = 1;
	info->max_rx_pktlen = IVSHMEM2_NET_MAX_FRAME;
	info->min_mtu = RTE_ETHER_MIN_MTU;
	info->max_mtu = IVSHMEM2_MAX_MTU;
	info->min_rx_bufsize = 0;
	info->max_rx_queues = hw->net.queues;
	info->max_tx_queues = hw->net.queues;
	info->rx_offload_capa = RTE_ETH_RX_OFFLOAD_SCATTER;
	info->tx_offload_capa = RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	/* Descriptor counts are fixed by the shared layout; any request is accepted. */
	info->rx_desc_lim.nb_max = UINT16_MAX;
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
	ivshmem2_hw_link_check(port_hw(dev));
	return 0;
}

/* The rearm_data word of a fresh single-segment mbuf received on @port. */
static uint64_t
mbuf_initializer(uint16_t port)
{
	struct rte_mbuf m = { .buf_addr = NULL };

	m.nb_segs = 1;
	m.data_off = RTE_PKTMBUF_HEADROOM;
	m.port = port;
	rte_mbuf_refcnt_set(&m, 1);
	return *(uint64_t *)RTE_PTR_ADD(&m, offsetof(struct rte_mbuf, rearm_data));
}

static int
ivshmem2_rx_queue_setup(struct rte_eth_dev *dev, uint16_t qid, uint16_t nb_desc __rte_unused,
			unsigned int socket_id __rte_unused,
			const struct rte_eth_rxconf *conf __rte_unused, struct rte_mempool *mp)
{
	struct ivshmem2_hw *hw = port_hw(dev);
	struct ivshmem2_port *p = port_priv(dev);
	struct ivshmem2_rxq *q;
	size_t slots = (size_t)IVSHMEM2_NET_MAX_QUEUES * hw->net.ring_size;

	ivshmem2_rx_queue_release(dev, qid);
	q = rte_zmalloc_socket("ivshmem2_rxq", sizeof(*q), RTE_CACHE_LINE_SIZE, hw->numa_node);
	if (q == NULL)
		return -ENOMEM;
	q->mp = mp;
	q->mbuf_initializer = mbuf_initializer(dev->data->port_id);
	q->data_room = rte_pktmbuf_data_room_size(mp) - RTE_PKTMBUF_HEADROOM;
	q->link_gen = &p->link_gen;
	q->gen = IVSHMEM2_GEN_NONE;
	q->ring_size = hw->net.ring_size;
	q->queue_id = qid;
	q->port_id = dev->data->port_id;
	q->vector = IVSHMEM2_NET_VECTOR_RXQ_BASE + qid;
	q->hw = hw;
	q->nombuf = &dev->data->rx_mbuf_alloc_failed;
	q->zero_copy = p->zero_copy;
	q->iova_is_va = rte_eal_iova_mode() == RTE_IOVA_VA;
	if (q->zero_copy) {
		q->busy_mem = rte_zmalloc_socket("ivshmem2_zc", slots, RTE_CACHE_LINE_SIZE,
						 hw->numa_node);
		q->shinfo_mem = rte_zmalloc_socket("ivshmem2_zc",
						   slots * sizeof(*q->shinfo_mem),
						   RTE_CACHE_LINE_SIZE, hw->numa_node);
		if (q->busy_mem == NULL || q->shinfo_mem == NULL) {
			rte_free(q->busy_mem);
			rte_free(q->shinfo_mem);
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
	ivshmem2_rxq_zc_init(q);
	dev->data->rx_queues[qid] = q;
	return 0;
}

static int
ivshmem2_tx_queue_setup(struct rte_eth_dev *dev, uint16_t qid, uint16_t nb_desc __rte_unused,
			unsigned int socket_id __rte_unused,
			const struct rte_eth_txconf *conf __rte_unused)
{
	struct ivshmem2_hw *hw = port_hw(dev);
	struct ivshmem2_port *p = port_priv(dev);
	struct ivshmem2_txq *q;

	ivshmem2_tx_queue_release(dev, qid);
	q = rte_zmalloc_socket("ivshmem2_txq", sizeof(*q), RTE_CACHE_LINE_SIZE, hw->numa_node);
	if (q == NULL)
		return -ENOMEM;
	q->link_gen = &p->link_gen;
	q->gen = IVSHMEM2_GEN_NONE;
	q->ring_size = hw->net.ring_size;
	q->hw = hw;
	q->remote = p->remote;
	q->vectors = hw->vectors;
	q->queue_id = qid;
	q->port_id = dev->data->port_id;
	dev->data->tx_queues[qid] = q;
	return 0;
}

static int
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

static int
ivshmem2_stats_reset(struct rte_eth_dev *dev)
{
	uint16_t q;

	for (q = 0; q < dev->data->nb_rx_queues; q++) {
		struct ivshmem2_rxq *r = dev->data->rx_queues[q];

		if (r != NULL) {
			r->pkts = r->bytes = r->rejected = r->bad_index = r->mbuf_fail = 0;
		}
	}
	for (q = 0; q < dev->data->nb_tx_queues; q++) {
		struct ivshmem2_txq *t = dev->data->tx_queues[q];

		if (t != NULL) {
			t->pkts = t->bytes = t->oversize = t->ring_full = 0;
			t->doorbells = t->doorbells_suppressed = t->link_down = 0;
		}
	}
	dev->data->rx_mbuf_alloc_failed = 0;
	return 0;
}

/* Extended statistics: port-wide sums. */
enum ivshmem2_xstat {
	XSTAT_RX_REJECTED,
	XSTAT_RX_BAD_INDEX,
	XSTAT_RX_MBUF_FAIL,
	XSTAT_TX_RING_FULL,
	XSTAT_TX_OVERSIZE,
	XSTAT_TX_DOORBELLS,
	XSTAT_TX_DOORBELLS_SUPPRESSED,
	XSTAT_TX_LINK_DOWN,
	XSTAT_LINK_UPS,
	XSTAT_HEARTBEAT_TIMEOUTS,
	XSTAT_BAD_PEER_DOWNS,
	XSTAT_RECONNECTS,
	XSTAT_COUNT,
};

static const char * const ivshmem2_xstat_names[XSTAT_COUNT] = {
	[XSTAT_RX_REJECTED] = "rx_rejected_descriptors",
	[XSTAT_RX_BAD_INDEX] = "rx_bad_peer_index",
	[XSTAT_RX_MBUF_FAIL] = "rx_mbuf_alloc_errors",
	[XSTAT_TX_RING_FULL] = "tx_ring_full",
	[XSTAT_TX_OVERSIZE] = "tx_oversize_drops",
	[XSTAT_TX_DOORBELLS] = "tx_doorbells_sent",
	[XSTAT_TX_DOORBELLS_SUPPRESSED] = "tx_doorbells_suppressed",
	[XSTAT_TX_LINK_DOWN] = "tx_link_down_refused",
	[XSTAT_LINK_UPS] = "link_ups",
	[XSTAT_HEARTBEAT_TIMEOUTS] = "peer_heartbeat_timeouts",
	[XSTAT_BAD_PEER_DOWNS] = "peer_bad_descriptor_link_downs",
	[XSTAT_RECONNECTS] = "server_reconnects",
};

static void
xstats_collect(struct rte_eth_dev *dev, uint64_t v[XSTAT_COUNT])
{
	uint16_t q;

	memset(v, 0, sizeof(uint64_t) * XSTAT_COUNT);
	for (q = 0; q < dev->data->nb_rx_queues; q++) {
		struct ivshmem2_rxq *r = dev->data->rx_queues[q];

		if (r == NULL)
			continue;
		v[XSTAT_RX_REJECTED] += r->rejected;
		v[XSTAT_RX_BAD_INDEX] += r->bad_index;
		v[XSTAT_RX_MBUF_FAIL] += r->mbuf_fail;
	}
	for (q = 0; q < dev->data->nb_tx_queues; q++) {
		struct ivshmem2_txq *t = dev->data->tx_queues[q];

		if (t == NULL)
			continue;
		v[XSTAT_TX_RING_FULL] += t->ring_full;
		v[XSTAT_TX_OVERSIZE] += t->oversize;
		v[XSTAT_TX_DOORBELLS] += t->doorbells;
		v[XSTAT_TX_DOORBELLS_SUPPRESSED] += t->doorbells_suppressed;
		v[XSTAT_TX_LINK_DOWN] += t->link_down;
	}
	v[XSTAT_LINK_UPS] = port_priv(dev)->link_ups;
	v[XSTAT_HEARTBEAT_TIMEOUTS] = port_priv(dev)->heartbeat_timeouts;
	v[XSTAT_BAD_PEER_DOWNS] = port_priv(dev)->bad_peer_downs;
	v[XSTAT_RECONNECTS] = port_hw(dev)->reconnects;
}

static int
ivshmem2_xstats_get(struct rte_eth_dev *dev, struct rte_eth_xstat *xstats, unsigned int n)
{
	uint64_t v[XSTAT_COUNT];
	unsigned int i;

	if (xstats == NULL || n < XSTAT_COUNT)
		return XSTAT_COUNT;
	xstats_collect(dev, v);
	for (i = 0; i < XSTAT_COUNT; i++) {
		xstats[i].id = i;
		xstats[i].value = v[i];
	}
	return XSTAT_COUNT;
}

static int
ivshmem2_xstats_get_names(struct rte_eth_dev *dev __rte_unused,
			  struct rte_eth_xstat_name *names, unsigned int size)
{
	unsigned int i;

	if (names == NULL || size < XSTAT_COUNT)
		return XSTAT_COUNT;
	for (i = 0; i < XSTAT_COUNT; i++)
		strlcpy(names[i].name, ivshmem2_xstat_names[i], sizeof(names[i].name));
	return XSTAT_COUNT;
}

static int
ivshmem2_xstats_reset(struct rte_eth_dev *dev)
{
	port_priv(dev)->link_ups = 0;
	return ivshmem2_stats_reset(dev);
}

static int
ivshmem2_mtu_set(struct rte_eth_dev *dev, uint16_t mtu)
{
	struct ivshmem2_hw *hw = port_hw(dev);
	struct ivshmem2_port *p = port_priv(dev);

	if (mtu < RTE_ETHER_MIN_MTU || mtu > IVSHMEM2_MAX_MTU) {
		IVSHMEM2_LOG(ERR, "MTU %u out of range %u..%u", mtu, RTE_ETHER_MIN_MTU,
			     IVSHMEM2_MAX_MTU);
		return -EINVAL;
	}
	rte_spinlock_lock(&hw->lock);
	p->mtu = mtu;
	if (hw->connected && remote_valid(hw, p->remote))
		__atomic_store_n(&own_channel(hw, p->remote)->mtu, mtu, __ATOMIC_RELAXED);
	rte_spinlock_unlock(&hw->lock);
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
	rte_ether_addr_copy(addr, &port_priv(dev)->mac);
	return 0;
}

static int
ivshmem2_rx_queue_intr_enable(struct rte_eth_dev *dev, uint16_t qid)
{
	struct ivshmem2_hw *hw = port_hw(dev);
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

static const struct eth_dev_ops ivshmem2_ops = {
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
	.rx_queue_intr_enable = ivshmem2_rx_queue_intr_enable,
	.rx_queue_intr_disable = ivshmem2_rx_queue_intr_disable,
	.get_monitor_addr = ivshmem2_get_monitor_addr,
	.stats_get = ivshmem2_stats_get,
	.stats_reset = ivshmem2_stats_reset,
	.xstats_get = ivshmem2_xstats_get,
	.xstats_get_names = ivshmem2_xstats_get_names,
	.xstats_reset = ivshmem2_xstats_reset,
};

void
ivshmem2_eth_dev_attach_secondary(struct rte_eth_dev *dev, struct ivshmem2_hw *hw)
{
	dev->process_private = hw;
	dev->dev_ops = &ivshmem2_ops;
	dev->rx_pkt_burst = ivshmem2_rx_burst;
	dev->tx_pkt_burst = ivshmem2_tx_burst;
	dev->rx_queue_count = ivshmem2_rx_queue_count;
}

int
ivshmem2_eth_dev_init(struct rte_eth_dev *dev, struct ivshmem2_hw *hw, uint32_t remote,
		      bool auto_remote, const struct ivshmem2_args *args)
{
	struct ivshmem2_port *p = port_priv(dev);

	p->remote = remote;
	p->auto_remote = auto_remote;
	p->zero_copy = args->zero_copy;
	p->mtu = RTE_ETHER_MTU;
	p->last_check = IVSHMEM2_RING_OK;
	if (args->mac_set)
		rte_ether_addr_copy(&args->mac, &p->mac);
	else
		rte_eth_random_addr(p->mac.addr_bytes);

	dev->process_private = hw;
	dev->dev_ops = &ivshmem2_ops;
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
	set_link(dev, false);
	p->lsc_pending = false;
	rte_spinlock_unlock(&hw->lock);
	return 0;
}

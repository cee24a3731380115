/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/*
 * Link state machine of the ports (control path only). A port's link is up
 * when both peers run a session towards each other and each has acked the
 * other's: then the rings of a new generation go to the queues. The peer's
 * state-table entry, its section header, its heartbeat and the bad
 * descriptors it sends can each take the link down again.
 */

#include <string.h>

#include <ethdev_driver.h>
#include <rte_cycles.h>
#include <rte_random.h>

#include "ivshmem2_link.h"
#include "ivshmem2_logs.h"
#include "ivshmem2_port.h"
#include "ivshmem2_ring.h"
#include "ivshmem2_rxtx.h"

/* Rejected descriptors from one peer session before its link is taken down. */
#define IVSHMEM2_LINK_REJECT_LIMIT	64

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
	struct ivshmem2_hw *hw = ivshmem2_port_hw(dev);
	struct ivshmem2_port *p = ivshmem2_port_priv(dev);
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
	__atomic_store_n(&c->session, p->link.session, __ATOMIC_RELEASE);
	IVSHMEM2_OPS(hw)->notify(hw, p->remote, IVSHMEM2_VECTOR_STATE);
}

/* Own state-table value for the ports' current state: RUN once one is started. */
static uint32_t
wanted_state(struct ivshmem2_hw *hw)
{
	struct rte_eth_dev *dev;
	uint32_t i;

	IVSHMEM2_HW_FOREACH_PORT(hw, i, dev)
		if (ivshmem2_port_priv(dev)->started)
			return IVSHMEM2_NET_STATE_RUN;
	return IVSHMEM2_NET_STATE_READY;
}

/* Hand the rings of a new link generation to the queues. */
static void
prepare_rings(struct rte_eth_dev *dev, uint32_t peer_tx_queues)
{
	struct ivshmem2_hw *hw = ivshmem2_port_hw(dev);
	struct ivshmem2_port *p = ivshmem2_port_priv(dev);
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
			rxq->next_start[n] = p->link.rx_start[k];
			ivshmem2_ring_rx_attach(&rxq->next_ring[n++], own, peer, &hw->net, hw->id,
						p->remote, k);
		}
		rxq->next_nb_src = n;
		rxq->next_pairing = p->link.pairing;
	}
	p->link.peer_tx_queues = peer_tx_queues;
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
	ivshmem2_port_priv(dev)->link.lsc_pending = true;
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

/* Link down for the data path: even generation. */
static void
gen_down(struct ivshmem2_link *l)
{
	if (ivshmem2_gen_up(l->gen)) {
		__atomic_store_n(&l->gen, ivshmem2_gen_next(l->gen), __ATOMIC_RELAXED);
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
	struct ivshmem2_hw *hw = ivshmem2_port_hw(dev);
	struct ivshmem2_port *p = ivshmem2_port_priv(dev);
	struct ivshmem2_link *l = &p->link;
	uint8_t *own = ivshmem2_hw_section(hw, hw->id);
	const uint8_t *peer = ivshmem2_hw_section(hw, p->remote);
	uint32_t k;

	gen_down(l);
	for (k = 0; k < hw->net.queues && k < IVSHMEM2_NET_MAX_QUEUES; k++) {
		struct ivshmem2_ring_rx r;

		ivshmem2_ring_rx_attach(&r, own, peer, &hw->net, hw->id, p->remote, k);
		l->rx_start[k] = __atomic_load_n(r.peer_tail, __ATOMIC_ACQUIRE);
		/* Zero-copy: a full ring until the rx queue knows which slots are held. */
		__atomic_store_n(r.head, l->rx_start[k] - (p->zero_copy ? hw->net.ring_size : 0),
				 __ATOMIC_RELEASE);
	}
	l->pairing++;
	l->rejected_base = rx_rejected(dev);
	l->peer_bad = false;
	/* A new session is a sign of life: the heartbeat clock starts again. */
	l->peer_dead = false;
	l->peer_beat_tsc = rte_get_timer_cycles();
}

/* Wake rx queues sleeping on interrupts so that they take new rings. */
static void
kick_rx_queues(struct rte_eth_dev *dev)
{
	struct ivshmem2_hw *hw = ivshmem2_port_hw(dev);
	uint16_t q;

	if (!dev->data->dev_conf.intr_conf.rxq)
		return;
	for (q = 0; q < dev->data->nb_rx_queues; q++)
		IVSHMEM2_OPS(hw)->notify(hw, hw->id, IVSHMEM2_NET_VECTOR_RXQ_BASE + q);
}

/*
 * Read the peer's side of the handshake into @pc; ack a new peer session.
 * Returns true if the peer runs a session towards us.
 */
static bool
peer_session_read(struct rte_eth_dev *dev, struct ivshmem2_ring_peer_channel *pc)
{
	struct ivshmem2_hw *hw = ivshmem2_port_hw(dev);
	struct ivshmem2_port *p = ivshmem2_port_priv(dev);
	enum ivshmem2_ring_check chk = IVSHMEM2_RING_NOT_READY;
	uint32_t pstate = ivshmem2_hw_peer_state(hw, p->remote);
	const uint8_t *peer = ivshmem2_hw_section(hw, p->remote);
	struct ivshmem2_net_channel_header *mine = own_channel(hw, p->remote);

	if (pstate == IVSHMEM2_NET_STATE_READY || pstate == IVSHMEM2_NET_STATE_RUN) {
		chk = ivshmem2_ring_section_check(peer, &hw->net, p->remote);
		if (chk == IVSHMEM2_RING_OK)
			chk = ivshmem2_ring_channel_read(peer, &hw->net, hw->id, pc);
	}
	if (chk != IVSHMEM2_RING_OK && chk != IVSHMEM2_RING_NOT_READY &&
	    chk != p->link.last_check)
		IVSHMEM2_LOG(ERR, "port %u: peer %u unusable: %s", dev->data->port_id, p->remote,
			     ivshmem2_ring_check_str(chk));
	p->link.last_check = chk;
	if (chk != IVSHMEM2_RING_OK || pc->session == 0)
		return false;
	if (__atomic_load_n(&mine->ack, __ATOMIC_RELAXED) != pc->session) {
		/* New peer session: the old pairing (if any) ends here. */
		accept_peer_session(dev);
		__atomic_store_n(&mine->ack, pc->session, __ATOMIC_RELEASE);
		IVSHMEM2_OPS(hw)->notify(hw, p->remote, IVSHMEM2_VECTOR_STATE);
	}
	return true;
}

/* Re-evaluate one port's link (hw->lock held). */
static void
port_check_locked(struct rte_eth_dev *dev)
{
	struct ivshmem2_hw *hw = ivshmem2_port_hw(dev);
	struct ivshmem2_port *p = ivshmem2_port_priv(dev);
	struct ivshmem2_link *l = &p->link;
	struct ivshmem2_ring_peer_channel pc = { 0 };
	bool was_up = ivshmem2_gen_up(l->gen);
	bool up = false;

	if (hw->connected && p->started && remote_valid(hw, p->remote) &&
	    peer_session_read(dev, &pc))
		up = pc.ack == l->session && !l->peer_dead && !l->peer_bad;

	if (up && (!was_up || pc.session != l->peer_session)) {
		/* New generation with fresh rings: down first if still up. */
		gen_down(l);
		prepare_rings(dev, pc.tx_queues);
		l->peer_session = pc.session;
		l->ups++;
		__atomic_store_n(&l->gen, ivshmem2_gen_next(l->gen), __ATOMIC_RELEASE);
		IVSHMEM2_LOG(INFO, "port %u: link up to peer %u (%u tx queues)",
			     dev->data->port_id, p->remote, pc.tx_queues);
		kick_rx_queues(dev);
	} else if (!up && was_up) {
		gen_down(l);
		IVSHMEM2_LOG(INFO, "port %u: link down (peer %u)", dev->data->port_id, p->remote);
	}
	set_link(dev, up);
}

static void
deliver_lsc(struct rte_eth_dev *dev)
{
	struct ivshmem2_port *p = ivshmem2_port_priv(dev);

	if (!p->link.lsc_pending)
		return;
	p->link.lsc_pending = false;
	if (dev->data->dev_conf.intr_conf.lsc)
		rte_eth_dev_callback_process(dev, RTE_ETH_EVENT_INTR_LSC, NULL);
}

void
ivshmem2_link_check(struct ivshmem2_hw *hw)
{
	struct rte_eth_dev *devs[RTE_MAX_ETHPORTS];
	struct rte_eth_dev *dev;
	uint32_t i, n = 0;

	rte_spinlock_lock(&hw->lock);
	IVSHMEM2_HW_FOREACH_PORT(hw, i, dev) {
		port_check_locked(dev);
		if (n < RTE_MAX_ETHPORTS)
			devs[n++] = dev;
	}
	rte_spinlock_unlock(&hw->lock);
	/* Application callbacks may call back into the PMD: no lock held. */
	for (i = 0; i < n; i++)
		deliver_lsc(devs[i]);
}

/* Heartbeat check of one port's peer (hw->lock held, from the tick only). */
static void
port_liveness_locked(struct rte_eth_dev *dev, uint64_t now, uint64_t timeout)
{
	struct ivshmem2_hw *hw = ivshmem2_port_hw(dev);
	struct ivshmem2_port *p = ivshmem2_port_priv(dev);
	struct ivshmem2_link *l = &p->link;
	uint32_t beat;

	if (!p->started || !remote_valid(hw, p->remote) ||
	    ivshmem2_hw_peer_state(hw, p->remote) == IVSHMEM2_STATE_RESET ||
	    !ivshmem2_ring_peer_heartbeat(ivshmem2_hw_section(hw, p->remote), &beat)) {
		/* Gone, or liveness unknown (older peer): the state table decides. */
		l->peer_dead = false;
		l->peer_beat_tsc = now;
		return;
	}
	if (beat != l->peer_beat) {
		if (l->peer_dead)
			IVSHMEM2_LOG(NOTICE, "port %u: peer %u alive again", dev->data->port_id,
				     p->remote);
		l->peer_beat = beat;
		l->peer_beat_tsc = now;
		l->peer_dead = false;
	} else if (!l->peer_dead && now - l->peer_beat_tsc > timeout) {
		l->peer_dead = true;
		l->heartbeat_timeouts++;
		IVSHMEM2_LOG(NOTICE, "port %u: no heartbeat from peer %u for %u ms: link down",
			     dev->data->port_id, p->remote, IVSHMEM2_NET_HEARTBEAT_TIMEOUT_MS);
	}
}

/* Too many bad descriptors from the current peer session (hw->lock held, tick). */
static void
port_rejects_locked(struct rte_eth_dev *dev)
{
	struct ivshmem2_port *p = ivshmem2_port_priv(dev);
	struct ivshmem2_link *l = &p->link;

	uint64_t rejected = rx_rejected(dev);

	if (rejected < l->rejected_base)
		l->rejected_base = rejected;	/* statistics were reset */
	if (p->started && !l->peer_bad && rejected - l->rejected_base > IVSHMEM2_LINK_REJECT_LIMIT) {
		/* Until the peer starts a new session: no more guessing at its rings. */
		l->peer_bad = true;
		l->bad_peer_downs++;
		IVSHMEM2_LOG(ERR, "port %u: more than %u bad descriptors from peer %u: link down",
			     dev->data->port_id, IVSHMEM2_LINK_REJECT_LIMIT, p->remote);
	}
}

void
ivshmem2_link_tick(struct ivshmem2_hw *hw)
{
	uint64_t now = rte_get_timer_cycles();
	uint64_t timeout = rte_get_timer_hz() / 1000 * IVSHMEM2_NET_HEARTBEAT_TIMEOUT_MS;
	struct rte_eth_dev *dev;
	uint32_t i;

	rte_spinlock_lock(&hw->lock);
	if (hw->connected) {
		ivshmem2_ring_heartbeat(ivshmem2_hw_section(hw, hw->id));
		IVSHMEM2_HW_FOREACH_PORT(hw, i, dev) {
			port_liveness_locked(dev, now, timeout);
			port_rejects_locked(dev);
		}
	}
	rte_spinlock_unlock(&hw->lock);
	ivshmem2_link_check(hw);
}

void
ivshmem2_link_attached(struct ivshmem2_hw *hw)
{
	struct rte_eth_dev *dev;
	uint32_t i;

	rte_spinlock_lock(&hw->lock);
	ivshmem2_ring_section_init(ivshmem2_hw_section(hw, hw->id), &hw->net, hw->id);
	hw->connected = true;
	IVSHMEM2_HW_FOREACH_PORT(hw, i, dev) {
		struct ivshmem2_port *p = ivshmem2_port_priv(dev);

		if (p->started) {
			p->link.session = new_session(p->link.session);
			publish_channel(dev);
		}
	}
	IVSHMEM2_OPS(hw)->set_state(hw, wanted_state(hw));
	rte_spinlock_unlock(&hw->lock);
	ivshmem2_link_check(hw);
}

void
ivshmem2_link_detached(struct ivshmem2_hw *hw)
{
	rte_spinlock_lock(&hw->lock);
	hw->connected = false;
	rte_spinlock_unlock(&hw->lock);
	ivshmem2_link_check(hw);
}

void
ivshmem2_link_init(struct rte_eth_dev *dev)
{
	struct ivshmem2_hw *hw = ivshmem2_port_hw(dev);
	struct ivshmem2_port *p = ivshmem2_port_priv(dev);

	rte_spinlock_lock(&hw->lock);
	p->link.last_check = IVSHMEM2_RING_OK;
	set_link(dev, false);
	p->link.lsc_pending = false;
	rte_spinlock_unlock(&hw->lock);
}

void
ivshmem2_link_start(struct rte_eth_dev *dev)
{
	struct ivshmem2_hw *hw = ivshmem2_port_hw(dev);
	struct ivshmem2_port *p = ivshmem2_port_priv(dev);

	rte_spinlock_lock(&hw->lock);
	p->link.session = new_session(p->link.session);
	p->started = true;
	publish_channel(dev);
	IVSHMEM2_OPS(hw)->set_state(hw, wanted_state(hw));
	rte_spinlock_unlock(&hw->lock);
	ivshmem2_link_check(hw);
}

void
ivshmem2_link_stop(struct rte_eth_dev *dev)
{
	struct ivshmem2_hw *hw = ivshmem2_port_hw(dev);
	struct ivshmem2_port *p = ivshmem2_port_priv(dev);

	rte_spinlock_lock(&hw->lock);
	p->started = false;
	p->link.session = 0;
	publish_channel(dev);
	IVSHMEM2_OPS(hw)->set_state(hw, wanted_state(hw));
	port_check_locked(dev);
	rte_spinlock_unlock(&hw->lock);
	deliver_lsc(dev);
}

void
ivshmem2_link_mtu_set(struct rte_eth_dev *dev, uint16_t mtu)
{
	struct ivshmem2_hw *hw = ivshmem2_port_hw(dev);
	struct ivshmem2_port *p = ivshmem2_port_priv(dev);

	rte_spinlock_lock(&hw->lock);
	p->mtu = mtu;
	if (hw->connected && remote_valid(hw, p->remote))
		__atomic_store_n(&own_channel(hw, p->remote)->mtu, mtu, __ATOMIC_RELAXED);
	rte_spinlock_unlock(&hw->lock);
}

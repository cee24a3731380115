/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

#include <string.h>

#include "ivshmem2_ring.h"

const char *
ivshmem2_ring_check_str(enum ivshmem2_ring_check c)
{
	switch (c) {
	case IVSHMEM2_RING_OK:
		return "ok";
	case IVSHMEM2_RING_NOT_READY:
		return "section not initialised yet";
	case IVSHMEM2_RING_BAD_VERSION:
		return "unknown layout version";
	case IVSHMEM2_RING_BAD_LAYOUT:
		return "section layout differs from ours";
	case IVSHMEM2_RING_BAD_OWNER:
		return "section claims another owner";
	case IVSHMEM2_RING_BAD_QUEUES:
		return "queue count out of range";
	}
	return "unknown";
}

void
ivshmem2_ring_section_init(void *own, const struct ivshmem2_net_layout *l, uint32_t own_id)
{
	struct ivshmem2_net_section_header *h = own;

	uint32_t area, nb_areas = (l->max_peers - 1) * l->queues;

	__atomic_store_n(&h->magic, 0, __ATOMIC_RELEASE);
	/*
	 * Zero what the layout gives a meaning to: headers, and each queue's
	 * indices and descriptors. Slots are read only as far as a descriptor
	 * says, and a large (possibly sparse) section is never touched whole.
	 */
	memset((uint8_t *)own + sizeof(h->magic), 0, l->header_size - sizeof(h->magic));
	for (area = 0; area < nb_areas; area++)
		memset((uint8_t *)own + l->header_size + (uint64_t)area * l->queue_stride, 0,
		       l->slot_offset);
	h->version = IVSHMEM2_NET_LAYOUT_VERSION;
	h->section_size = l->section_size;
	h->max_peers = l->max_peers;
	h->owner_id = own_id;
	h->queues = l->queues;
	h->ring_size = l->ring_size;
	h->slot_stride = l->slot_stride;
	h->features = IVSHMEM2_NET_F_HEARTBEAT;
	__atomic_store_n(&h->magic, IVSHMEM2_NET_MAGIC, __ATOMIC_RELEASE);
}

enum ivshmem2_ring_check
ivshmem2_ring_section_check(const void *peer, const struct ivshmem2_net_layout *l,
			    uint32_t peer_id)
{
	const struct ivshmem2_net_section_header *h = peer;
	struct ivshmem2_net_section_header snap;

	if (__atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) != IVSHMEM2_NET_MAGIC)
		return IVSHMEM2_RING_NOT_READY;
	memcpy(&snap, h, sizeof(snap));
	if (snap.version != IVSHMEM2_NET_LAYOUT_VERSION)
		return IVSHMEM2_RING_BAD_VERSION;
	if (snap.section_size != l->section_size || snap.max_peers != l->max_peers ||
	    snap.queues != l->queues || snap.ring_size != l->ring_size ||
	    snap.slot_stride != l->slot_stride)
		return IVSHMEM2_RING_BAD_LAYOUT;
	if (snap.owner_id != peer_id)
		return IVSHMEM2_RING_BAD_OWNER;
	return IVSHMEM2_RING_OK;
}

void
ivshmem2_ring_heartbeat(void *own)
{
	struct ivshmem2_net_section_header *h = own;

	__atomic_store_n(&h->heartbeat, h->heartbeat + 1, __ATOMIC_RELEASE);
}

bool
ivshmem2_ring_peer_heartbeat(const void *peer, uint32_t *beat)
{
	const struct ivshmem2_net_section_header *h = peer;

	if ((__atomic_load_n(&h->features, __ATOMIC_RELAXED) & IVSHMEM2_NET_F_HEARTBEAT) == 0)
		return false;
	*beat = __atomic_load_n(&h->heartbeat, __ATOMIC_ACQUIRE);
	return true;
}

struct ivshmem2_net_channel_header *
ivshmem2_ring_channel(void *section, uint32_t remote)
{
	return (struct ivshmem2_net_channel_header *)
		((uint8_t *)section + ivshmem2_net_channel_offset(remote));
}

enum ivshmem2_ring_check
ivshmem2_ring_channel_read(const void *peer_section, const struct ivshmem2_net_layout *l,
			   uint32_t me, struct ivshmem2_ring_peer_channel *out)
{
	const struct ivshmem2_net_channel_header *c = (const void *)
		((const uint8_t *)peer_section + ivshmem2_net_channel_offset(me));

	out->session = __atomic_load_n(&c->session, __ATOMIC_ACQUIRE);
	out->ack = __atomic_load_n(&c->ack, __ATOMIC_ACQUIRE);
	out->tx_queues = __atomic_load_n(&c->tx_queues, __ATOMIC_RELAXED);
	out->rx_queues = __atomic_load_n(&c->rx_queues, __ATOMIC_RELAXED);
	out->mtu = __atomic_load_n(&c->mtu, __ATOMIC_RELAXED);
	memcpy(out->mac, c->mac, sizeof(out->mac));
	if (out->session != 0 &&
	    (out->tx_queues > l->queues || out->rx_queues == 0 || out->rx_queues > l->queues))
		return IVSHMEM2_RING_BAD_QUEUES;
	return IVSHMEM2_RING_OK;
}

static uint8_t *
queue_area(void *section, const struct ivshmem2_net_layout *l, uint32_t owner,
	   uint32_t remote, uint32_t queue)
{
	return (uint8_t *)section + ivshmem2_net_queue_offset(l, owner, remote, queue);
}

void
ivshmem2_ring_tx_attach(struct ivshmem2_ring_tx *r, void *own, const void *peer,
			const struct ivshmem2_net_layout *l, uint32_t me, uint32_t remote,
			uint32_t queue)
{
	uint8_t *mine = queue_area(own, l, me, remote, queue);
	const struct ivshmem2_net_queue_ctrl *theirs =
		(const void *)queue_area((void *)(uintptr_t)peer, l, remote, me, queue);

	r->tail = &((struct ivshmem2_net_queue_ctrl *)mine)->tail;
	r->desc = (struct ivshmem2_net_desc *)(mine + l->desc_offset);
	r->pool_ref = (uint32_t *)(mine + l->pool_ref_offset);
	r->slots = mine + l->slot_offset;
	r->peer_head = &theirs->head;
	r->peer_wake = &theirs->wake;
	r->mask = l->ring_size - 1;
	r->peer_pool = (const uint8_t *)peer + l->pool_offset;
	r->pool_size = (uint32_t)l->pool_size;
}

void
ivshmem2_ring_rx_attach(struct ivshmem2_ring_rx *r, void *own, const void *peer,
			const struct ivshmem2_net_layout *l, uint32_t me, uint32_t remote,
			uint32_t queue)
{
	struct ivshmem2_net_queue_ctrl *mine = (void *)queue_area(own, l, me, remote, queue);
	const uint8_t *theirs = queue_area((void *)(uintptr_t)peer, l, remote, me, queue);

	r->peer_tail = &((const struct ivshmem2_net_queue_ctrl *)theirs)->tail;
	r->desc = (const struct ivshmem2_net_desc *)(theirs + l->desc_offset);
	r->pool_ref = (const uint32_t *)(theirs + l->pool_ref_offset);
	r->slots = theirs + l->slot_offset;
	r->head = &mine->head;
	r->wake = &mine->wake;
	r->mask = l->ring_size - 1;
	/* Our own computation of the peer's pool area, never a size the peer wrote. */
	r->pool = (const uint8_t *)peer + l->pool_offset;
	r->own_pool = (const uint8_t *)own + l->pool_offset;
	r->pool_size = (uint32_t)l->pool_size;
}

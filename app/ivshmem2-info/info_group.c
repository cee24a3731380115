/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/*
 * Reading the group out of the read-only mapping. Offsets come from the
 * layout only; every load is bounds-checked against the mapping and is a
 * single aligned 32-bit atomic load, as the peers' own accesses.
 */

#include <endian.h>
#include <string.h>
#include <time.h>

#include "info.h"

static uint32_t
load32(const struct info_group *g, uint64_t off)
{
	if (g->base == NULL || off > g->mapped - sizeof(uint32_t) || (off & 3) != 0)
		return 0;
	return le32toh(__atomic_load_n((const uint32_t *)(g->base + off), __ATOMIC_ACQUIRE));
}

static uint64_t
load64(const struct info_group *g, uint64_t off)
{
	return (uint64_t)load32(g, off) | (uint64_t)load32(g, off + 4) << 32;
}

const char *
info_state_name(uint32_t state)
{
	switch (state) {
	case IVSHMEM2_STATE_RESET:
		return "RESET";
	case IVSHMEM2_NET_STATE_INIT:
		return "INIT";
	case IVSHMEM2_NET_STATE_READY:
		return "READY";
	case IVSHMEM2_NET_STATE_RUN:
		return "RUN";
	}
	return NULL;
}

const char *
info_backend_name(uint32_t backend)
{
	switch (backend) {
	case IVSHMEM2_INFO_BACKEND_MEMFD:
		return "memfd";
	case IVSHMEM2_INFO_BACKEND_POSIX:
		return "posix";
	case IVSHMEM2_INFO_BACKEND_DIR:
		return "dir";
	}
	return "unknown";
}

static void
sleep_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) != 0)
		;
}

static uint32_t
load_heartbeat(const struct info_group *g, uint32_t id)
{
	return load32(g, ivshmem2_layout_output_offset(&g->layout, id) +
		      offsetof(struct ivshmem2_net_section_header, heartbeat));
}

static void
read_section_header(const struct info_group *g, uint32_t id,
		    struct ivshmem2_net_section_header *h)
{
	uint64_t off = ivshmem2_layout_output_offset(&g->layout, id);

	memset(h, 0, sizeof(*h));
	h->magic = load32(g, off + offsetof(struct ivshmem2_net_section_header, magic));
	h->version = load32(g, off + offsetof(struct ivshmem2_net_section_header, version));
	h->section_size = load64(g, off +
				 offsetof(struct ivshmem2_net_section_header, section_size));
	h->max_peers = load32(g, off + offsetof(struct ivshmem2_net_section_header, max_peers));
	h->owner_id = load32(g, off + offsetof(struct ivshmem2_net_section_header, owner_id));
	h->queues = load32(g, off + offsetof(struct ivshmem2_net_section_header, queues));
	h->ring_size = load32(g, off + offsetof(struct ivshmem2_net_section_header, ring_size));
	h->slot_stride = load32(g, off +
				offsetof(struct ivshmem2_net_section_header, slot_stride));
	h->features = load32(g, off + offsetof(struct ivshmem2_net_section_header, features));
	h->heartbeat = load_heartbeat(g, id);
}

/* The rule peers apply before they use a section (guide: "Layout of one output section"). */
static bool
section_valid(const struct info_group *g, uint32_t id,
	      const struct ivshmem2_net_section_header *h)
{
	const struct ivshmem2_net_layout *l = &g->net_layout;

	return h->magic == IVSHMEM2_NET_MAGIC && h->version == IVSHMEM2_NET_LAYOUT_VERSION &&
		h->section_size == l->section_size && h->max_peers == l->max_peers &&
		h->queues == l->queues && h->ring_size == l->ring_size &&
		h->slot_stride == l->slot_stride && h->owner_id == id;
}

static void
add_peer(struct info_group *g, uint32_t id, bool connected)
{
	struct info_peer *p = &g->peers[g->nb_peers++];

	memset(p, 0, sizeof(*p));
	p->id = id;
	p->connected = connected;
	p->state = load32(g, (uint64_t)id * IVSHMEM2_STATE_ENTRY_SIZE);
	if (g->net) {
		read_section_header(g, id, &p->hdr);
		p->section_valid = section_valid(g, id, &p->hdr);
	}
}

static void
net_layout(struct info_group *g)
{
	enum ivshmem2_net_layout_error e;

	g->net = false;
	if (g->srv.protocol != IVSHMEM2_NET_PROTOCOL) {
		g->net_reason = "not the net_ivshmem2 protocol 0x4932: sections not interpreted";
		return;
	}
	e = ivshmem2_net_layout_compute(&g->net_layout, g->layout.output_section_size,
					g->layout.max_peers);
	if (e != IVSHMEM2_NET_LAYOUT_OK) {
		g->net_reason = ivshmem2_net_layout_strerror(e);
		return;
	}
	g->net = true;
	g->net_reason = NULL;
}

void
info_group_read(struct info_group *g)
{
	bool connected[IVSHMEM2_STATE_TABLE_MAX_PEERS] = { false };
	uint32_t i, id, still, waited;

	net_layout(g);
	g->nb_peers = 0;
	for (i = 0; i < g->srv.num_peers; i++) {
		id = g->srv.peer_ids[i];
		connected[id] = true;
	}
	/* Connected peers by ID, then IDs nobody holds whose entry is not zero. */
	for (id = 0; id < g->layout.max_peers; id++)
		if (connected[id])
			add_peer(g, id, true);
	g->nb_connected = g->nb_peers;
	for (id = 0; id < g->layout.max_peers; id++)
		if (!connected[id] && load32(g, (uint64_t)id * IVSHMEM2_STATE_ENTRY_SIZE) != 0)
			add_peer(g, id, false);
	if (!g->net || g->nb_peers == 0)
		return;
	for (waited = INFO_HEARTBEAT_GAP_MS; ; waited += INFO_HEARTBEAT_STEP_MS) {
		sleep_ms(waited == INFO_HEARTBEAT_GAP_MS ? waited : INFO_HEARTBEAT_STEP_MS);
		still = 0;
		for (i = 0; i < g->nb_peers; i++) {
			struct info_peer *p = &g->peers[i];

			if (waited > INFO_HEARTBEAT_GAP_MS &&
			    p->heartbeat_later != p->hdr.heartbeat)
				continue;
			p->heartbeat_later = load_heartbeat(g, p->id);
			p->heartbeat_gap_ms = waited;
			if (p->heartbeat_later == p->hdr.heartbeat && p->section_valid &&
			    (p->hdr.features & IVSHMEM2_NET_F_HEARTBEAT) != 0)
				still++;
		}
		if (still == 0 || waited >= INFO_HEARTBEAT_MAX_MS)
			break;
	}
}

const struct info_peer *
info_group_peer(const struct info_group *g, uint32_t id)
{
	uint32_t i;

	for (i = 0; i < g->nb_connected; i++)
		if (g->peers[i].id == id)
			return &g->peers[i];
	return NULL;
}

static bool
state_up(uint32_t state)
{
	return state == IVSHMEM2_NET_STATE_READY || state == IVSHMEM2_NET_STATE_RUN;
}

/*
 * Tail and head of a live ring, written by two processes. The head is
 * read before and after the tail; a pair with the same head before and
 * after is a true snapshot. While both move, the true occupancy at the
 * tail's load lies between the two heads' values, so the ring counts as
 * inconsistent only if neither head gives 0..ring_size.
 */
static void
read_indices(const struct info_group *g, uint64_t tail_off, uint64_t head_off,
	     uint32_t ring_size, struct info_ring *r)
{
	uint32_t head1, head2, tail;
	int tries = 16;

	do {
		head1 = load32(g, head_off);
		tail = load32(g, tail_off);
		head2 = load32(g, head_off);
	} while (head1 != head2 && --tries > 0);
	r->tail = tail;
	r->head = tail - head2 <= ring_size || tail - head1 > ring_size ? head2 : head1;
	r->occupancy = r->tail - r->head;
	r->consistent = r->occupancy <= ring_size;
}

void
info_channel_read(const struct info_group *g, uint32_t owner, uint32_t remote,
		  struct info_channel *c)
{
	const struct ivshmem2_net_layout *l = &g->net_layout;
	uint64_t own = ivshmem2_layout_output_offset(&g->layout, owner);
	uint64_t rem = ivshmem2_layout_output_offset(&g->layout, remote);
	uint64_t ch = own + ivshmem2_net_channel_offset(remote);
	uint64_t back = rem + ivshmem2_net_channel_offset(owner);
	const struct info_peer *po = info_group_peer(g, owner);
	const struct info_peer *pr = info_group_peer(g, remote);
	uint32_t remote_session, remote_ack, q;
	uint64_t mac_lo, mac_hi;

	memset(c, 0, sizeof(*c));
	c->owner = owner;
	c->remote = remote;
	c->session = load32(g, ch + offsetof(struct ivshmem2_net_channel_header, session));
	c->ack = load32(g, ch + offsetof(struct ivshmem2_net_channel_header, ack));
	c->tx_queues = load32(g, ch + offsetof(struct ivshmem2_net_channel_header, tx_queues));
	c->rx_queues = load32(g, ch + offsetof(struct ivshmem2_net_channel_header, rx_queues));
	c->mtu = load32(g, ch + offsetof(struct ivshmem2_net_channel_header, mtu));
	/* mac[6] at offset 20 and reserved0 at 26: two aligned words. */
	mac_lo = load32(g, ch + offsetof(struct ivshmem2_net_channel_header, mac));
	mac_hi = load32(g, ch + offsetof(struct ivshmem2_net_channel_header, mac) + 4);
	for (q = 0; q < 4; q++)
		c->mac[q] = (uint8_t)(mac_lo >> (8 * q));
	c->mac[4] = (uint8_t)mac_hi;
	c->mac[5] = (uint8_t)(mac_hi >> 8);
	c->queues_valid = c->tx_queues <= l->queues && c->rx_queues <= l->queues;

	remote_session = load32(g, back + offsetof(struct ivshmem2_net_channel_header, session));
	remote_ack = load32(g, back + offsetof(struct ivshmem2_net_channel_header, ack));
	c->acked = c->session != 0 && remote_ack == c->session;
	c->link_up = c->acked && remote_session != 0 && c->ack == remote_session &&
		po != NULL && pr != NULL && po->section_valid && pr->section_valid &&
		state_up(po->state) && state_up(pr->state);

	for (q = 0; q < l->queues && q < IVSHMEM2_NET_MAX_QUEUES; q++) {
		struct info_ring *r = &c->rings[q];
		uint64_t prod = own + ivshmem2_net_queue_offset(l, owner, remote, q);
		uint64_t cons = rem + ivshmem2_net_queue_offset(l, remote, owner, q);

		read_indices(g, prod + offsetof(struct ivshmem2_net_queue_ctrl, tail),
			     cons + offsetof(struct ivshmem2_net_queue_ctrl, head),
			     l->ring_size, r);
		r->wake = load32(g, cons + offsetof(struct ivshmem2_net_queue_ctrl, wake));
		r->wake_valid = r->wake < g->srv.vectors;
	}
}

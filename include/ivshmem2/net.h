/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/*
 * net_ivshmem2 packet ring protocol (protocol number 0x4932, "I2").
 * doc/guides/nics/ivshmem2.rst ("Design: the ring protocol") draws the
 * layout and explains the handshake.
 *
 * Every peer writes only its own output section. For each possible remote
 * peer (a "channel") and each queue, that section holds:
 *   - the producer ring of the direction me -> remote: tail index,
 *     descriptors, pool references and fixed-size packet slots;
 *   - the consumer state of the direction remote -> me: head index and the
 *     "wake me" word, each on its own cache line.
 * Descriptor i describes slot i (i = index & (ring_size - 1)), so a consumer
 * computes every slot address itself and only checks len and flags. A
 * descriptor with IVSHMEM2_NET_DESC_POOL points instead into the producer's
 * pool area (the section's space after its queue areas), at the offset in
 * the entry's pool reference: the consumer checks offset and len against the
 * pool area it computed itself. Descriptors stay 4 bytes (16 per cache line)
 * so a copied frame moves as few descriptor lines between the cores as it can;
 * the pool references are read only for POOL entries.
 *
 * The layout follows from (output section size, max_peers) alone; both sides
 * compute it with ivshmem2_net_layout_compute(). Indices are free-running
 * 32-bit counters. All fields are little-endian; x86 and arm64 hosts only.
 *
 * Plain C11, no DPDK or QEMU includes: used by the PMD, tools and tests.
 */

#ifndef IVSHMEM2_NET_H
#define IVSHMEM2_NET_H

#include <stddef.h>
#include <stdint.h>

#include "regs.h"
#include "shmem.h"

#define IVSHMEM2_NET_PROTOCOL		0x4932u	/* user-defined range, "I2" */
#define IVSHMEM2_NET_MAGIC		0x544e3249u	/* "I2NT" little-endian */
/*
 * 2: 8-byte descriptors and pool area; 3: 4-byte descriptors, pool references
 * apart; 4: RETURN descriptors.
 */
#define IVSHMEM2_NET_LAYOUT_VERSION	4u

#define IVSHMEM2_NET_CACHE_LINE		64u
#define IVSHMEM2_NET_SLOT_SIZE		2048u	/* payload bytes per slot */
/* Slots are one cache line further apart than their size so that the
 * headers of consecutive slots do not all fall into the same cache sets.
 */
#define IVSHMEM2_NET_SLOT_STRIDE	(IVSHMEM2_NET_SLOT_SIZE + IVSHMEM2_NET_CACHE_LINE)
#define IVSHMEM2_NET_MAX_QUEUES		8u	/* queue pairs per channel, at most */
#define IVSHMEM2_NET_MIN_RING		64u	/* smaller sections are refused */
#define IVSHMEM2_NET_PREF_RING		1024u	/* queues are halved until rings reach it */
#define IVSHMEM2_NET_MAX_RING		1024u
/* Largest frame (Ethernet header to payload end, no FCS). */
#define IVSHMEM2_NET_MAX_FRAME		9216u
#define IVSHMEM2_NET_MAX_CHAIN \
	((IVSHMEM2_NET_MAX_FRAME + IVSHMEM2_NET_SLOT_SIZE - 1) / IVSHMEM2_NET_SLOT_SIZE)
#define IVSHMEM2_NET_HEADER_ALIGN	4096u
#define IVSHMEM2_NET_POOL_ALIGN		4096u
/* Pool offsets are 32-bit: a larger section leaves the rest unused. */
#define IVSHMEM2_NET_POOL_MAX		UINT32_MAX

/*
 * Values of a peer's state-table entry beyond IVSHMEM2_STATE_RESET (shmem.h:
 * 0, gone or reset, written by the server and the device).
 */
#define IVSHMEM2_NET_STATE_INIT		1u	/* section being initialised */
#define IVSHMEM2_NET_STATE_READY	2u	/* section valid, no port started */
#define IVSHMEM2_NET_STATE_RUN		3u	/* section valid, a port started */

/* Interrupt vectors: IVSHMEM2_VECTOR_STATE (regs.h) = state/handshake change, 1.. = rx queues. */
#define IVSHMEM2_NET_VECTOR_RXQ_BASE	1u

/*
 * Section features (section header). HEARTBEAT: the owner increments
 * "heartbeat" every IVSHMEM2_NET_HEARTBEAT_MS while its process runs; a peer
 * whose counter stood still for IVSHMEM2_NET_HEARTBEAT_TIMEOUT_MS is dead
 * (e.g. killed while its state entry stays RUN, as a guest's device does).
 */
#define IVSHMEM2_NET_F_HEARTBEAT	0x0001u
#define IVSHMEM2_NET_HEARTBEAT_MS	100u
#define IVSHMEM2_NET_HEARTBEAT_TIMEOUT_MS	3000u

/* Descriptor flags. */
#define IVSHMEM2_NET_DESC_MORE		0x0001u	/* frame continues in the next entry */
#define IVSHMEM2_NET_DESC_POOL		0x0002u	/* bytes at offset in the pool area */
#define IVSHMEM2_NET_DESC_RETURN	0x0004u	/* bytes at offset in the consumer's pool area */
#define IVSHMEM2_NET_DESC_FLAGS_KNOWN \
	(IVSHMEM2_NET_DESC_MORE | IVSHMEM2_NET_DESC_POOL | IVSHMEM2_NET_DESC_RETURN)

/*
 * One per ring entry, in the producer's section; written and read as one
 * 32-bit word. Without POOL the bytes are in the entry's slot and len is
 * 1..IVSHMEM2_NET_SLOT_SIZE; with POOL they are at pool_offset + the entry's
 * pool reference (a u32 in the queue area's pool_ref[] array, written before
 * the descriptor) in the producer's section, len 1..IVSHMEM2_NET_MAX_FRAME,
 * and the producer does not reuse them before the consumer's head passed
 * the entry. RETURN is POOL with the roles swapped: the bytes lie in the
 * consumer's own pool area, where the consumer posted them as a POOL entry
 * that the producer received without a copy and now sends back. The
 * consumer's own entry stays unconsumed until the producer's is, so the
 * bytes cannot change before the consumer read them; and a wrong offset
 * makes the consumer read only its own memory. A producer sends RETURN only
 * for bytes nothing else of its own refers to any more: the consumer may
 * reuse the buffer as soon as it read the entry (net_ivshmem2 hands out the
 * mbuf that posted it, without a copy).
 */
struct ivshmem2_net_desc {
	uint16_t len;		/* bytes of this segment */
	uint16_t flags;		/* IVSHMEM2_NET_DESC_* */
};

/* Start of every output section. */
struct ivshmem2_net_section_header {
	uint32_t magic;		/* IVSHMEM2_NET_MAGIC once the section is valid */
	uint32_t version;	/* IVSHMEM2_NET_LAYOUT_VERSION */
	uint64_t section_size;	/* output section size the owner used */
	uint32_t max_peers;
	uint32_t owner_id;	/* peer ID that owns this section */
	uint32_t queues;	/* queue pairs per channel (layout) */
	uint32_t ring_size;	/* entries per ring (layout) */
	uint32_t slot_stride;	/* IVSHMEM2_NET_SLOT_STRIDE */
	uint32_t features;	/* IVSHMEM2_NET_F_*; 0 in sections of older peers */
	uint32_t heartbeat;	/* IVSHMEM2_NET_F_HEARTBEAT: owner's liveness counter */
	uint32_t reserved[5];
};

/*
 * Per remote peer, indexed by the remote peer's ID, right after the section
 * header. Link up for the pair (A, B) when A.session != 0, B.session != 0,
 * A.ack == B.session and B.ack == A.session.
 */
struct ivshmem2_net_channel_header {
	uint32_t session;	/* 0: port towards that peer stopped; else unique per start */
	uint32_t ack;		/* that peer's session this side has accepted */
	uint32_t tx_queues;	/* producer rings in use towards that peer */
	uint32_t rx_queues;	/* rx queues polling that peer's rings */
	uint32_t mtu;
	uint8_t mac[6];
	uint16_t reserved0;
	uint32_t reserved[9];
};

/* Start of each (channel, queue) area: three cache lines, one writer each. */
struct ivshmem2_net_queue_ctrl {
	uint32_t tail;		/* producer index of the ring me -> remote */
	uint8_t pad0[IVSHMEM2_NET_CACHE_LINE - 4];
	uint32_t head;		/* consumer index of the ring remote -> me */
	uint8_t pad1[IVSHMEM2_NET_CACHE_LINE - 4];
	uint32_t wake;		/* 0: polling; else the vector to ring after a publish */
	uint8_t pad2[IVSHMEM2_NET_CACHE_LINE - 4];
};

_Static_assert(sizeof(struct ivshmem2_net_desc) == 4, "desc size");
_Static_assert(offsetof(struct ivshmem2_net_desc, flags) == 2, "desc.flags");
_Static_assert(IVSHMEM2_NET_MAX_FRAME <= UINT16_MAX, "a pool segment's len is 16-bit");
_Static_assert(sizeof(struct ivshmem2_net_section_header) == 64, "section header size");
_Static_assert(offsetof(struct ivshmem2_net_section_header, section_size) == 8, "section_size");
_Static_assert(offsetof(struct ivshmem2_net_section_header, max_peers) == 16, "max_peers");
_Static_assert(offsetof(struct ivshmem2_net_section_header, owner_id) == 20, "owner_id");
_Static_assert(offsetof(struct ivshmem2_net_section_header, queues) == 24, "queues");
_Static_assert(offsetof(struct ivshmem2_net_section_header, ring_size) == 28, "ring_size");
_Static_assert(offsetof(struct ivshmem2_net_section_header, slot_stride) == 32, "slot_stride");
_Static_assert(offsetof(struct ivshmem2_net_section_header, features) == 36, "features");
_Static_assert(offsetof(struct ivshmem2_net_section_header, heartbeat) == 40, "heartbeat");
_Static_assert(sizeof(struct ivshmem2_net_channel_header) == 64, "channel header size");
_Static_assert(offsetof(struct ivshmem2_net_channel_header, ack) == 4, "ack");
_Static_assert(offsetof(struct ivshmem2_net_channel_header, tx_queues) == 8, "tx_queues");
_Static_assert(offsetof(struct ivshmem2_net_channel_header, rx_queues) == 12, "rx_queues");
_Static_assert(offsetof(struct ivshmem2_net_channel_header, mtu) == 16, "mtu");
_Static_assert(offsetof(struct ivshmem2_net_channel_header, mac) == 20, "mac");
_Static_assert(sizeof(struct ivshmem2_net_queue_ctrl) == 3 * IVSHMEM2_NET_CACHE_LINE, "ctrl");
_Static_assert(offsetof(struct ivshmem2_net_queue_ctrl, head) == 64, "ctrl.head");
_Static_assert(offsetof(struct ivshmem2_net_queue_ctrl, wake) == 128, "ctrl.wake");
_Static_assert(IVSHMEM2_NET_MAX_CHAIN == 5, "jumbo chain length");

/* Where everything is inside one output section (same for every peer). */
struct ivshmem2_net_layout {
	uint64_t section_size;
	uint32_t max_peers;
	uint32_t queues;	/* queue pairs per channel */
	uint32_t ring_size;	/* power of two */
	uint32_t slot_stride;
	uint64_t header_size;	/* section header + channel headers, 4 KiB aligned */
	uint64_t desc_offset;	/* inside a queue area: desc[ring_size] */
	uint64_t pool_ref_offset; /* inside a queue area: u32 pool_ref[ring_size] */
	uint64_t slot_offset;	/* inside a queue area */
	uint64_t queue_stride;	/* bytes per (channel, queue) area */
	uint64_t pool_offset;	/* pool area: after the last queue area, 4 KiB aligned */
	uint64_t pool_size;	/* to the section end, <= IVSHMEM2_NET_POOL_MAX; may be 0 */
};

enum ivshmem2_net_layout_error {
	IVSHMEM2_NET_LAYOUT_OK = 0,
	IVSHMEM2_NET_LAYOUT_BAD_PEERS,		/* max_peers < 2 or > 1024 */
	IVSHMEM2_NET_LAYOUT_TOO_SMALL,		/* not even IVSHMEM2_NET_MIN_RING fits */
};

static inline const char *
ivshmem2_net_layout_strerror(enum ivshmem2_net_layout_error err)
{
	switch (err) {
	case IVSHMEM2_NET_LAYOUT_OK:
		return "ok";
	case IVSHMEM2_NET_LAYOUT_BAD_PEERS:
		return "max_peers must be 2..1024";
	case IVSHMEM2_NET_LAYOUT_TOO_SMALL:
		return "output section too small for one 64-slot ring per peer";
	}
	return "unknown net layout error";
}

static inline uint64_t
ivshmem2_net_align(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* Offset of the pool references in a queue area for a ring of @ring entries. */
static inline uint64_t
ivshmem2_net_pool_ref_offset(uint32_t ring)
{
	return ivshmem2_net_align(sizeof(struct ivshmem2_net_queue_ctrl) +
				  (uint64_t)ring * sizeof(struct ivshmem2_net_desc),
				  IVSHMEM2_NET_CACHE_LINE);
}

/* Offset of the slots in a queue area for a ring of @ring entries. */
static inline uint64_t
ivshmem2_net_slot_offset(uint32_t ring)
{
	return ivshmem2_net_align(ivshmem2_net_pool_ref_offset(ring) +
				  (uint64_t)ring * sizeof(uint32_t), IVSHMEM2_NET_CACHE_LINE);
}

/* Bytes of one (channel, queue) area for a ring of @ring entries. */
static inline uint64_t
ivshmem2_net_queue_area(uint32_t ring)
{
	return ivshmem2_net_slot_offset(ring) + (uint64_t)ring * IVSHMEM2_NET_SLOT_STRIDE;
}

/* Largest power-of-two ring (<= MAX_RING) whose area fits in @budget; 0 if none. */
static inline uint32_t
ivshmem2_net_ring_fit(uint64_t budget)
{
	uint32_t ring = IVSHMEM2_NET_MAX_RING;

	while (ring >= IVSHMEM2_NET_MIN_RING) {
		if (ivshmem2_net_queue_area(ring) <= budget)
			return ring;
		ring >>= 1;
	}
	return 0;
}

/*
 * Derive the layout of an output section of @section_size bytes in a group of
 * @max_peers. Channels: max_peers - 1 (one per other peer). Queue pairs per
 * channel: the largest of 8, 4, 2, 1 that still gives rings of
 * IVSHMEM2_NET_PREF_RING entries, else 1 with the largest ring that fits.
 * Overflow-safe for any input.
 */
static inline enum ivshmem2_net_layout_error
ivshmem2_net_layout_compute(struct ivshmem2_net_layout *l, uint64_t section_size,
			    uint32_t max_peers)
{
	uint64_t header, per_channel, end;
	uint32_t queues, ring = 0;

	if (max_peers < 2 || max_peers > 1024)
		return IVSHMEM2_NET_LAYOUT_BAD_PEERS;
	header = ivshmem2_net_align(sizeof(struct ivshmem2_net_section_header) +
				    (uint64_t)max_peers *
				    sizeof(struct ivshmem2_net_channel_header),
				    IVSHMEM2_NET_HEADER_ALIGN);
	if (section_size <= header)
		return IVSHMEM2_NET_LAYOUT_TOO_SMALL;
	per_channel = (section_size - header) / (max_peers - 1);
	for (queues = IVSHMEM2_NET_MAX_QUEUES; queues >= 1; queues >>= 1) {
		ring = ivshmem2_net_ring_fit(per_channel / queues);
		if (ring >= IVSHMEM2_NET_PREF_RING || queues == 1)
			break;
	}
	if (ring == 0)
		return IVSHMEM2_NET_LAYOUT_TOO_SMALL;

	l->section_size = section_size;
	l->max_peers = max_peers;
	l->queues = queues;
	l->ring_size = ring;
	l->slot_stride = IVSHMEM2_NET_SLOT_STRIDE;
	l->header_size = header;
	l->desc_offset = sizeof(struct ivshmem2_net_queue_ctrl);
	l->pool_ref_offset = ivshmem2_net_pool_ref_offset(ring);
	l->slot_offset = ivshmem2_net_slot_offset(ring);
	l->queue_stride = ivshmem2_net_queue_area(ring);
	/* The queue areas fit (ring_fit), so end <= section_size. */
	end = header + (uint64_t)(max_peers - 1) * queues * l->queue_stride;
	l->pool_offset = ivshmem2_net_align(end, IVSHMEM2_NET_POOL_ALIGN);
	if (l->pool_offset >= section_size) {
		l->pool_offset = section_size;
		l->pool_size = 0;
	} else {
		l->pool_size = section_size - l->pool_offset;
		if (l->pool_size > IVSHMEM2_NET_POOL_MAX)
			l->pool_size = IVSHMEM2_NET_POOL_MAX;
	}
	return IVSHMEM2_NET_LAYOUT_OK;
}

/* Channel index of @remote inside @owner's section (own ID has no channel). */
static inline uint32_t
ivshmem2_net_channel_index(uint32_t owner, uint32_t remote)
{
	return remote < owner ? remote : remote - 1;
}

/* Offset of the (remote, queue) area inside @owner's section. */
static inline uint64_t
ivshmem2_net_queue_offset(const struct ivshmem2_net_layout *l, uint32_t owner,
			  uint32_t remote, uint32_t queue)
{
	uint64_t area = (uint64_t)ivshmem2_net_channel_index(owner, remote) * l->queues + queue;

	return l->header_size + area * l->queue_stride;
}

/* Offset of the channel header for @remote inside any section. */
static inline uint64_t
ivshmem2_net_channel_offset(uint32_t remote)
{
	return sizeof(struct ivshmem2_net_section_header) +
		(uint64_t)remote * sizeof(struct ivshmem2_net_channel_header);
}

#endif /* IVSHMEM2_NET_H */

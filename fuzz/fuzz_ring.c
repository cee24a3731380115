/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/*
 * The ring module (drivers/net/ivshmem2/ivshmem2_ring.[ch]) against a peer
 * section whose bytes come from the fuzzer, plus the layout arithmetic of
 * include/ivshmem2/{shmem,net}.h for any (memory size, peers, section size)
 * a server may announce.
 *
 * Input: a fixed prefix (layout variant, own and remote ID, consumer index,
 * a layout to compute), then records that write the peer section: header,
 * channel header, producer tails, descriptors, raw bytes anywhere, or a
 * well-formed header/frames to start from. Then every consumer-side entry
 * point runs over the section and its results are checked against an
 * independent reading of the protocol (include/ivshmem2/net.h):
 *  - section check and channel read accept only what the layout allows;
 *  - rx_attach resolves every pointer inside the sections;
 *  - avail/free stay within the ring; frame_scan agrees with the reference
 *    scan below, and the slot bytes of every accepted frame are read (the
 *    sections end at a PROT_NONE page, so a read past them faults).
 */

#include <inttypes.h>

#include "fuzz_sections.h"
#include "ivshmem2_ring.h"

static volatile uint32_t sink;	/* keeps the slot reads */

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_sections_init();
	return 0;
}

/* Layout arithmetic for what a server may announce: everything stays inside. */
static void
check_layouts(uint64_t section_size, uint32_t peers, uint64_t shm_size, uint64_t out_size,
	      uint8_t page_shift)
{
	struct ivshmem2_net_layout l;
	struct ivshmem2_layout sl;
	uint64_t page = 1ull << (page_shift % 64);

	if (ivshmem2_net_layout_compute(&l, section_size, peers) == IVSHMEM2_NET_LAYOUT_OK) {
		uint64_t last;

		FUZZ_CHECK(peers >= 2 && peers <= 1024, "peers %u", peers);
		FUZZ_CHECK(l.queues == 1 || l.queues == 2 || l.queues == 4 || l.queues == 8,
			   "queues %u", l.queues);
		FUZZ_CHECK(l.ring_size >= IVSHMEM2_NET_MIN_RING &&
			   l.ring_size <= IVSHMEM2_NET_MAX_RING &&
			   (l.ring_size & (l.ring_size - 1)) == 0, "ring %u", l.ring_size);
		FUZZ_CHECK(ivshmem2_net_channel_offset(peers - 1) +
			   sizeof(struct ivshmem2_net_channel_header) <= l.header_size,
			   "channel headers overlap the queues");
		FUZZ_CHECK(l.desc_offset >= sizeof(struct ivshmem2_net_queue_ctrl) &&
			   l.desc_offset + (uint64_t)l.ring_size * sizeof(struct ivshmem2_net_desc) <=
			   l.slot_offset &&
			   l.slot_offset + (uint64_t)l.ring_size * l.slot_stride <= l.queue_stride,
			   "queue area");
		/* The last area of the last channel ends inside the section. */
		last = ivshmem2_net_queue_offset(&l, peers - 1, peers - 2, l.queues - 1);
		FUZZ_CHECK(last >= l.header_size && last + l.queue_stride <= section_size,
			   "area at %" PRIu64 "+%" PRIu64 " outside %" PRIu64, last,
			   l.queue_stride, section_size);
		last = ivshmem2_net_queue_offset(&l, 0, peers - 1, l.queues - 1);
		FUZZ_CHECK(last + l.queue_stride <= section_size, "area of owner 0");
	}
	if (ivshmem2_layout_compute(&sl, shm_size, peers, out_size, page) == IVSHMEM2_LAYOUT_OK) {
		FUZZ_CHECK(sl.rw_section_offset == IVSHMEM2_STATE_TABLE_SIZE &&
			   sl.rw_section_offset + sl.rw_section_size == sl.output_section_offset,
			   "R/W section");
		FUZZ_CHECK(sl.output_section_offset >= IVSHMEM2_STATE_TABLE_SIZE &&
			   sl.output_section_offset <= shm_size &&
			   (uint64_t)peers * out_size == shm_size - sl.output_section_offset,
			   "output sections at %" PRIu64 " in %" PRIu64,
			   sl.output_section_offset, shm_size);
		FUZZ_CHECK(ivshmem2_layout_output_offset(&sl, peers - 1) + out_size == shm_size,
			   "last output section");
	}
}

static void
consume(struct fuzz_variant *v, uint32_t me, uint32_t remote, uint32_t queue, uint32_t head)
{
	const struct ivshmem2_net_layout *l = &v->l;
	struct ivshmem2_ring_rx r;
	uint32_t tail, avail, idx;

	ivshmem2_ring_rx_attach(&r, v->own, v->peer, l, me, remote, queue);
	FUZZ_CHECK(fuzz_inside(r.peer_tail, 4, v->peer, l->section_size), "peer tail");
	FUZZ_CHECK(fuzz_inside(r.desc, (uint64_t)l->ring_size * sizeof(struct ivshmem2_net_desc),
			       v->peer, l->section_size), "descs");
	FUZZ_CHECK(fuzz_inside(r.slots, (uint64_t)l->ring_size * l->slot_stride, v->peer,
			  l->section_size), "slots");
	FUZZ_CHECK(fuzz_inside(r.head, 4, v->own, l->section_size) &&
		   fuzz_inside(r.wake, 4, v->own, l->section_size), "own words");
	FUZZ_CHECK(r.mask == l->ring_size - 1, "mask");

	tail = __atomic_load_n(r.peer_tail, __ATOMIC_ACQUIRE);
	avail = ivshmem2_ring_avail(tail, head, l->ring_size);
	FUZZ_CHECK(avail == UINT32_MAX ? tail - head > l->ring_size : avail == tail - head,
		   "avail %u for tail %u head %u", avail, tail, head);
	FUZZ_CHECK(ivshmem2_ring_free(tail, head, l->ring_size) <= l->ring_size, "free");
	FUZZ_CHECK(ivshmem2_ring_free(tail, head, l->ring_size) ==
		   (avail == UINT32_MAX ? 0 : l->ring_size - avail), "free vs avail");
	if (avail == UINT32_MAX)
		return;
	*r.head = head;
	idx = head;
	while (avail > 0) {
		struct ivshmem2_ring_frame f;
		uint32_t want_len, want_slots, want_own, i, sum = 0;
		bool ok;

		want_slots = fuzz_ref_scan(r.desc, r.pool_ref, r.mask, idx, avail, r.pool_size,
					   &want_len, NULL, NULL, &want_own);
		memset(&f, 0xa5, sizeof(f));
		ok = ivshmem2_ring_frame_scan(r.desc, r.pool_ref, r.mask, idx, avail, r.pool_size,
					      &f);
		FUZZ_CHECK(f.nb_slots >= 1 && f.nb_slots <= avail &&
			   f.nb_slots <= IVSHMEM2_NET_MAX_CHAIN, "nb_slots %u of %u", f.nb_slots,
			   avail);
		FUZZ_CHECK(f.nb_slots == want_slots, "scan skips %u slots, reference %u",
			   f.nb_slots, want_slots);
		FUZZ_CHECK(ok == (want_len != 0), "scan says %s, reference len %u",
			   ok ? "valid" : "bad", want_len);
		if (ok) {
			FUZZ_CHECK(f.len == want_len, "len %u, reference %u", f.len, want_len);
			FUZZ_CHECK(f.own_segs == want_own, "RETURN segments %#x, reference %#x",
				   f.own_segs, want_own);
			for (i = 0; i < f.nb_slots; i++) {
				const uint8_t *s = ivshmem2_ring_seg_src(&r, &f, idx, i);
				bool pool = f.seg_off[i] != IVSHMEM2_RING_SEG_SLOT;
				bool back = (f.own_segs >> i) & 1;
				const uint8_t *sec = back ? v->own : v->peer;
				uint32_t k;

				FUZZ_CHECK(f.seg_len[i] >= 1 &&
					   f.seg_len[i] <= (pool ? IVSHMEM2_NET_MAX_FRAME :
							    IVSHMEM2_NET_SLOT_SIZE), "seg_len %u",
					   f.seg_len[i]);
				FUZZ_CHECK(fuzz_inside(s, f.seg_len[i], sec, l->section_size),
					   "segment of index %u", idx + i);
				/* A pool segment lies in the pool area, past every ring. */
				FUZZ_CHECK(!pool || fuzz_inside(s, f.seg_len[i],
								sec + l->pool_offset, l->pool_size),
					   "pool segment %u", idx + i);
				FUZZ_CHECK(!back || pool, "RETURN segment %u outside the pool",
					   idx + i);
				FUZZ_CHECK(pool || ivshmem2_ring_slot_index(r.slots, l->ring_size, s) ==
					   ((idx + i) & r.mask), "slot index");
				for (k = 0; k < f.seg_len[i]; k += 64)
					sink += s[k];
				sink += s[f.seg_len[i] - 1];
				sum += f.seg_len[i];
			}
			FUZZ_CHECK(sum == f.len && f.len <= IVSHMEM2_NET_MAX_FRAME, "sum %u len %u",
				   sum, f.len);
		} else {
			FUZZ_CHECK(f.len == 0, "bad frame with len %u", f.len);
		}
		idx += f.nb_slots;
		avail -= f.nb_slots;
	}
	/* Addresses that are not slot starts are refused by slot_index. */
	FUZZ_CHECK(ivshmem2_ring_slot_index(r.slots, l->ring_size, r.slots + 1) == UINT32_MAX &&
		   ivshmem2_ring_slot_index(r.slots, l->ring_size, r.slots - l->slot_stride) ==
		   UINT32_MAX &&
		   ivshmem2_ring_slot_index(r.slots, l->ring_size,
					    r.slots + (uint64_t)l->ring_size * l->slot_stride) ==
		   UINT32_MAX, "slot_index accepts a non-slot");
	*r.head = idx;
}

/* A section header that matches @v's layout, as the owner @id writes it. */
static void
write_header(struct fuzz_variant *v, uint32_t id)
{
	struct ivshmem2_net_section_header h = {
		.magic = IVSHMEM2_NET_MAGIC,
		.version = IVSHMEM2_NET_LAYOUT_VERSION,
		.section_size = v->l.section_size,
		.max_peers = v->l.max_peers,
		.owner_id = id,
		.queues = v->l.queues,
		.ring_size = v->l.ring_size,
		.slot_stride = v->l.slot_stride,
		.features = IVSHMEM2_NET_F_HEARTBEAT,
	};

	fuzz_patch(v, 0, &h, sizeof(h));
}

/* Well-formed frames of the given lengths at the tail of (remote -> me, q). */
static void
write_frames(struct fuzz_variant *v, struct fuzz_in *in, uint32_t me, uint32_t remote, uint32_t q)
{
	uint64_t area = ivshmem2_net_queue_offset(&v->l, remote, me, q);
	uint32_t tail, n = fuzz_u8(in) % 16, mask = v->l.ring_size - 1;

	memcpy(&tail, v->peer + area, sizeof(tail));
	while (n-- > 0) {
		uint32_t len = fuzz_u16(in) % (IVSHMEM2_NET_MAX_FRAME + 1);

		if (len == 0)
			len = 60;
		while (len > 0) {
			struct ivshmem2_net_desc d;
			uint32_t seg = len > IVSHMEM2_NET_SLOT_SIZE ? IVSHMEM2_NET_SLOT_SIZE : len;
			uint32_t ref = 0;

			d.len = (uint16_t)seg;
			d.flags = len > seg ? IVSHMEM2_NET_DESC_MORE : 0;
			/* Some segments in the pool area, at any offset (in range or not). */
			if (fuzz_u8(in) & 1) {
				uint8_t kind = fuzz_u8(in);

				/* The producer's pool, ours (RETURN), or both flags (bad). */
				d.flags |= kind & 1 ? IVSHMEM2_NET_DESC_RETURN :
						      IVSHMEM2_NET_DESC_POOL;
				if ((kind & 6) == 6)
					d.flags |= IVSHMEM2_NET_DESC_POOL;
				ref = fuzz_u8(in) & 1 ? fuzz_u32(in) :
				      fuzz_u32(in) % (uint32_t)(v->l.pool_size + 1);
			}
			fuzz_put_entry(v, area, tail & mask, &d, ref);
			len -= seg;
			tail++;
		}
	}
	fuzz_patch(v, area, &tail, sizeof(tail));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct ivshmem2_ring_peer_channel ch;
	enum ivshmem2_ring_check c;
	struct fuzz_variant *v;
	uint32_t me, remote, head, q, beat;
	uint8_t buf[256];

	v = &fuzz_variants[fuzz_u8(&in) % FUZZ_NB_VARIANTS];
	me = fuzz_u8(&in) % v->peers;
	remote = fuzz_u8(&in) % v->peers;
	if (remote == me)
		remote = (me + 1) % v->peers;
	head = fuzz_u32(&in);
	{
		uint64_t section_size = fuzz_u64(&in);
		uint32_t peers = fuzz_u32(&in);
		uint64_t shm_size = fuzz_u64(&in);
		uint64_t out_size = fuzz_u64(&in);

		check_layouts(section_size, peers, shm_size, out_size, fuzz_u8(&in));
	}

	while (fuzz_more(&in)) {
		uint8_t op = fuzz_u8(&in);
		uint32_t n, k, qq;
		uint64_t off;

		switch (op % 8) {
		case 0:		/* section header bytes */
			n = fuzz_u8(&in) % (sizeof(struct ivshmem2_net_section_header) + 1);
			fuzz_bytes(&in, buf, n);
			fuzz_patch(v, 0, buf, n);
			break;
		case 1:		/* our channel header in the peer's section */
			n = fuzz_u8(&in) % (sizeof(struct ivshmem2_net_channel_header) + 1);
			fuzz_bytes(&in, buf, n);
			fuzz_patch(v, ivshmem2_net_channel_offset(me), buf, n);
			break;
		case 2:		/* a producer tail */
			qq = fuzz_u8(&in) % v->l.queues;
			k = fuzz_u32(&in);
			fuzz_patch(v, ivshmem2_net_queue_offset(&v->l, remote, me, qq), &k, 4);
			break;
		case 3:		/* the tail moves by a little */
			qq = fuzz_u8(&in) % v->l.queues;
			off = ivshmem2_net_queue_offset(&v->l, remote, me, qq);
			memcpy(&k, v->peer + off, 4);
			k += (uint32_t)(int8_t)fuzz_u8(&in);
			fuzz_patch(v, off, &k, 4);
			break;
		case 4:		/* descriptors and their pool references */
			qq = fuzz_u8(&in) % v->l.queues;
			k = fuzz_u16(&in);
			n = fuzz_u8(&in) % 32;
			off = ivshmem2_net_queue_offset(&v->l, remote, me, qq);
			while (n-- > 0) {
				uint32_t d = fuzz_u32(&in);

				fuzz_put_entry(v, off, k++ & (v->l.ring_size - 1), &d, fuzz_u32(&in));
			}
			break;
		case 5:		/* raw bytes anywhere */
			off = fuzz_u32(&in) % v->l.section_size;
			n = fuzz_u8(&in);
			fuzz_bytes(&in, buf, n);
			fuzz_patch(v, off, buf, n);
			break;
		case 6:		/* a valid header to start from */
			write_header(v, fuzz_u8(&in) & 1 ? remote : me);
			break;
		case 7:		/* valid frames */
			write_frames(v, &in, me, remote, fuzz_u8(&in) % v->l.queues);
			break;
		}
	}

	c = ivshmem2_ring_section_check(v->peer, &v->l, remote);
	if (c == IVSHMEM2_RING_OK) {
		const struct ivshmem2_net_section_header *h = (const void *)v->peer;

		FUZZ_CHECK(h->magic == IVSHMEM2_NET_MAGIC &&
			   h->version == IVSHMEM2_NET_LAYOUT_VERSION &&
			   h->section_size == v->l.section_size && h->max_peers == v->l.max_peers &&
			   h->queues == v->l.queues && h->ring_size == v->l.ring_size &&
			   h->slot_stride == v->l.slot_stride && h->owner_id == remote,
			   "section accepted with another layout");
	}
	FUZZ_CHECK(ivshmem2_ring_check_str(c) != NULL, "check string");
	c = ivshmem2_ring_channel_read(v->peer, &v->l, me, &ch);
	if (c == IVSHMEM2_RING_OK && ch.session != 0)
		FUZZ_CHECK(ch.rx_queues >= 1 && ch.rx_queues <= v->l.queues &&
			   ch.tx_queues <= v->l.queues, "channel with %u tx, %u rx queues accepted",
			   ch.tx_queues, ch.rx_queues);
	if (ivshmem2_ring_peer_heartbeat(v->peer, &beat))
		sink += beat;
	for (q = 0; q < v->l.queues; q++)
		consume(v, me, remote, q, head);
	fuzz_sections_clean(v);
	return 0;
}

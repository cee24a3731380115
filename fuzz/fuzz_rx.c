/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/*
 * The real rx burst (drivers/net/ivshmem2/ivshmem2_rx.c) over a peer
 * section whose bytes come from the fuzzer, in copy and zero-copy mode, on
 * a queue set up the way ivshmem2_ethdev.c and ivshmem2_link.c set it up
 * (as drivers/net/ivshmem2/tests/ivshmem2_tx_test.c does for tx: DPDK mbufs, no port).
 *
 * Input: a prefix (mode, layout variant, IDs, producer rings in use, where
 * the rings start), then steps: the peer writes tails, descriptors, bytes or
 * well-formed frames; the application bursts, frees mbufs in any order, or
 * holds them; the control path takes the link down and up (same or new
 * pairing); the application arms its wake-up words.
 *
 * A model of the queue (written from the protocol of net.h and the rules in
 * ivshmem2_rxtx.h, not from the burst's code) checks after every call:
 *  - nothing outside the sections is read (they end at PROT_NONE pages and
 *    the bookkeeping arrays are malloc'ed for ASan);
 *  - the mbufs returned are exactly the valid frames between the old and
 *    the new read index, in order, with the scanned lengths and (copy) the
 *    slot bytes or (zero-copy) the slots themselves attached;
 *  - "rejected" grew by the number of bad descriptor chains skipped,
 *    "bad_index" by one for a tail outside the ring;
 *  - the head we publish never passes a slot the application still holds,
 *    and catches up once it frees them;
 *  - no mbuf leaks (the pools have no cache: their counts are exact).
 */

#include <inttypes.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "fuzz_sections.h"
#include "ivshmem2_rxtx.h"

#define POOL_SIZE	1023u
#define MAX_HELD	64u	/* zero-copy frames the application holds at most */
#define MAX_STEPS	512u

static struct rte_mempool *pool_big;	/* 2048-byte data room: a slot fits */
static struct rte_mempool *pool_small;	/* 512 bytes: frames span mbufs */

/* One frame the application holds (zero-copy). */
struct held {
	struct rte_mbuf *m;
	uint16_t src;
	uint32_t first;		/* free-running index of its first slot */
	uint32_t nb_slots;
};

/* What the queue must look like, kept apart from the queue. */
struct model {
	uint32_t gen;			/* generation the model's rings belong to */
	uint32_t pairing[IVSHMEM2_NET_MAX_QUEUES];	/* the rd and head of each source */
	uint16_t nb_src;
	uint16_t next_src;
	uint32_t rd[IVSHMEM2_NET_MAX_QUEUES];
	uint32_t head[IVSHMEM2_NET_MAX_QUEUES];
	const uint32_t *tail_ptr[IVSHMEM2_NET_MAX_QUEUES];	/* ring in use, NULL: none */
	struct held held[MAX_HELD + 64];	/* + one burst, until trimmed */
	unsigned int nb_held;
	uint64_t rejected, bad_index;
};

static struct ivshmem2_rxq rxq __rte_cache_aligned;
static uint32_t link_gen;
static uint64_t nombuf;
static uint32_t pairing;	/* the port's (ivshmem2_link.h) */
static uint32_t rx_start[IVSHMEM2_NET_MAX_QUEUES];
static struct model mdl;
static struct rte_mbuf *hog[POOL_SIZE];
static unsigned int nb_hog;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *eal_argv[] = {
		(*argv)[0], "--no-shconf", "--no-huge", "--no-pci", "-m", "64", "-l", "0",
		"--log-level=*:1", NULL,
	};

	(void)argc;
	rte_log_set_global_level(RTE_LOG_EMERG);
	if (rte_eal_init(RTE_DIM(eal_argv) - 1, eal_argv) < 0) {
		fprintf(stderr, "fuzz_rx: EAL init failed: %s\n", rte_strerror(rte_errno));
		abort();
	}
	pool_big = rte_pktmbuf_pool_create("fuzz_big", POOL_SIZE, 0, 0,
					   RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	pool_small = rte_pktmbuf_pool_create("fuzz_small", POOL_SIZE, 0, 0,
					     512 + RTE_PKTMBUF_HEADROOM, SOCKET_ID_ANY);
	if (pool_big == NULL || pool_small == NULL) {
		fprintf(stderr, "fuzz_rx: mempools: %s\n", rte_strerror(rte_errno));
		abort();
	}
	fuzz_sections_init();
	return 0;
}

static void
queue_setup(struct fuzz_variant *v, bool zc, struct rte_mempool *mp)
{
	memset(&rxq, 0, sizeof(rxq));
	rxq.mp = mp;
	rxq.mbuf_initializer = ivshmem2_mbuf_initializer(0);
	rxq.data_room = rte_pktmbuf_data_room_size(mp) - RTE_PKTMBUF_HEADROOM;
	rxq.link_gen = &link_gen;
	rxq.gen = IVSHMEM2_GEN_NONE;
	rxq.ring_size = v->l.ring_size;
	rxq.vector = IVSHMEM2_NET_VECTOR_RXQ_BASE;
	rxq.nombuf = &nombuf;
	rxq.zero_copy = zc;
	rxq.iova_is_va = false;
	if (zc && ivshmem2_rxq_zc_alloc(&rxq, SOCKET_ID_ANY) != 0)
		abort();
	link_gen = 0;
	nombuf = 0;
	memset(&mdl, 0, sizeof(mdl));
	mdl.gen = IVSHMEM2_GEN_NONE;
}

/*
 * The control path's part (ivshmem2_link.c). A new peer session
 * (accept_peer_session): each ring of the peer starts at its tail then (the
 * input moves it a little, as a broken peer would), and our head says so
 * before the ack does. Every link-up (prepare_rings): the rings polled in
 * the next generation and where they started in the current pairing.
 */
static void
accept_session(struct fuzz_variant *v, struct fuzz_in *in, uint32_t me, uint32_t remote)
{
	struct ivshmem2_ring_rx r;
	uint32_t k;

	for (k = 0; k < v->l.queues; k++) {
		ivshmem2_ring_rx_attach(&r, v->own, v->peer, &v->l, me, remote, k);
		rx_start[k] = *r.peer_tail + (uint32_t)(int8_t)fuzz_u8(in);
		__atomic_store_n(r.head, rx_start[k], __ATOMIC_RELEASE);
	}
	pairing++;
}

static void
prepare_rings(struct fuzz_variant *v, uint32_t me, uint32_t remote, uint16_t nb_src)
{
	uint16_t k;

	for (k = 0; k < nb_src; k++) {
		ivshmem2_ring_rx_attach(&rxq.next_ring[k], v->own, v->peer, &v->l, me, remote, k);
		rxq.next_start[k] = rx_start[k];
	}
	rxq.next_nb_src = nb_src;
	rxq.next_pairing = pairing;
}

static bool
held_covers(uint16_t src, uint32_t idx)
{
	unsigned int i;

	for (i = 0; i < mdl.nb_held; i++) {
		const struct held *h = &mdl.held[i];

		if (h->src == src && idx - h->first < h->nb_slots)
			return true;
	}
	return false;
}

/* Whether a held frame of @src sits on ring slot @slot (index masked). */
static bool
held_covers_slot(uint16_t src, uint32_t slot)
{
	uint32_t mask = rxq.ring_size - 1;
	unsigned int i;

	for (i = 0; i < mdl.nb_held; i++) {
		const struct held *h = &mdl.held[i];

		if (h->src == src && ((slot - h->first) & mask) < h->nb_slots)
			return true;
	}
	return false;
}

/* The @a entries at @idx start a valid chain that runs past them. */
static bool
cut_by_limit(uint16_t src, uint32_t idx, uint32_t a)
{
	const struct ivshmem2_ring_rx *r = &rxq.src[src].ring;
	struct ivshmem2_ring_frame f;

	return !ivshmem2_ring_frame_scan(r->desc, r->pool_ref, r->mask, idx, a, r->pool_size, &f) &&
	       f.incomplete;
}

/* Zero-copy: the head advances over freed slots up to rd, stops at a held one. */
static uint32_t
model_reclaim(uint16_t src)
{
	uint32_t h = mdl.head[src];

	if (rxq.zero_copy)
		while (h != mdl.rd[src] && !held_covers(src, h))
			h++;
	else
		h = mdl.rd[src];
	mdl.head[src] = h;
	return h;
}

/* The resync rules of ivshmem2_rxtx.h for a burst that sees a new generation. */
static void
model_resync(void)
{
	uint16_t k;

	for (k = 0; k < rxq.next_nb_src; k++) {
		const struct ivshmem2_ring_rx *r = &rxq.next_ring[k];
		/* A new pairing, or a source not polled since it began, restarts. */
		bool restart = rxq.next_pairing != mdl.pairing[k];
		uint32_t tail = __atomic_load_n(r->peer_tail, __ATOMIC_RELAXED), h;
		bool same = mdl.tail_ptr[k] == r->peer_tail;

		mdl.tail_ptr[k] = r->peer_tail;
		mdl.pairing[k] = rxq.next_pairing;
		if (restart) {
			h = rxq.next_start[k];
		} else if (same &&
			   ivshmem2_ring_avail(tail, mdl.head[k], rxq.ring_size) != UINT32_MAX &&
			   ivshmem2_ring_avail(tail, mdl.rd[k], rxq.ring_size) != UINT32_MAX) {
			continue;
		} else {
			h = __atomic_load_n(r->head, __ATOMIC_RELAXED);
		}
		if (tail - h > rxq.ring_size)
			h = tail;
		mdl.rd[k] = h;
		/* Zero-copy publishes a full ring until its reclaim knows what is held. */
		mdl.head[k] = rxq.zero_copy ? h - rxq.ring_size : h;
	}
	mdl.nb_src = rxq.next_nb_src;
	mdl.next_src = 0;
	mdl.gen = link_gen;
}

/* The bytes of frame @first..+@nb_slots of @src equal @m's data (copy mode). */
static void
check_copy(const struct ivshmem2_ring_rx *r, struct rte_mbuf *m, uint32_t first,
	   const uint16_t *seg_len, const uint32_t *seg_off, uint32_t own, uint32_t nb_slots)
{
	static uint8_t buf[IVSHMEM2_NET_MAX_FRAME];
	const uint8_t *data = rte_pktmbuf_read(m, 0, m->pkt_len, buf);
	uint32_t i, off = 0;

	FUZZ_CHECK(data != NULL, "mbuf chain shorter than its pkt_len");
	for (i = 0; i < nb_slots; i++) {
		const uint8_t *slot = seg_off[i] == UINT32_MAX ?
				      ivshmem2_ring_slot_ro(r->slots, r->mask, first + i) :
				      ((own >> i) & 1 ? r->own_pool : r->pool) + seg_off[i];

		FUZZ_CHECK(memcmp(data + off, slot, seg_len[i]) == 0,
			   "bytes of slot %u differ in the mbuf", first + i);
		off += seg_len[i];
	}
}

static void
check_zc(const struct ivshmem2_ring_rx *r, struct rte_mbuf *m, uint32_t first,
	 const uint16_t *seg_len, const uint32_t *seg_off, uint32_t own, uint32_t nb_slots)
{
	struct rte_mbuf *seg = m;
	uint32_t i;

	FUZZ_CHECK(m->nb_segs == nb_slots, "zero-copy frame of %u slots in %u mbufs", nb_slots,
		   m->nb_segs);
	for (i = 0; i < nb_slots; i++, seg = seg->next) {
		const uint8_t *want = seg_off[i] == UINT32_MAX ?
				      ivshmem2_ring_slot_ro(r->slots, r->mask, first + i) :
				      ((own >> i) & 1 ? r->own_pool : r->pool) + seg_off[i];

		FUZZ_CHECK(seg != NULL && RTE_MBUF_HAS_EXTBUF(seg), "segment %u not attached", i);
		FUZZ_CHECK(rte_pktmbuf_mtod(seg, const uint8_t *) == want &&
			   seg->data_len == seg_len[i], "segment %u: %p+%u, expected %p+%u", i,
			   rte_pktmbuf_mtod(seg, void *), seg->data_len, (const void *)want,
			   seg_len[i]);
	}
	FUZZ_CHECK(seg == NULL, "more segments than slots");
}

static void
held_free(unsigned int i)
{
	rte_pktmbuf_free(mdl.held[i].m);
	mdl.held[i] = mdl.held[--mdl.nb_held];
}

static void
held_free_all(void)
{
	while (mdl.nb_held > 0)
		held_free(mdl.nb_held - 1);
}

/*
 * Whether @m is the frame at @first (after a burst that ran out of mbufs,
 * some valid frames were dropped: the returned ones are a subsequence).
 */
static bool
frame_is(uint16_t src, struct rte_mbuf *m, uint32_t first, uint32_t len, uint16_t seg_len,
	 uint32_t seg_off, uint32_t own)
{
	const struct ivshmem2_ring_rx *r = &rxq.src[src].ring;
	static uint8_t buf[IVSHMEM2_NET_MAX_FRAME];
	const uint8_t *data, *want = seg_off == UINT32_MAX ?
		ivshmem2_ring_slot_ro(r->slots, r->mask, first) :
		((own & 1) ? r->own_pool : r->pool) + seg_off;

	if (m->pkt_len != len)
		return false;
	if (rxq.zero_copy)
		return rte_pktmbuf_mtod(m, const uint8_t *) == want;
	data = rte_pktmbuf_read(m, 0, len, buf);
	return data != NULL && memcmp(data, want, seg_len) == 0;
}

/* One returned frame of @src: check it, then free or hold it. */
static void
take_frame(uint16_t src, struct rte_mbuf *m, uint32_t first, uint32_t len,
	   const uint16_t *seg_len, const uint32_t *seg_off, uint32_t own, uint32_t nb_slots)
{
	const struct ivshmem2_ring_rx *r = &rxq.src[src].ring;
	uint32_t sum = 0, n = 0;
	struct rte_mbuf *seg;

	FUZZ_CHECK(m->pkt_len == len, "mbuf of %u bytes for a frame of %u", m->pkt_len, len);
	for (seg = m; seg != NULL; seg = seg->next) {
		sum += seg->data_len;
		n++;
	}
	FUZZ_CHECK(sum == len && n == m->nb_segs, "segments: %u bytes in %u, header %u/%u", sum,
		   n, m->pkt_len, m->nb_segs);
	FUZZ_CHECK(m->port == 0, "port %u", m->port);
	if (rxq.zero_copy) {
		uint32_t i;

		check_zc(r, m, first, seg_len, seg_off, own, nb_slots);
		/* A slot the application still holds is never handed out again. */
		for (i = 0; i < nb_slots; i++)
			FUZZ_CHECK(!held_covers_slot(src, (first + i) & r->mask),
				   "slot %u of source %u handed out twice", (first + i) & r->mask,
				   src);
		mdl.held[mdl.nb_held++] = (struct held){ m, src, first, nb_slots };
	} else {
		check_copy(r, m, first, seg_len, seg_off, own, nb_slots);
		rte_pktmbuf_free(m);
	}
}

/* One application burst of @nb_pkts, checked against the model. */
static uint16_t
burst(uint16_t nb_pkts)
{
	struct rte_mbuf *pkts[64];
	uint32_t rd0[IVSHMEM2_NET_MAX_QUEUES], avail[IVSHMEM2_NET_MAX_QUEUES];
	uint64_t rejected0 = rxq.rejected, bad_index0 = rxq.bad_index, fail0 = rxq.mbuf_fail;
	uint16_t got, i, k, taken = 0, budget, visits;
	bool up = ivshmem2_gen_up(link_gen);
	bool failed;

	if (up && mdl.gen != link_gen)
		model_resync();
	for (k = 0; k < mdl.nb_src; k++) {
		uint32_t tail = __atomic_load_n(mdl.tail_ptr[k], __ATOMIC_RELAXED);

		rd0[k] = mdl.rd[k];
		avail[k] = ivshmem2_ring_avail(tail, mdl.rd[k], rxq.ring_size);
	}

	got = ivshmem2_rx_burst(&rxq, pkts, nb_pkts);
	FUZZ_CHECK(got <= nb_pkts, "%u of %u", got, nb_pkts);
	if (!up) {
		FUZZ_CHECK(got == 0, "%u packets while the link is down", got);
		return 0;
	}
	FUZZ_CHECK(rxq.gen == link_gen && rxq.nb_src == mdl.nb_src, "queue not resynced");
	failed = rxq.mbuf_fail != fail0;

	/* Walk each source visited, in the burst's order, over what it consumed. */
	k = mdl.nb_src == 1 ? 0 : mdl.next_src;
	/* One source is always read (even for 0 packets); several while budget is left. */
	visits = mdl.nb_src == 1 ? 1 : mdl.nb_src;
	for (i = 0; i < visits && (mdl.nb_src == 1 || taken < nb_pkts); i++) {
		struct ivshmem2_rxq_src *s = &rxq.src[k];
		uint32_t idx = rd0[k], a = avail[k], rd1 = s->rd, frames = 0, bad = 0;
		bool clamped = false;

		budget = nb_pkts - taken;
		if (rxq.zero_copy)
			model_reclaim(k);	/* first thing a source's burst does */
		if (a == UINT32_MAX) {
			FUZZ_CHECK(rd1 == rd0[k], "rd moved on a broken tail");
			mdl.bad_index++;
			a = 0;
		} else if (rxq.zero_copy) {
			uint32_t limit = rxq.ring_size - (mdl.rd[k] - mdl.head[k]);

			clamped = limit < a;
			a = RTE_MIN(a, limit);
		}
		FUZZ_CHECK(rd1 - rd0[k] <= a, "source %u: rd %u -> %u with %u readable", k, rd0[k],
			   rd1, a);
		while (idx != rd1) {
			uint16_t seg_len[IVSHMEM2_NET_MAX_CHAIN];
			uint32_t seg_off[IVSHMEM2_NET_MAX_CHAIN];
			uint32_t len, n, own;

			n = fuzz_ref_scan(s->ring.desc, s->ring.pool_ref, s->ring.mask, idx, a,
					  s->ring.pool_size, &len, seg_len, seg_off, &own);
			FUZZ_CHECK(n >= 1 && n <= rd1 - idx, "source %u: rd %u is not a frame "
				   "boundary (frame at %u spans %u)", k, rd1, idx, n);
			if (len == 0) {
				bad++;
			} else if (!failed || (taken < got &&
						  frame_is(k, pkts[taken], idx, len, seg_len[0],
							   seg_off[0], own))) {
				FUZZ_CHECK(taken < got, "source %u: frame at %u not returned", k,
					   idx);
				take_frame(k, pkts[taken++], idx, len, seg_len, seg_off, own, n);
				frames++;
			}
			idx += n;
			a -= n;
		}
		mdl.rejected += bad;
		/*
		 * Budget left and frames waiting: the burst must not stop early,
		 * unless what is left is a frame cut by the zero-copy limit.
		 */
		if (!failed && a > 0 && !(clamped && cut_by_limit(k, idx, a)))
			FUZZ_CHECK(frames == budget, "source %u: %u frames returned, %u slots "
				   "left, budget %u", k, frames, a, budget);
		mdl.rd[k] = rd1;
		model_reclaim(k);
		FUZZ_CHECK(rd1 - mdl.head[k] <= rxq.ring_size, "source %u: rd %u, head %u", k, rd1,
			   mdl.head[k]);
		FUZZ_CHECK(__atomic_load_n(s->ring.head, __ATOMIC_RELAXED) == mdl.head[k],
			   "source %u: published head %u, expected %u (rd %u)", k,
			   *s->ring.head, mdl.head[k], rd1);
		if (mdl.nb_src > 1 && ++k == mdl.nb_src)
			k = 0;
	}
	if (mdl.nb_src > 1)
		mdl.next_src = k;
	FUZZ_CHECK(taken == got, "%u mbufs returned, %u frames found", got, taken);
	FUZZ_CHECK(rxq.rejected == mdl.rejected, "rejected %" PRIu64 " (was %" PRIu64
		   "), expected %" PRIu64, rxq.rejected, rejected0, mdl.rejected);
	FUZZ_CHECK(rxq.bad_index - bad_index0 <= mdl.nb_src && rxq.bad_index == mdl.bad_index,
		   "bad_index %" PRIu64 ", expected %" PRIu64, rxq.bad_index, mdl.bad_index);
	if (mdl.nb_src > 1)
		FUZZ_CHECK(rxq.next_src == mdl.next_src, "next source %u, expected %u",
			   rxq.next_src, mdl.next_src);
	/* The application keeps the newest frames, up to MAX_HELD. */
	while (mdl.nb_held > MAX_HELD) {
		rte_pktmbuf_free(mdl.held[0].m);
		memmove(&mdl.held[0], &mdl.held[1], --mdl.nb_held * sizeof(mdl.held[0]));
	}
	return got;
}

/* rx_queue_count and the wake-up words. */
static void
wake(bool enable)
{
	uint32_t pending = 0;
	bool up = ivshmem2_gen_up(link_gen), ret;
	uint16_t k;

	if (up && mdl.gen != link_gen)
		model_resync();
	for (k = 0; up && k < mdl.nb_src; k++) {
		uint32_t n = ivshmem2_ring_avail(__atomic_load_n(mdl.tail_ptr[k], __ATOMIC_RELAXED),
						 mdl.rd[k], rxq.ring_size);

		if (n != UINT32_MAX)
			pending += n;
	}
	ret = ivshmem2_rxq_wake_set(&rxq, enable);
	if (!up) {
		FUZZ_CHECK(!ret, "data waiting while the link is down");
		return;
	}
	FUZZ_CHECK(ret == (enable && pending != 0), "wake_set says %d, %u entries pending", ret,
		   pending);
	FUZZ_CHECK(ivshmem2_rxq_pending(&rxq) == pending, "pending %u, expected %u",
		   ivshmem2_rxq_pending(&rxq), pending);
	for (k = 0; k < mdl.nb_src; k++) {
		FUZZ_CHECK(*rxq.src[k].ring.wake == (enable ? rxq.vector : 0), "wake word");
		/* A resync inside wake_set moves nothing the model does not know. */
		FUZZ_CHECK(rxq.src[k].rd == mdl.rd[k] && *rxq.src[k].ring.head == mdl.head[k],
			   "source %u after wake_set: rd %u head %u, expected %u %u", k,
			   rxq.src[k].rd, *rxq.src[k].ring.head, mdl.rd[k], mdl.head[k]);
	}
}

/*
 * Well-formed frames from a producer that respects our published head, or
 * (count's top bit set) one that writes past it.
 */
static void
produce(struct fuzz_variant *v, struct fuzz_in *in, uint32_t me, uint32_t remote, uint16_t q)
{
	uint64_t area = fuzz_ring_area(v, me, remote, q);
	uint32_t tail = fuzz_peer_tail(v, me, remote, q), mask = v->l.ring_size - 1;
	uint8_t count = fuzz_u8(in), salt = fuzz_u8(in);
	uint32_t n = count % 8, room, head;
	struct ivshmem2_ring_rx r;

	ivshmem2_ring_rx_attach(&r, v->own, v->peer, &v->l, me, remote, q);
	head = __atomic_load_n(r.head, __ATOMIC_RELAXED);

	room = count & 0x80 ? UINT32_MAX : ivshmem2_ring_free(tail, head, v->l.ring_size);
	while (n-- > 0) {
		uint32_t len = fuzz_u16(in) % (IVSHMEM2_NET_MAX_FRAME + 1), need;

		if (len == 0)
			len = 60;
		need = (len + IVSHMEM2_NET_SLOT_SIZE - 1) / IVSHMEM2_NET_SLOT_SIZE;
		if (need > room)
			break;
		room -= need;
		while (len > 0) {
			uint32_t seg = RTE_MIN(len, IVSHMEM2_NET_SLOT_SIZE);
			uint64_t slot = area + v->l.slot_offset +
					(uint64_t)(tail & mask) * v->l.slot_stride;
			struct ivshmem2_net_desc d = {
				.len = (uint16_t)seg,
				.flags = len > seg ? IVSHMEM2_NET_DESC_MORE : 0,
			};
			uint32_t ref = 0;
			uint8_t bytes[64];

			/*
			 * Some segments in the pool area at a random offset: mostly
			 * in range (the bytes go there), sometimes anywhere.
			 */
			if (salt & 1) {
				uint8_t how = fuzz_u8(in);
				/* RETURN: our own pool area (the pattern stays in the slot). */
				bool back = how & 2;

				d.flags |= back ? IVSHMEM2_NET_DESC_RETURN : IVSHMEM2_NET_DESC_POOL;
				if (how & 1 || v->l.pool_size < seg) {
					ref = fuzz_u32(in);
				} else {
					ref = fuzz_u32(in) % (uint32_t)(v->l.pool_size - seg + 1);
					if (!back)
						slot = v->l.pool_offset + ref;
				}
			}
			/* The first and last bytes of the segment carry a pattern. */
			memset(bytes, (uint8_t)(tail + salt), sizeof(bytes));
			fuzz_patch(v, slot, bytes, RTE_MIN(seg, (uint32_t)sizeof(bytes)));
			fuzz_patch(v, slot + seg - 1, &salt, 1);
			fuzz_put_entry(v, area, tail & mask, &d, ref);
			len -= seg;
			tail++;
		}
	}
	fuzz_set_peer_tail(v, me, remote, q, tail);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	uint32_t me, remote, base, steps = 0;
	unsigned int pool0_big, pool0_small, i;
	struct fuzz_variant *v;
	uint16_t nb_src, k;
	uint8_t flags;

	pool0_big = rte_mempool_avail_count(pool_big);
	pool0_small = rte_mempool_avail_count(pool_small);
	flags = fuzz_u8(&in);
	v = &fuzz_variants[(flags >> 2) % FUZZ_NB_VARIANTS];
	me = fuzz_u8(&in) % v->peers;
	remote = fuzz_u8(&in) % v->peers;
	if (remote == me)
		remote = (me + 1) % v->peers;
	nb_src = fuzz_u8(&in) % (v->l.queues + 1);	/* 0: no tx queue */
	base = fuzz_u32(&in);
	queue_setup(v, flags & 1, flags & 2 ? pool_small : pool_big);
	for (k = 0; k < v->l.queues; k++)
		fuzz_set_peer_tail(v, me, remote, k, base);
	pairing = 0;
	accept_session(v, &in, me, remote);
	prepare_rings(v, me, remote, nb_src);
	link_gen = 1;

	while (fuzz_more(&in) && steps++ < MAX_STEPS) {
		uint8_t op = fuzz_u8(&in);
		uint32_t n, x;
		uint64_t off;
		uint8_t buf[32];

		k = fuzz_u8(&in) % v->l.queues;
		switch (op % 12) {
		case 0:		/* the peer sets a tail */
			fuzz_set_peer_tail(v, me, remote, k, fuzz_u32(&in));
			break;
		case 1:		/* the peer moves a tail by a little */
			x = fuzz_peer_tail(v, me, remote, k) + (uint32_t)(int8_t)fuzz_u8(&in);
			fuzz_set_peer_tail(v, me, remote, k, x);
			break;
		case 2:		/* the peer writes descriptors and their pool references */
			x = fuzz_u16(&in);
			n = fuzz_u8(&in) % 16;
			off = fuzz_ring_area(v, me, remote, k);
			while (n-- > 0) {
				uint32_t d = fuzz_u32(&in);

				fuzz_put_entry(v, off, x++ & (v->l.ring_size - 1), &d, fuzz_u32(&in));
			}
			break;
		case 3:		/* a well-behaved producer */
			produce(v, &in, me, remote, k);
			break;
		case 4:
			burst(fuzz_u8(&in) % 65);
			break;
		case 5:		/* the application frees one frame it held */
			if (mdl.nb_held > 0)
				held_free(fuzz_u8(&in) % mdl.nb_held);
			break;
		case 6:
			held_free_all();
			break;
		case 7:		/* link down and up: a new peer session, or the same */
			/*
			 * Frames held over a re-pairing stay outside the model: the
			 * producer of a new session does not know about them.
			 */
			held_free_all();
			link_gen = ivshmem2_gen_next(link_gen);
			if (ivshmem2_gen_up(link_gen))
				link_gen = ivshmem2_gen_next(link_gen);
			burst(32);	/* link down: nothing */
			x = fuzz_u8(&in);
			/* 0: the peer has no tx queue */
			nb_src = fuzz_u8(&in) % (v->l.queues + 1);
			if (x & 1)
				accept_session(v, &in, me, remote);
			prepare_rings(v, me, remote, nb_src);
			link_gen = ivshmem2_gen_next(link_gen);
			break;
		case 8:		/* raw bytes before a queue's slots: control, descriptors */
			off = fuzz_ring_area(v, me, remote, k) + fuzz_u16(&in) % v->l.slot_offset;
			n = fuzz_u8(&in) % sizeof(buf);
			fuzz_bytes(&in, buf, n);
			fuzz_patch(v, off, buf, n);
			break;
		case 9:		/* take mbufs away: the bursts run short of them */
			n = fuzz_u8(&in) * 4;
			while (n-- > 0 && nb_hog < POOL_SIZE &&
			       (hog[nb_hog] = rte_pktmbuf_alloc(rxq.mp)) != NULL)
				nb_hog++;
			break;
		case 10:	/* give them back */
			rte_pktmbuf_free_bulk(hog, nb_hog);
			nb_hog = 0;
			break;
		case 11:
			wake(fuzz_u8(&in) & 1);
			break;
		}
	}

	/* The application returns everything: the head catches up with rd. */
	rte_pktmbuf_free_bulk(hog, nb_hog);
	nb_hog = 0;
	held_free_all();
	if (ivshmem2_gen_up(link_gen)) {
		/* Drain; a burst that returns nothing has read every source. */
		for (i = 0; i < 256 && burst(64) > 0; i++)
			held_free_all();
		FUZZ_CHECK(burst(64) == 0, "frames after draining");
		for (k = 0; k < mdl.nb_src; k++)
			FUZZ_CHECK(*rxq.src[k].ring.head == rxq.src[k].rd,
				   "source %u: head %u behind rd %u with no mbuf held", k,
				   *rxq.src[k].ring.head, rxq.src[k].rd);
	}
	held_free_all();
	if (rxq.zero_copy)
		for (i = 0; i < IVSHMEM2_NET_MAX_QUEUES * rxq.ring_size; i++)
			FUZZ_CHECK(rxq.zc->busy[i] == 0, "slot %u of source %u busy with no mbuf "
				   "held", i % rxq.ring_size, i / rxq.ring_size);
	FUZZ_CHECK(rte_mempool_avail_count(pool_big) == pool0_big &&
		   rte_mempool_avail_count(pool_small) == pool0_small,
		   "mbufs leaked: %u/%u and %u/%u in the pools", rte_mempool_avail_count(pool_big),
		   pool0_big, rte_mempool_avail_count(pool_small), pool0_small);
	FUZZ_CHECK(nombuf == rxq.mbuf_fail, "rx_mbuf_alloc_failed %" PRIu64 ", queue %" PRIu64,
		   nombuf, rxq.mbuf_fail);
	FUZZ_CHECK(ivshmem2_rxq_zc_release(&rxq) == 0, "zero-copy buffers still counted as held");
	fuzz_sections_clean(v);
	return 0;
}

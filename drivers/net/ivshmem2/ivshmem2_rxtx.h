/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

#ifndef _IVSHMEM2_RXTX_H_
#define _IVSHMEM2_RXTX_H_

#include <stdbool.h>
#include <stdint.h>

#include <rte_atomic.h>
#include <rte_common.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_reciprocal.h>
#include <rte_spinlock.h>

#include "ivshmem2_copy.h"
#include "ivshmem2_hw.h"
#include "ivshmem2_ring.h"

/*
 * Link generation: the control path bumps the port's link_gen to an even
 * value (link down), writes the queues' next_* fields, then bumps it to an
 * odd value (release). A burst that sees a generation other than its own
 * copies the next_* fields (resync) and checks that the generation did not
 * move meanwhile (seqlock read side); the control path never writes live
 * indices while a generation is up.
 *
 * A queue's own copy starts at IVSHMEM2_GEN_NONE, a value link_gen never
 * takes (ivshmem2_gen_next skips it), so a queue that never resynced never
 * matches and never touches its unset ring pointers.
 */
#define IVSHMEM2_GEN_NONE	UINT32_MAX

static inline bool
ivshmem2_gen_up(uint32_t gen)
{
	return (gen & 1) != 0;
}

/* The generation after @gen (parity alternates, IVSHMEM2_GEN_NONE is skipped). */
static inline uint32_t
ivshmem2_gen_next(uint32_t gen)
{
	return gen + 1 == IVSHMEM2_GEN_NONE ? 1 : gen + 1;
}

/*
 * Mapping generation (multi-process): the rings of a link generation lie in
 * the memory the primary had mapped when it published them, and queues are
 * shared by the processes. A secondary that still maps older memory (the
 * primary reconnected to a restarted server) must not take them before it
 * followed the primary (ivshmem2_mp.c). So a queue takes new rings only if
 * this process's hw->map_gen equals the port's published map_gen (*map_gen);
 * checked when it resyncs, never per packet.
 */

/* Slots touched ahead of the copy: enough to overlap misses, few enough for the fill buffers. */
#define IVSHMEM2_PREFETCH_AHEAD	8u

/*
 * Slot lines of a burst requested at its start, before the first copy. Each
 * waits for the other core (the peer read or wrote it last); asked for
 * together, before the copies' stores and loads queue behind them, they
 * overlap (64 B on an Intel Xeon host: 1.5x the packets of 8 ahead).
 */
#define IVSHMEM2_PREFETCH_BURST	32u

/*
 * Seqlock read side: true if the next_* fields copied since @gen was loaded
 * belong to @gen (the control path did not start another generation meanwhile).
 */
static inline bool
ivshmem2_gen_still(const uint32_t *link_gen, uint32_t gen)
{
	rte_atomic_thread_fence(__ATOMIC_ACQUIRE);
	return __atomic_load_n(link_gen, __ATOMIC_RELAXED) == gen;
}

/*
 * True if this process maps the memory the port's current rings lie in (the
 * mapping generation, ivshmem2_rxtx.h). Always true in the primary, which
 * publishes what it maps.
 */
static inline bool
ivshmem2_map_current(const uint32_t *map_gen, uint16_t port_id)
{
	const struct ivshmem2_hw *hw;

	if (map_gen == NULL)
		return true;
	hw = rte_eth_devices[port_id].process_private;
	return hw != NULL && __atomic_load_n(&hw->map_gen, __ATOMIC_ACQUIRE) ==
			     __atomic_load_n(map_gen, __ATOMIC_ACQUIRE);
}

/*
 * Request the lines of a slot after its first (that one is prefetched
 * further ahead) up to @len bytes, clamped to the slot. At 1518 B the copies
 * are bound by lines moving between the cores: the producer must take back
 * lines the consumer read last, the consumer reads lines the producer just
 * wrote. One miss at a time costs a cross-core round trip per line.
 * Reads go to the outer cache level: a whole frame of L1 prefetches fills
 * the L1 miss buffers, and the copy's own loads then wait behind them
 * (1518 B one way on an Intel Xeon host: 1.32x the packets).
 */
static __rte_always_inline void
ivshmem2_slot_prefetch_lines(const uint8_t *slot, uint32_t len, bool for_write)
{
	uint32_t off;

	len = RTE_MIN(len, IVSHMEM2_NET_SLOT_SIZE);
	for (off = RTE_CACHE_LINE_SIZE; off < len; off += RTE_CACHE_LINE_SIZE) {
		if (for_write)
			rte_prefetch0_write(slot + off);
		else
			rte_prefetch2(slot + off);
	}
}

/*
 * Pool frames shorter than this are copied into a slot and freed at once,
 * like any other: a copy of a few lines costs less than holding the mbuf
 * until the consumer passed it (64 B bidi: 120 cycles/packet, not 280).
 */
#define IVSHMEM2_TX_POOL_MIN	512u

/*
 * The section's tx pool by buffer (buffer i lies at i * elt in the pool
 * area): the mbuf that owns it, and the tx entry that last posted it. A
 * RETURN entry names a buffer: the rx queue of the port that posted it takes
 * that mbuf over from the tx entry still holding it, with no copy (the peer
 * only read it). Built with the pool, never changed but for posting[].
 */
struct ivshmem2_pool_map {
	struct rte_reciprocal elt_div;	/**< divides by elt */
	uint32_t elt;
	uint32_t nb;			/**< buffers */
	struct rte_mbuf **mbuf;		/**< [nb] */
	uint64_t *posting;		/**< [nb] ivshmem2_pool_posting() of its last post, or 0 */
};

/**
 * The map of @mp, a pool of @n buffers of @elt bytes each from @area
 * (rte_pktmbuf_pool_create_extbuf), allocated on @socket; free it with
 * rte_free(). NULL with rte_errno ENOMEM, or EINVAL if the buffers are not
 * laid out that way. Control path.
 */
struct ivshmem2_pool_map *ivshmem2_pool_map_create(struct rte_mempool *mp, uintptr_t area,
						   uint32_t elt, uint32_t n, int socket);

/* Who posted a pool buffer: port, tx queue, entry (masked); never 0. */
static inline uint64_t
ivshmem2_pool_posting(uint16_t port, uint16_t queue, uint32_t entry)
{
	return (uint64_t)port << 48 | (uint64_t)queue << 32 | (entry + 1);
}

/* A held entry whose pool segment the rx queue took over (ivshmem2_rx.c). */
#define IVSHMEM2_HELD_TAKEN	((struct rte_mbuf *)(uintptr_t)1)

struct ivshmem2_txq {
	/* Hot: read every burst. */
	struct ivshmem2_ring_tx ring;
	/** The section's zero-copy pool (ivshmem2_pool.c), NULL if none: one compare per segment. */
	struct rte_mempool *pool;
	uint32_t nb_held;		/**< pool segments posted, not yet given back */
	uint32_t tail;			/**< private copy of *ring.tail */
	uint32_t free;			/**< entries known free without reading the peer */
	uint32_t ring_size;
	uint32_t gen;			/**< link generation the rings belong to */
	const uint32_t *link_gen;	/**< the port's */
	uint32_t remote;
	uint32_t vectors;		/**< peer's vector count, to check its wake word */
	uint8_t copy;			/**< enum ivshmem2_copy_kind, chosen at setup */
	/* Zero-copy tx: the pool area in this process, and what the peer still reads. */
	uintptr_t pool_base;
	uint32_t pool_size;
	uint32_t reclaimed;		/**< first entry whose mbuf may still be held */
	/**
	 * [ring_size]: pool segment of each entry, IVSHMEM2_HELD_TAKEN once the
	 * port's rx took it over, or NULL. Exchanged atomically: rx may be
	 * another lcore.
	 */
	struct rte_mbuf **held;
	struct ivshmem2_pool_map *pool_map;	/**< with pool: who posted each buffer */
	/*
	 * The port's rx is zero-copy: frames it attached go back as RETURN
	 * entries, held here, and its idle polls give them back too
	 * (ivshmem2_txq_reclaim_idle): the lock covers every burst then.
	 */
	bool returns;
	rte_spinlock_t held_lock;
	/* Control path: rings for the next generation. */
	struct ivshmem2_ring_tx next_ring;
	const uint32_t *map_gen;	/**< the port's published one; NULL: no check */
	uint16_t queue_id;
	uint16_t port_id;
	/* Stats (written by the one lcore that bursts this queue). */
	uint64_t pkts;
	uint64_t bytes;
	uint64_t oversize;		/**< frames too large for the ring: dropped */
	uint64_t ring_full;		/**< packets refused because the ring was full */
	uint64_t doorbells;		/**< peer was asleep: vector raised */
	uint64_t doorbells_suppressed;	/**< peer polling: no doorbell needed */
	uint64_t link_down;		/**< packets refused while the link was down */
	uint64_t pool_posted;		/**< pool segments posted without a copy */
	uint64_t returned;		/**< zero-copy rx frames sent back as RETURN entries */
} __rte_cache_aligned;

/* The external-buffer info of one zero-copy slot, found again from its free callback. */
struct ivshmem2_zc_slot {
	struct rte_mbuf_ext_shared_info shinfo;	/**< fcb_opaque points here */
	struct ivshmem2_zc *zc;
};

/*
 * Zero-copy bookkeeping of an rx queue. Mbufs the application holds point
 * into it (their free callback clears a busy flag), so it outlives the
 * queue: a queue released while mbufs are out leaves it to the last free.
 */
struct ivshmem2_zc {
	uint64_t attached;		/**< slots handed out (rx lcore only) */
	uint64_t freed __rte_cache_aligned;	/**< slots given back (any lcore, atomic) */
	uint32_t orphaned;		/**< the queue is gone: the last free frees this */
	uint32_t released;		/**< set once by whoever frees this */
	uint32_t nb_slots;
	uint8_t *busy;			/**< [nb_slots]: slot held by an mbuf */
	struct ivshmem2_zc_slot slot[];	/**< [nb_slots] */
};

/* One ring an rx queue consumes (an rx queue may poll several of the peer's tx rings). */
struct ivshmem2_rxq_src {
	struct ivshmem2_ring_rx ring;
	uint32_t rd;			/**< next entry to read */
	uint32_t head;			/**< entries returned (== rd unless zero-copy) */
	uint32_t pairing;		/**< the port's pairing rd and head belong to */
	bool pool_seen;			/**< the producer posted pool segments (a prefetch hint) */
	uint8_t *busy;			/**< zero-copy: [ring_size] slot held by an mbuf */
	struct ivshmem2_zc_slot *zc_slot;	/**< zero-copy: [ring_size] */
};

/* The rearm_data word of a fresh single-segment mbuf received on @port (rx queue setup). */
static inline uint64_t
ivshmem2_mbuf_initializer(uint16_t port)
{
	struct rte_mbuf m = { .buf_addr = NULL };

	m.nb_segs = 1;
	m.data_off = RTE_PKTMBUF_HEADROOM;
	m.port = port;
	rte_mbuf_refcnt_set(&m, 1);
	return *(uint64_t *)RTE_PTR_ADD(&m, offsetof(struct rte_mbuf, rearm_data));
}

struct ivshmem2_rxq {
	struct rte_mempool *mp;
	uint64_t mbuf_initializer;	/**< rearm_data of a fresh mbuf of this queue */
	uint64_t mbuf_ol_flags;		/**< ol_flags of a fresh one (pinned external buffers) */
	uint32_t data_room;		/**< bytes after the headroom */
	uint32_t gen;
	const uint32_t *link_gen;
	uint16_t nb_src;
	uint16_t next_src;		/**< round robin start */
	uint32_t ring_size;
	uint16_t queue_id;
	uint16_t port_id;
	bool zero_copy;
	bool iova_is_va;
	bool dst_shared;		/**< rx buffers in the own section (tx pool): the peer read them */
	uint8_t copy;			/**< enum ivshmem2_copy_kind into such buffers */
	uint32_t vector;		/**< own vector this queue sleeps on */
	uint64_t *nombuf;		/**< the port's rx_mbuf_alloc_failed */
	struct ivshmem2_rxq_src src[IVSHMEM2_NET_MAX_QUEUES];
	/* Control path: rings for the next generation. */
	struct ivshmem2_ring_rx next_ring[IVSHMEM2_NET_MAX_QUEUES];
	/** Where each ring starts when the pairing is new (see ivshmem2_port.rx_start). */
	uint32_t next_start[IVSHMEM2_NET_MAX_QUEUES];
	uint32_t next_pairing;		/**< the port's pairing the next_* rings belong to */
	const uint32_t *map_gen;	/**< the port's published one; NULL: no check */
	uint16_t next_nb_src;
	/* Stats. */
	uint64_t pkts;
	uint64_t bytes;
	uint64_t rejected;		/**< bad descriptors from the peer: dropped */
	uint64_t bad_index;		/**< peer's tail out of range */
	uint64_t mbuf_fail;
	uint64_t taken_back;		/**< RETURN frames received in their own mbuf, no copy */
	/** The section's tx pool, if any: RETURN frames come back without a copy. */
	struct ivshmem2_pool_map *pool_map;
	struct ivshmem2_zc *zc;		/**< zero-copy bookkeeping, NULL in copy mode */
	/**
	 * The port's: the tx queues a RETURN frame is taken back from, and those
	 * an idle zero-copy poll asks to give back; NULL in test harnesses.
	 */
	struct rte_eth_dev_data *port_data;
} __rte_cache_aligned;

/*
 * @q receives into a pool of pinned external buffers, such as a tx pool, whose
 * buffers the peer's core read last: such a free mbuf keeps its flag, and the
 * copy into it is written like a slot (ivshmem2_copy.h). Control path.
 */
static inline void
ivshmem2_rxq_pinned_pool(struct ivshmem2_rxq *q)
{
	const char *why;

	q->mbuf_ol_flags = RTE_MBUF_F_EXTERNAL;
	q->dst_shared = true;
	q->copy = ivshmem2_copy_select(&why);
}

uint16_t ivshmem2_tx_burst(void *queue, struct rte_mbuf **pkts, uint16_t nb_pkts);
uint16_t ivshmem2_rx_burst(void *queue, struct rte_mbuf **pkts, uint16_t nb_pkts);

/** Entries waiting in an rx queue (rx_queue_count). */
uint32_t ivshmem2_rxq_pending(struct ivshmem2_rxq *q);

/**
 * Zero-copy tx: give back every pool segment @q still holds (the peer no
 * longer reads them: queue stopped or released). Control path only.
 */
void ivshmem2_txq_held_release(struct ivshmem2_txq *q);

/**
 * rte_eth_tx_done_cleanup(): give back up to @free_cnt (0: all) pool segments
 * the peer has consumed, without a burst. Copied frames are freed by their
 * burst already. Returns the segments given back. Same lcore as the bursts.
 */
int ivshmem2_tx_done_cleanup(void *queue, uint32_t free_cnt);

/** Entries sent on @q that the peer has not consumed yet (0 while the link is down). */
uint32_t ivshmem2_txq_pending(const struct ivshmem2_txq *q);

/**
 * Ask the peer for doorbells on @q (vector q->vector) or stop asking.
 * When enabling, returns true if data is already waiting (caller self-kicks).
 */
bool ivshmem2_rxq_wake_set(struct ivshmem2_rxq *q, bool enable);

/**
 * Give back what @q holds that the peer has read, unless a burst runs (a
 * zero-copy rx queue of the port that found nothing: a forwarder that
 * receives nothing sends nothing, and the RETURN frames its last burst holds
 * keep their rx slots, and so the peer's ring, closed).
 */
void ivshmem2_txq_reclaim_idle(struct ivshmem2_txq *q);

/**
 * Zero-copy: allocate @q's bookkeeping (q->ring_size set) on @socket.
 * @return 0 or -ENOMEM.
 */
int ivshmem2_rxq_zc_alloc(struct ivshmem2_rxq *q, int socket);

/**
 * Let go of @q's zero-copy bookkeeping: freed now, or by the free of the
 * last mbuf the application still holds. Returns the slots still held.
 */
uint64_t ivshmem2_rxq_zc_release(struct ivshmem2_rxq *q);

#endif /* _IVSHMEM2_RXTX_H_ */

/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

#ifndef _PKTCHECK_H_
#define _PKTCHECK_H_

/* State shared by the TX, RX, ping and report parts of ivshmem2-pktcheck. */

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "pktcheck_frame.h"
#include "pktcheck_hist.h"
#include "pktcheck_options.h"
#include "pktcheck_stream.h"

#define PKTCHECK_MAX_BURST	512

/** One TX queue: one stream of consecutive sequence numbers. */
struct pktcheck_txq {
	uint16_t queue;
	uint16_t stream;
	uint64_t quota;			/**< data frames to send, UINT64_MAX = until time */
	uint64_t next_seq;		/**< number of the next new frame */
	uint64_t built;			/**< new frames built so far (for --inject) */
	struct rte_mbuf *pending[PKTCHECK_MAX_BURST + 2];
	uint64_t pending_seq[PKTCHECK_MAX_BURST + 2];
	uint32_t pending_len[PKTCHECK_MAX_BURST + 2];
	uint16_t nb_pending;		/**< built, not yet accepted by the PMD */
	bool fin_pending;		/**< the FIN is in pending[] */
	bool fin_sent;
	uint64_t frames;		/**< accepted by the PMD, FIN excluded */
	uint64_t bytes;
	uint64_t refused;		/**< frames offered but not accepted (ring full) */
	uint64_t full_events;		/**< tx_burst calls that took less than offered */
	uint64_t dropped;		/**< refused frames freed (--on-full drop) */
	uint64_t nombuf;		/**< builds that found the pool empty */
};

/** Receive-side totals over every queue. */
struct pktcheck_rx_counts {
	uint64_t frames;		/**< every mbuf received */
	uint64_t bytes;
	uint64_t data_frames;		/**< verified data frames */
	uint64_t fins;
	uint64_t fin_streams;		/**< streams whose FIN arrived */
	uint64_t verdicts[PKTCHECK_VERDICT_MAX];
	uint64_t size_mismatch;		/**< length differs from the size plan */
	uint64_t bad_stream;		/**< stream id out of range */
	uint64_t first_tsc;		/**< first frame received, 0 = none yet */
	uint64_t last_tsc;		/**< last frame received */
};

/** Round-trip figures of ping mode, in microseconds. */
struct pktcheck_ping_result {
	uint64_t sent;
	uint64_t answered;
	uint64_t lost;
	double rate;			/**< requested frames/s, 0 = one in flight */
	double sent_pps;		/**< achieved send rate */
	double min_us, avg_us, p50_us, p90_us, p99_us, max_us;
	uint64_t hist[PKTCHECK_HIST_BUCKETS];	/**< round trips per bucket */
};

struct pktcheck_ctx {
	struct pktcheck_options opt;
	struct rte_mempool *pool;
	struct pktcheck_scratch *scratch;
	struct rte_ether_addr src_mac;
	uint32_t seg_size;
	uint64_t start_tsc;
	uint64_t tsc_hz;
	volatile bool *quit;
	struct pktcheck_txq txq[PKTCHECK_MAX_QUEUES];
	struct pktcheck_stream *streams;	/**< PKTCHECK_MAX_STREAMS entries */
	struct pktcheck_rx_counts rx;
	struct pktcheck_ping_result ping;
	bool link_down;			/**< TX never saw link up */
	bool timed_out;
	bool interrupted;
	double elapsed;			/**< seconds from start to done */
};

static inline double
pktcheck_now(const struct pktcheck_ctx *ctx)
{
	return (double)(rte_get_tsc_cycles() - ctx->start_tsc) / (double)ctx->tsc_hz;
}

/* pktcheck_tx.c */
void pktcheck_tx_init(struct pktcheck_ctx *ctx);
/** One round on every TX queue. @return true once every queue sent its FIN. */
bool pktcheck_tx_poll(struct pktcheck_ctx *ctx, bool stop_data);
/** Free frames still pending after the run. */
void pktcheck_tx_release(struct pktcheck_ctx *ctx);

/* pktcheck_rx.c */
/**
 * Verify one received frame and account it.
 *
 * @return true if it is a correct frame of the size plan; @info (may be
 *   NULL) then holds its fields.
 */
bool pktcheck_rx_account(struct pktcheck_ctx *ctx, const struct rte_mbuf *m,
			 struct pktcheck_frame_info *info);
/** One round on every RX queue. @return frames received. */
uint32_t pktcheck_rx_poll(struct pktcheck_ctx *ctx);
/** @return true once every expected stream sent its FIN. */
bool pktcheck_rx_done(const struct pktcheck_ctx *ctx);

/* pktcheck_ping.c */
int pktcheck_ping_run(struct pktcheck_ctx *ctx);
int pktcheck_pong_run(struct pktcheck_ctx *ctx);

/* pktcheck_report.c */
void pktcheck_progress(const struct pktcheck_ctx *ctx);
/** Print the summary table and the JSON line. @return number of errors found. */
unsigned int pktcheck_report(const struct pktcheck_ctx *ctx);

#endif /* _PKTCHECK_H_ */

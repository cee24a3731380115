/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

#ifndef _PKTCHECK_STREAM_H_
#define _PKTCHECK_STREAM_H_

/*
 * Receive-side bookkeeping of one stream: which sequence numbers arrived,
 * in which order, and how many the sender says it sent (its FIN frame).
 *
 * A sender numbers only the frames its PMD accepted, so every sequence
 * number below the FIN's must arrive exactly once and in order. A gap is a
 * loss inside the transport; a number below the next expected one is a
 * duplicate if it was seen in the last PKTCHECK_WINDOW numbers, a late
 * (reordered) frame otherwise.
 */

#include <stdbool.h>
#include <stdint.h>

#define PKTCHECK_MAX_SENDERS	16
#define PKTCHECK_MAX_QUEUES	64
#define PKTCHECK_MAX_STREAMS	(PKTCHECK_MAX_SENDERS * PKTCHECK_MAX_QUEUES)
#define PKTCHECK_WINDOW		4096	/* bits; a power of two */
#define PKTCHECK_GAP_LOG	8	/* first gaps remembered for the report */

struct pktcheck_stream {
	uint64_t next_seq;	/**< lowest number not yet seen in order */
	uint64_t received;	/**< distinct data frames received */
	uint64_t gaps;		/**< numbers skipped (still missing or late) */
	uint64_t dups;
	uint64_t late;		/**< arrived after a higher number */
	uint64_t fin_seq;	/**< frames the sender sent, valid if fin_seen */
	uint64_t after_fin;	/**< data frames after the FIN */
	uint64_t gap_from[PKTCHECK_GAP_LOG];	/**< first missing number of a gap */
	uint64_t gap_len[PKTCHECK_GAP_LOG];
	uint32_t nb_gap_log;
	bool active;
	bool fin_seen;
	uint64_t seen[PKTCHECK_WINDOW / 64];
};

static inline uint16_t
pktcheck_stream_id(uint16_t sender, uint16_t queue)
{
	return sender * PKTCHECK_MAX_QUEUES + queue;
}

/** Account one verified data frame. */
void pktcheck_stream_data(struct pktcheck_stream *s, uint64_t seq);

/** Account the end-of-stream frame that says @total frames were sent. */
void pktcheck_stream_fin(struct pktcheck_stream *s, uint64_t total);

/** Frames sent but never received; 0 until the FIN arrived. */
uint64_t pktcheck_stream_lost(const struct pktcheck_stream *s);

#endif /* _PKTCHECK_STREAM_H_ */

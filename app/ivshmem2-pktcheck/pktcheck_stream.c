/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

#include "pktcheck_stream.h"

static inline bool
seen_test_and_set(struct pktcheck_stream *s, uint64_t seq)
{
	uint64_t bit = seq % PKTCHECK_WINDOW;
	uint64_t mask = 1ull << (bit % 64);
	bool was = (s->seen[bit / 64] & mask) != 0;

	s->seen[bit / 64] |= mask;
	return was;
}

static inline void
seen_clear(struct pktcheck_stream *s, uint64_t seq)
{
	uint64_t bit = seq % PKTCHECK_WINDOW;

	s->seen[bit / 64] &= ~(1ull << (bit % 64));
}

void
pktcheck_stream_data(struct pktcheck_stream *s, uint64_t seq)
{
	uint64_t n;

	s->active = true;
	if (s->fin_seen)
		s->after_fin++;
	if (seq == s->next_seq) {
		seen_test_and_set(s, seq);
		s->next_seq++;
		s->received++;
		return;
	}
	if (seq > s->next_seq) {
		/* Forget what the window knew about the skipped numbers. */
		if (seq - s->next_seq >= PKTCHECK_WINDOW) {
			for (n = 0; n < PKTCHECK_WINDOW / 64; n++)
				s->seen[n] = 0;
		} else {
			for (n = s->next_seq; n < seq; n++)
				seen_clear(s, n);
		}
		s->gaps += seq - s->next_seq;
		if (s->nb_gap_log < PKTCHECK_GAP_LOG) {
			s->gap_from[s->nb_gap_log] = s->next_seq;
			s->gap_len[s->nb_gap_log] = seq - s->next_seq;
			s->nb_gap_log++;
		}
		seen_test_and_set(s, seq);
		s->next_seq = seq + 1;
		s->received++;
		return;
	}
	/* seq < next_seq: seen before, or filling a gap late. */
	if (s->next_seq - seq <= PKTCHECK_WINDOW && seen_test_and_set(s, seq)) {
		s->dups++;
		return;
	}
	s->late++;
	s->received++;
	if (s->gaps > 0)
		s->gaps--;
}

void
pktcheck_stream_fin(struct pktcheck_stream *s, uint64_t total)
{
	s->active = true;
	if (s->fin_seen)
		s->dups++;
	s->fin_seen = true;
	s->fin_seq = total;
}

uint64_t
pktcheck_stream_lost(const struct pktcheck_stream *s)
{
	if (!s->fin_seen)
		return 0;
	return s->fin_seq > s->received ? s->fin_seq - s->received : 0;
}

/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/* The round-trip histogram's bucket arithmetic, shared by ping and the report. */

#include "pktcheck_hist.h"

unsigned int
pktcheck_hist_bucket(uint64_t ns)
{
	unsigned int octave;

	if (ns < PKTCHECK_HIST_SUB)
		return (unsigned int)ns;
	octave = 63 - (unsigned int)__builtin_clzll(ns);	/* >= SUB_BITS */
	return (octave - PKTCHECK_HIST_SUB_BITS + 1) * PKTCHECK_HIST_SUB +
	       (unsigned int)((ns >> (octave - PKTCHECK_HIST_SUB_BITS)) & (PKTCHECK_HIST_SUB - 1));
}

uint64_t
pktcheck_hist_lower(unsigned int b)
{
	unsigned int octave;

	if (b < PKTCHECK_HIST_SUB)
		return b;
	octave = b / PKTCHECK_HIST_SUB + PKTCHECK_HIST_SUB_BITS - 1;
	return (uint64_t)(PKTCHECK_HIST_SUB + b % PKTCHECK_HIST_SUB) <<
	       (octave - PKTCHECK_HIST_SUB_BITS);
}

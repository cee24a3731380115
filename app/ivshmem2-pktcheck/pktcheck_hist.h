/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

#ifndef PKTCHECK_HIST_H
#define PKTCHECK_HIST_H

#include <stdint.h>

/*
 * Round-trip histogram, log-linear in nanoseconds: values below
 * PKTCHECK_HIST_SUB have a bucket each, above that every power of two is
 * split into PKTCHECK_HIST_SUB buckets (resolution 1/16 octave, 4.4 %).
 */
#define PKTCHECK_HIST_SUB_BITS	4
#define PKTCHECK_HIST_SUB	(1u << PKTCHECK_HIST_SUB_BITS)
#define PKTCHECK_HIST_BUCKETS	((64 - PKTCHECK_HIST_SUB_BITS + 1) * PKTCHECK_HIST_SUB)

/** Bucket of a round trip of @ns nanoseconds. */
unsigned int pktcheck_hist_bucket(uint64_t ns);
/** Smallest value (ns) that falls into bucket @b. */
uint64_t pktcheck_hist_lower(unsigned int b);

#endif /* PKTCHECK_HIST_H */

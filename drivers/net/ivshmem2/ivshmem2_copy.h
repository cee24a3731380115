/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

#ifndef _IVSHMEM2_COPY_H_
#define _IVSHMEM2_COPY_H_

/*
 * Slot writes (tx: mbuf -> own section). The copy is bound by the slot
 * lines: with ordinary stores the producer first takes back each line the
 * consumer's core read last (a cross-core miss per line, about 160 ns
 * where the two cores share no cache). Full lines written with
 * non-temporal stores need no read for ownership and leave no dirty line
 * in the producer's cache for the consumer to fetch, so every frame of a
 * line or more is streamed. The variant is chosen once per tx queue
 * (ivshmem2_copy_select); frames under a line never reach it
 * (ivshmem2_copy_slot copies them inline), and the burst issues one store
 * fence before it publishes its tail (ivshmem2_copy_fence), not one per
 * frame.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_atomic.h>
#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_memcpy.h>

/* Frames up to this many bytes: inlined rte_memcpy (no whole line to stream). */
#define IVSHMEM2_COPY_INLINE_MAX	63u
/* From this many bytes on, whole lines are written with non-temporal stores. */
#define IVSHMEM2_COPY_STREAM_MIN	64u

enum ivshmem2_copy_kind {
	IVSHMEM2_COPY_MEMCPY = 0,	/**< rte_memcpy; zeroed queues get this one */
	IVSHMEM2_COPY_AVX2,		/**< 32 B moves, non-temporal from STREAM_MIN */
	IVSHMEM2_COPY_AVX512,		/**< 64 B moves, non-temporal from STREAM_MIN */
	IVSHMEM2_COPY_KINDS,
};

typedef void (*ivshmem2_copy_t)(void *dst, const void *src, uint32_t len);

/*
 * Per process (a queue in shared memory holds the kind, never a function
 * pointer: the PMD is mapped at another address in a secondary).
 */
extern const ivshmem2_copy_t ivshmem2_copy_fns[IVSHMEM2_COPY_KINDS];

/** Name of @kind ("memcpy", "avx2", "avx512"). */
const char *ivshmem2_copy_name(enum ivshmem2_copy_kind kind);

/** True if this CPU can run @kind (CPU flags only, not the EAL's SIMD limit). */
bool ivshmem2_copy_supported(enum ivshmem2_copy_kind kind);

/** True if @kind writes with non-temporal stores (the burst must fence them). */
static inline bool
ivshmem2_copy_streams(enum ivshmem2_copy_kind kind)
{
	return kind != IVSHMEM2_COPY_MEMCPY;
}

/**
 * Choose the variant for a tx queue: the environment variable IVSHMEM2_COPY
 * (avx512, avx2 or memcpy) if set and this CPU has it, else the widest one
 * the CPU has within the EAL's maximum SIMD bitwidth
 * (--force-max-simd-bitwidth; 256 by default, so AVX-512 must be asked for).
 *
 * @param why
 *   Set to a short reason for the log.
 * @return
 *   The variant.
 */
enum ivshmem2_copy_kind ivshmem2_copy_select(const char **why);

/**
 * Copy @len bytes of a frame into a slot. Writes nothing past dst + len.
 * Non-temporal stores may still be pending: the caller fences (below)
 * before it publishes the slot.
 */
static __rte_always_inline void
ivshmem2_copy_slot(enum ivshmem2_copy_kind kind, void *dst, const void *src, uint32_t len)
{
	if (likely(len <= IVSHMEM2_COPY_INLINE_MAX))
		rte_memcpy(dst, src, len);
	else
		ivshmem2_copy_fns[kind](dst, src, len);
}

/** Order the non-temporal stores of the burst before the tail that publishes them. */
static __rte_always_inline void
ivshmem2_copy_fence(void)
{
	rte_wmb();	/* sfence on x86 */
}

#endif /* _IVSHMEM2_COPY_H_ */

/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/*
 * Slot copy variants (ivshmem2_copy.h). The vector ones are compiled with
 * function-level target attributes: the PMD keeps the installed DPDK's
 * baseline flags (-march=corei7 on Debian) and runs them only on a CPU that
 * has the instructions.
 *
 * Above IVSHMEM2_COPY_STREAM_MIN a copy writes the destination's whole
 * lines with non-temporal stores and only the partial lines at either end
 * with ordinary ones, so it never writes a byte outside [dst, dst + len)
 * (nor reads one outside [src, src + len)).
 */

#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cpuflags.h>
#include <rte_memcpy.h>
#include <rte_vect.h>

#ifdef RTE_ARCH_X86
#include <immintrin.h>
#endif

#include "ivshmem2_copy.h"

#define LINE	64u

static const char *const copy_names[IVSHMEM2_COPY_KINDS] = {
	[IVSHMEM2_COPY_MEMCPY] = "memcpy",
	[IVSHMEM2_COPY_AVX2] = "avx2",
	[IVSHMEM2_COPY_AVX512] = "avx512",
};

static void
copy_memcpy(void *dst, const void *src, uint32_t len)
{
	rte_memcpy(dst, src, len);
}

#ifdef RTE_ARCH_X86

#define TARGET_AVX2	__attribute__((target("avx2")))
#define TARGET_AVX512	__attribute__((target("avx2,avx512f,avx512bw")))

/* Ordinary 32 B moves; the last one overlaps back so no byte past the end is touched. */
static TARGET_AVX2 inline void
avx2_copy_regular(uint8_t *d, const uint8_t *s, uint32_t len)
{
	if (len < 32) {
		rte_memcpy(d, s, len);
		return;
	}
	for (; len > 32; len -= 32, d += 32, s += 32)
		_mm256_storeu_si256((__m256i *)d, _mm256_loadu_si256((const __m256i *)s));
	_mm256_storeu_si256((__m256i *)(d + len - 32),
			    _mm256_loadu_si256((const __m256i *)(s + len - 32)));
}

static TARGET_AVX2 void
copy_avx2(void *dst, const void *src, uint32_t len)
{
	uint8_t *d = dst;
	const uint8_t *s = src;
	uint32_t head;

	if (len < IVSHMEM2_COPY_STREAM_MIN) {
		avx2_copy_regular(d, s, len);
		return;
	}
	/* Slots start on a line; a chain's later segment may not. */
	head = (uint32_t)(-(uintptr_t)d & (LINE - 1));
	avx2_copy_regular(d, s, head);
	d += head;
	s += head;
	len -= head;
	for (; len >= LINE; len -= LINE, d += LINE, s += LINE) {
		__m256i a = _mm256_loadu_si256((const __m256i *)s);
		__m256i b = _mm256_loadu_si256((const __m256i *)(s + 32));

		_mm256_stream_si256((__m256i *)d, a);
		_mm256_stream_si256((__m256i *)(d + 32), b);
	}
	avx2_copy_regular(d, s, len);
}

/* Up to 63 bytes with one masked load and store (masked-off bytes are not accessed). */
static TARGET_AVX512 inline void
avx512_copy_part(uint8_t *d, const uint8_t *s, uint32_t len)
{
	__mmask64 m;

	if (len == 0)
		return;
	m = ~0ULL >> (LINE - len);
	_mm512_mask_storeu_epi8(d, m, _mm512_maskz_loadu_epi8(m, s));
}

static TARGET_AVX512 void
copy_avx512(void *dst, const void *src, uint32_t len)
{
	uint8_t *d = dst;
	const uint8_t *s = src;
	uint32_t head;

	if (len < IVSHMEM2_COPY_STREAM_MIN) {
		for (; len >= LINE; len -= LINE, d += LINE, s += LINE)
			_mm512_storeu_si512(d, _mm512_loadu_si512(s));
		avx512_copy_part(d, s, len);
		return;
	}
	head = (uint32_t)(-(uintptr_t)d & (LINE - 1));
	avx512_copy_part(d, s, head);
	d += head;
	s += head;
	len -= head;
	for (; len >= LINE; len -= LINE, d += LINE, s += LINE)
		_mm512_stream_si512((void *)d, _mm512_loadu_si512(s));
	avx512_copy_part(d, s, len);
}

#else /* !RTE_ARCH_X86 */

#define copy_avx2	copy_memcpy
#define copy_avx512	copy_memcpy

#endif /* RTE_ARCH_X86 */

const ivshmem2_copy_t ivshmem2_copy_fns[IVSHMEM2_COPY_KINDS] = {
	[IVSHMEM2_COPY_MEMCPY] = copy_memcpy,
	[IVSHMEM2_COPY_AVX2] = copy_avx2,
	[IVSHMEM2_COPY_AVX512] = copy_avx512,
};

const char *
ivshmem2_copy_name(enum ivshmem2_copy_kind kind)
{
	return (unsigned int)kind < IVSHMEM2_COPY_KINDS ? copy_names[kind] : "?";
}

bool
ivshmem2_copy_supported(enum ivshmem2_copy_kind kind)
{
	switch (kind) {
	case IVSHMEM2_COPY_MEMCPY:
		return true;
#ifdef RTE_ARCH_X86
	case IVSHMEM2_COPY_AVX2:
		return rte_cpu_get_flag_enabled(RTE_CPUFLAG_AVX2) > 0;
	case IVSHMEM2_COPY_AVX512:
		return rte_cpu_get_flag_enabled(RTE_CPUFLAG_AVX512F) > 0 &&
		       rte_cpu_get_flag_enabled(RTE_CPUFLAG_AVX512BW) > 0;
#endif
	default:
		return false;
	}
}

enum ivshmem2_copy_kind
ivshmem2_copy_select(const char **why)
{
	const char *env = getenv("IVSHMEM2_COPY");
	uint16_t simd = rte_vect_get_max_simd_bitwidth();
	bool env_ignored = false;
	int k;

	if (env != NULL && env[0] != '\0') {
		for (k = 0; k < IVSHMEM2_COPY_KINDS; k++) {
			if (strcmp(env, copy_names[k]) == 0 &&
			    ivshmem2_copy_supported((enum ivshmem2_copy_kind)k)) {
				*why = "forced by IVSHMEM2_COPY";
				return (enum ivshmem2_copy_kind)k;
			}
		}
		env_ignored = true;	/* unknown, or not on this CPU */
	}
	if (simd >= RTE_VECT_SIMD_512 && ivshmem2_copy_supported(IVSHMEM2_COPY_AVX512))
		k = IVSHMEM2_COPY_AVX512;
	else if (simd >= RTE_VECT_SIMD_256 && ivshmem2_copy_supported(IVSHMEM2_COPY_AVX2))
		k = IVSHMEM2_COPY_AVX2;
	else
		k = IVSHMEM2_COPY_MEMCPY;
	*why = env_ignored ?
		"IVSHMEM2_COPY ignored (unknown, or not on this CPU): widest within the SIMD limit" :
		"widest within the EAL's SIMD bitwidth";
	return (enum ivshmem2_copy_kind)k;
}

/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

#include <stddef.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_hash_crc.h>

#include "pktcheck_frame.h"

#define PATTERN_STEP	0x9E3779B97F4A7C15ull

static const char * const verdict_names[PKTCHECK_VERDICT_MAX] = {
	[PKTCHECK_OK] = "ok",
	[PKTCHECK_FOREIGN] = "foreign",
	[PKTCHECK_BAD_CHAIN] = "bad_chain",
	[PKTCHECK_BAD_HDR] = "bad_header",
	[PKTCHECK_BAD_LEN] = "bad_length",
	[PKTCHECK_BAD_CRC] = "bad_crc",
	[PKTCHECK_BAD_PAYLOAD] = "bad_payload",
};

const char *
pktcheck_verdict_name(enum pktcheck_verdict v)
{
	return v < PKTCHECK_VERDICT_MAX ? verdict_names[v] : "?";
}

/* splitmix64: neighbouring (stream, seq) give unrelated patterns. */
static inline uint64_t
pattern_base(uint16_t stream, uint64_t seq)
{
	uint64_t z = seq ^ ((uint64_t)stream << 48) ^ 0x5DEECE66Dull;

	z += PATTERN_STEP;
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static void
pattern_fill(uint8_t *dst, uint32_t len, uint16_t stream, uint64_t seq)
{
	uint64_t word = pattern_base(stream, seq);
	uint64_t le;
	uint32_t off;

	for (off = 0; off + 8 <= len; off += 8) {
		le = rte_cpu_to_le_64(word);
		memcpy(dst + off, &le, 8);
		word += PATTERN_STEP;
	}
	le = rte_cpu_to_le_64(word);
	memcpy(dst + off, &le, len - off);
}

static int
pattern_check(const uint8_t *src, uint32_t len, uint16_t stream, uint64_t seq)
{
	uint64_t word = pattern_base(stream, seq);
	uint64_t le;
	uint32_t off;

	for (off = 0; off + 8 <= len; off += 8) {
		le = rte_cpu_to_le_64(word);
		if (memcmp(src + off, &le, 8) != 0)
			return -1;
		word += PATTERN_STEP;
	}
	le = rte_cpu_to_le_64(word);
	return memcmp(src + off, &le, len - off) == 0 ? 0 : -1;
}

static uint32_t
hdr_crc(const struct pktcheck_hdr *h)
{
	return rte_hash_crc(h, offsetof(struct pktcheck_hdr, hdr_crc), 0xFFFFFFFF);
}

/* Copy @len bytes of @src into a fresh chain of segments of @seg_size bytes. */
static struct rte_mbuf *
chain_from_buffer(struct rte_mempool *pool, const uint8_t *src, uint32_t len, uint32_t seg_size)
{
	struct rte_mbuf *segs[RTE_MBUF_MAX_NB_SEGS];
	uint32_t nb_segs = (len + seg_size - 1) / seg_size;
	uint32_t i, off, n;
	char *dst;

	if (nb_segs == 0 || nb_segs > RTE_DIM(segs))
		return NULL;
	if (rte_pktmbuf_alloc_bulk(pool, segs, nb_segs) != 0)
		return NULL;
	for (i = 0, off = 0; i < nb_segs; i++, off += n) {
		n = RTE_MIN(seg_size, len - off);
		dst = rte_pktmbuf_append(segs[i], n);
		if (dst == NULL)
			goto fail;
		memcpy(dst, src + off, n);
		if (i > 0 && rte_pktmbuf_chain(segs[0], segs[i]) != 0)
			goto fail;
	}
	return segs[0];
fail:
	/* segs[0..i] are chained to segs[0] or still loose: free each one alone. */
	for (n = 1; n < nb_segs; n++)
		segs[n]->next = NULL;
	segs[0]->next = NULL;
	segs[0]->nb_segs = 1;
	rte_pktmbuf_free_bulk(segs, nb_segs);
	return NULL;
}

struct rte_mbuf *
pktcheck_frame_build(struct rte_mempool *pool, struct pktcheck_scratch *scratch,
		     const struct rte_ether_addr *src, const struct rte_ether_addr *dst,
		     uint16_t stream, uint16_t flags, uint64_t seq, uint32_t frame_len,
		     uint32_t seg_size)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)scratch->buf;
	struct pktcheck_hdr *h = (struct pktcheck_hdr *)(scratch->buf + PKTCHECK_HDR_OFFSET);
	uint8_t *payload = scratch->buf + PKTCHECK_PAYLOAD_OFFSET;
	uint32_t payload_len;

	if (frame_len < PKTCHECK_MIN_FRAME || frame_len > PKTCHECK_MAX_FRAME)
		return NULL;
	payload_len = frame_len - PKTCHECK_PAYLOAD_OFFSET;

	rte_ether_addr_copy(dst, &eth->dst_addr);
	rte_ether_addr_copy(src, &eth->src_addr);
	eth->ether_type = rte_cpu_to_be_16(PKTCHECK_ETHER_TYPE);

	pattern_fill(payload, payload_len, stream, seq);
	h->magic = rte_cpu_to_le_32(PKTCHECK_MAGIC);
	h->flags = rte_cpu_to_le_16(flags);
	h->stream = rte_cpu_to_le_16(stream);
	h->seq = rte_cpu_to_le_64(seq);
	h->tsc = rte_cpu_to_le_64(rte_get_tsc_cycles());
	h->frame_len = rte_cpu_to_le_32(frame_len);
	h->payload_crc = rte_cpu_to_le_32(rte_hash_crc(payload, payload_len, 0xFFFFFFFF));
	h->hdr_crc = rte_cpu_to_le_32(hdr_crc(h));
	h->reserved = 0;

	return chain_from_buffer(pool, scratch->buf, frame_len, seg_size);
}

static int
chain_consistent(const struct rte_mbuf *m)
{
	const struct rte_mbuf *seg;
	uint32_t sum = 0;
	uint16_t n = 0;

	for (seg = m; seg != NULL; seg = seg->next) {
		if (++n > m->nb_segs)
			return -1;
		sum += seg->data_len;
	}
	return n == m->nb_segs && sum == m->pkt_len ? 0 : -1;
}

enum pktcheck_verdict
pktcheck_frame_verify(const struct rte_mbuf *m, struct pktcheck_scratch *scratch,
		      struct pktcheck_frame_info *info)
{
	const struct rte_ether_hdr *eth;
	const struct pktcheck_hdr *h;
	const uint8_t *frame;
	uint32_t len = rte_pktmbuf_pkt_len(m);
	uint32_t payload_len;

	if (chain_consistent(m) != 0)
		return PKTCHECK_BAD_CHAIN;
	if (len < PKTCHECK_PAYLOAD_OFFSET || len > PKTCHECK_MAX_FRAME)
		return PKTCHECK_FOREIGN;
	/* Contiguous frames are read in place; chains are gathered. */
	frame = rte_pktmbuf_read(m, 0, len, scratch->buf);
	if (frame == NULL)
		return PKTCHECK_BAD_CHAIN;
	eth = (const struct rte_ether_hdr *)frame;
	h = (const struct pktcheck_hdr *)(frame + PKTCHECK_HDR_OFFSET);
	if (eth->ether_type != rte_cpu_to_be_16(PKTCHECK_ETHER_TYPE) ||
	    rte_le_to_cpu_32(h->magic) != PKTCHECK_MAGIC)
		return PKTCHECK_FOREIGN;
	if (rte_le_to_cpu_32(h->hdr_crc) != hdr_crc(h))
		return PKTCHECK_BAD_HDR;
	if (rte_le_to_cpu_32(h->frame_len) != len)
		return PKTCHECK_BAD_LEN;

	info->stream = rte_le_to_cpu_16(h->stream);
	info->flags = rte_le_to_cpu_16(h->flags);
	info->seq = rte_le_to_cpu_64(h->seq);
	info->tsc = rte_le_to_cpu_64(h->tsc);
	info->frame_len = len;

	payload_len = len - PKTCHECK_PAYLOAD_OFFSET;
	if (rte_le_to_cpu_32(h->payload_crc) !=
	    rte_hash_crc(frame + PKTCHECK_PAYLOAD_OFFSET, payload_len, 0xFFFFFFFF))
		return PKTCHECK_BAD_CRC;
	if (pattern_check(frame + PKTCHECK_PAYLOAD_OFFSET, payload_len, info->stream,
			  info->seq) != 0)
		return PKTCHECK_BAD_PAYLOAD;
	return PKTCHECK_OK;
}

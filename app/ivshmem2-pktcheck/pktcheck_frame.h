/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

#ifndef _PKTCHECK_FRAME_H_
#define _PKTCHECK_FRAME_H_

/*
 * Frame format of ivshmem2-pktcheck.
 *
 *   0   Ethernet header (ether type PKTCHECK_ETHER_TYPE)
 *   14  struct pktcheck_hdr (40 bytes, little endian)
 *   54  payload: 64-bit words, word k = pattern(stream, seq) + k * golden ratio
 *
 * The payload is a function of (stream, seq) alone, so the checker
 * recomputes it instead of trusting the frame: a stale buffer that still
 * carries a valid checksum for another sequence number is caught too.
 */

#include <stdint.h>

#include <rte_common.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#define PKTCHECK_ETHER_TYPE	0x88B5		/* IEEE local experimental */
#define PKTCHECK_MAGIC		0x50325649u	/* "IV2P" */
#define PKTCHECK_FLAG_FIN	0x0001		/* end of stream, seq = frames sent */

#define PKTCHECK_MIN_FRAME	60		/* Ethernet minimum without CRC */
#define PKTCHECK_MAX_FRAME	16128

struct pktcheck_hdr {
	uint32_t magic;		/**< PKTCHECK_MAGIC */
	uint16_t flags;		/**< PKTCHECK_FLAG_* */
	uint16_t stream;	/**< sender id and queue, see pktcheck_stream_id() */
	uint64_t seq;		/**< per stream, from 0, +1 per frame accepted by the PMD */
	uint64_t tsc;		/**< sender's TSC, for round-trip time */
	uint32_t frame_len;	/**< whole frame, Ethernet header included */
	uint32_t payload_crc;	/**< CRC32C of the payload */
	uint32_t hdr_crc;	/**< CRC32C of the fields above */
	uint32_t reserved;
} __rte_packed;

#define PKTCHECK_HDR_OFFSET	RTE_ETHER_HDR_LEN
#define PKTCHECK_PAYLOAD_OFFSET	(PKTCHECK_HDR_OFFSET + sizeof(struct pktcheck_hdr))

/** Verdict of pktcheck_frame_verify(). */
enum pktcheck_verdict {
	PKTCHECK_OK = 0,
	PKTCHECK_FOREIGN,	/**< not a pktcheck frame (type or magic) */
	PKTCHECK_BAD_CHAIN,	/**< mbuf chain lengths disagree with pkt_len */
	PKTCHECK_BAD_HDR,	/**< header CRC mismatch */
	PKTCHECK_BAD_LEN,	/**< frame length differs from header or size plan */
	PKTCHECK_BAD_CRC,	/**< payload CRC mismatch */
	PKTCHECK_BAD_PAYLOAD,	/**< payload differs from the (stream, seq) pattern */
	PKTCHECK_VERDICT_MAX,
};

/** Fields a verified frame carries. */
struct pktcheck_frame_info {
	uint16_t stream;
	uint16_t flags;
	uint64_t seq;
	uint64_t tsc;
	uint32_t frame_len;
};

/** Scratch space big enough for one whole frame. */
struct pktcheck_scratch {
	uint8_t buf[PKTCHECK_MAX_FRAME] __rte_cache_aligned;
};

const char *pktcheck_verdict_name(enum pktcheck_verdict v);

/**
 * Build one frame of @frame_len bytes as a chain of segments of at most
 * @seg_size bytes each.
 *
 * @return the mbuf, or NULL when the pool is empty.
 */
struct rte_mbuf *pktcheck_frame_build(struct rte_mempool *pool, struct pktcheck_scratch *scratch,
				      const struct rte_ether_addr *src,
				      const struct rte_ether_addr *dst, uint16_t stream,
				      uint16_t flags, uint64_t seq, uint32_t frame_len,
				      uint32_t seg_size);

/**
 * Check one received frame completely (chain, header, length, payload).
 * The caller compares info->frame_len with its size plan.
 *
 * @return the verdict; @info is filled for PKTCHECK_OK.
 */
enum pktcheck_verdict pktcheck_frame_verify(const struct rte_mbuf *m,
					    struct pktcheck_scratch *scratch,
					    struct pktcheck_frame_info *info);

#endif /* _PKTCHECK_FRAME_H_ */

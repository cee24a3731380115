/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/*
 * Shared-memory layout of an IVSHMEM v2 group (spec section 3) and the
 * state table at its start.
 *
 *   0                    state table: one 32-bit LE state per peer (RO for peers)
 *   state_table_size     R/W section (may be empty), writable by every peer
 *   + rw_section_size    output section of peer 0, 1, ... max_peers-1:
 *                        section i is writable by peer i only
 *
 * The state table is always IVSHMEM2_STATE_TABLE_SIZE bytes; the R/W section
 * takes what the output sections leave of the memory. Every peer derives the
 * same layout from (memory size, max_peers, output_section_size), so the one
 * function below is used by the server, the QEMU device and the PMD.
 */

#ifndef IVSHMEM2_SHMEM_H
#define IVSHMEM2_SHMEM_H

#include <stdint.h>

#define IVSHMEM2_STATE_TABLE_SIZE	4096u
#define IVSHMEM2_STATE_ENTRY_SIZE	4u
#define IVSHMEM2_STATE_TABLE_MAX_PEERS	(IVSHMEM2_STATE_TABLE_SIZE / IVSHMEM2_STATE_ENTRY_SIZE)

/* Largest shared memory of a group: the server creates and the device maps
 * at most this much (BAR2 is a power of two of at least the memory size).
 */
#define IVSHMEM2_MAX_SHM_SIZE		(1ull << 40)

/* The state of a peer that is not connected or was reset. */
#define IVSHMEM2_STATE_RESET		0u

struct ivshmem2_layout {
	uint64_t shm_size;		/* whole shared memory */
	uint64_t state_table_size;	/* offset of the R/W section */
	uint64_t rw_section_offset;
	uint64_t rw_section_size;
	uint64_t output_section_offset;	/* of peer 0's section */
	uint64_t output_section_size;	/* of each peer's section */
	uint32_t max_peers;
};

enum ivshmem2_layout_error {
	IVSHMEM2_LAYOUT_OK = 0,
	IVSHMEM2_LAYOUT_TOO_FEW_PEERS,	/* max_peers < 2 */
	IVSHMEM2_LAYOUT_TOO_MANY_PEERS,	/* state table cannot hold max_peers */
	IVSHMEM2_LAYOUT_UNALIGNED,	/* a size is not a multiple of the page size */
	IVSHMEM2_LAYOUT_TOO_SMALL,	/* sections do not fit in the memory */
};

static inline const char *
ivshmem2_layout_strerror(enum ivshmem2_layout_error err)
{
	switch (err) {
	case IVSHMEM2_LAYOUT_OK:
		return "ok";
	case IVSHMEM2_LAYOUT_TOO_FEW_PEERS:
		return "a group needs at least 2 peers";
	case IVSHMEM2_LAYOUT_TOO_MANY_PEERS:
		return "more peers than the 4096-byte state table holds (1024)";
	case IVSHMEM2_LAYOUT_UNALIGNED:
		return "memory and output-section sizes must be multiples of the page size";
	case IVSHMEM2_LAYOUT_TOO_SMALL:
		return "state table and output sections do not fit in the shared memory";
	}
	return "unknown layout error";
}

/*
 * Compute the layout of a group. @page_size is the mapping granularity that
 * every section must respect (4 KiB, or the huge page size of hugetlbfs);
 * it must be a power of two no larger than the state table unless the
 * caller accepts a state table that shares a page with the R/W section.
 * Overflow-safe for any input.
 */
static inline enum ivshmem2_layout_error
ivshmem2_layout_compute(struct ivshmem2_layout *l, uint64_t shm_size, uint32_t max_peers,
			uint64_t output_section_size, uint64_t page_size)
{
	uint64_t outputs;

	if (max_peers < 2)
		return IVSHMEM2_LAYOUT_TOO_FEW_PEERS;
	if (max_peers > IVSHMEM2_STATE_TABLE_MAX_PEERS)
		return IVSHMEM2_LAYOUT_TOO_MANY_PEERS;
	if (page_size == 0 || (page_size & (page_size - 1)) != 0 ||
	    (shm_size & (page_size - 1)) != 0 || (output_section_size & (page_size - 1)) != 0)
		return IVSHMEM2_LAYOUT_UNALIGNED;
	if (shm_size < IVSHMEM2_STATE_TABLE_SIZE)
		return IVSHMEM2_LAYOUT_TOO_SMALL;
	if (output_section_size > (shm_size - IVSHMEM2_STATE_TABLE_SIZE) / max_peers)
		return IVSHMEM2_LAYOUT_TOO_SMALL;
	outputs = output_section_size * max_peers;

	l->shm_size = shm_size;
	l->state_table_size = IVSHMEM2_STATE_TABLE_SIZE;
	l->rw_section_offset = IVSHMEM2_STATE_TABLE_SIZE;
	l->rw_section_size = shm_size - IVSHMEM2_STATE_TABLE_SIZE - outputs;
	l->output_section_offset = shm_size - outputs;
	l->output_section_size = output_section_size;
	l->max_peers = max_peers;
	return IVSHMEM2_LAYOUT_OK;
}

/* Offset of peer @id's output section; @id must be below l->max_peers. */
static inline uint64_t
ivshmem2_layout_output_offset(const struct ivshmem2_layout *l, uint32_t id)
{
	return l->output_section_offset + (uint64_t)id * l->output_section_size;
}

#endif /* IVSHMEM2_SHMEM_H */

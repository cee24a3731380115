/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/*
 * The shared memory of a group, mapped from its fd into one reserved range
 * with a protection per region.
 */

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>

#include <rte_common.h>

#include "ivshmem2_logs.h"
#include "ivshmem2_shm.h"

int
ivshmem2_shm_reserve(struct ivshmem2_hw *hw, void *addr, const char *name)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
	void *base;

	if (addr != NULL)
		flags |= MAP_FIXED_NOREPLACE;
	base = mmap(addr, hw->shm.shm_size, PROT_NONE, flags, -1, 0);
	if (addr == NULL && base == MAP_FAILED) {
		IVSHMEM2_LOG(ERR, "%s: cannot reserve %" PRIu64 " bytes of address space: %s",
			     name, hw->shm.shm_size, strerror(errno));
		return -ENOMEM;
	}
	/* A kernel without MAP_FIXED_NOREPLACE takes @addr as a hint only. */
	if (addr != NULL && base != addr) {
		IVSHMEM2_LOG(ERR, "%s: cannot map the shared memory at the primary's address "
			     "%p (in use in this process)", name, addr);
		if (base != MAP_FAILED)
			munmap(base, hw->shm.shm_size);
		return -EADDRINUSE;
	}
	hw->base = base;
	return 0;
}

int
ivshmem2_shm_map(struct ivshmem2_hw *hw, int fd, bool state_table_rw, const char *name)
{
	uint64_t st_end = RTE_ALIGN_CEIL((uint64_t)IVSHMEM2_STATE_TABLE_SIZE, hw->page_size);
	uint64_t own = ivshmem2_layout_output_offset(&hw->shm, hw->id);
	uint64_t own_end = own + hw->shm.output_section_size;
	struct {
		uint64_t off, len;
		int prot;
	} r[] = {
		{ 0, st_end, state_table_rw ? PROT_READ | PROT_WRITE : PROT_READ },
		{ st_end, own - st_end, PROT_READ },	/* R/W section, lower peers */
		{ own, own_end - own, PROT_READ | PROT_WRITE },
		{ own_end, hw->shm.shm_size - own_end, PROT_READ },
	};
	unsigned int i;

	/* The layout may come from another process: no region may wrap or overlap. */
	if (own < st_end || own_end < own || own_end > hw->shm.shm_size) {
		IVSHMEM2_LOG(ERR, "%s: inconsistent layout: output section of peer %u at "
			     "%#" PRIx64 "..%#" PRIx64 " in %#" PRIx64 " bytes", name, hw->id,
			     own, own_end, hw->shm.shm_size);
		return -EPROTO;
	}
	for (i = 0; i < RTE_DIM(r); i++) {
		if (r[i].len == 0)
			continue;
		if (mmap(hw->base + r[i].off, r[i].len, r[i].prot, MAP_SHARED | MAP_FIXED, fd,
			 (off_t)r[i].off) == MAP_FAILED) {
			int err = errno;

			IVSHMEM2_LOG(ERR, "%s: mmap of shared memory failed: %s", name,
				     strerror(err));
			return -err;
		}
	}
	return 0;
}

void
ivshmem2_shm_unmap(struct ivshmem2_hw *hw)
{
	if (hw->base == NULL)
		return;
	if (hw->zc_held) {
		/* Zero-copy mbufs the application still holds point in there. */
		IVSHMEM2_LOG(NOTICE, "shared memory stays mapped for held zero-copy buffers");
		return;
	}
	munmap(hw->base, hw->shm.shm_size);
	hw->base = NULL;
}

/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

#ifndef _IVSHMEM2_SHM_H_
#define _IVSHMEM2_SHM_H_

/*
 * Mapping a group's shared memory from its file descriptor (ivshmem2_shm.c),
 * for the attachments that receive the memory as a file: the vdev attachment
 * (from ivshmem2-server) and a secondary process (from the primary). Both map
 * it the way the device exposes it to a guest: only the own output section is
 * writable.
 */

#include <stdbool.h>

#include "ivshmem2_hw.h"

/**
 * Reserve hw->shm.shm_size bytes of address space, without access, and set
 * hw->base to it: anywhere if @addr is NULL, else exactly at @addr (a
 * secondary maps at the primary's address). @name is for the log.
 * @return 0, -ENOMEM, or -EADDRINUSE when @addr is taken in this process.
 */
int ivshmem2_shm_reserve(struct ivshmem2_hw *hw, void *addr, const char *name);

/**
 * Map the memory behind @fd over the reserved range at hw->base with
 * MAP_FIXED, so that remapping after a server restart never leaves a hole:
 * own output section (hw->id) read-write, the state table read-write only if
 * @state_table_rw (the process that writes its own entry), the rest read-only.
 * @return 0, -EPROTO if hw->shm puts the own section outside the memory, or
 * a negative errno from mmap.
 */
int ivshmem2_shm_map(struct ivshmem2_hw *hw, int fd, bool state_table_rw, const char *name);

/** Release the range of ivshmem2_shm_reserve(), if any. */
void ivshmem2_shm_unmap(struct ivshmem2_hw *hw);

#endif /* _IVSHMEM2_SHM_H_ */

/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

#ifndef _IVSHMEM2_EFD_H_
#define _IVSHMEM2_EFD_H_

/*
 * Doorbells of the attachments that reach peers through eventfds (the vdev
 * attachment and a secondary process): one fd per (peer, vector), -1 where
 * unknown. The data path reads a slot while the control path may fill it.
 */

#include <stdint.h>
#include <unistd.h>

#include "ivshmem2_hw.h"

/** A table of hw->max_peers * hw->vectors slots, all -1; NULL if out of memory. */
int *ivshmem2_efds_alloc(const struct ivshmem2_hw *hw);

/** Close every fd in @efds and free it (NULL is fine). */
void ivshmem2_efds_free(const struct ivshmem2_hw *hw, int *efds);

/** The eventfd of (@peer, @vector), or -1 if unknown or out of range. */
static inline int
ivshmem2_efds_get(const struct ivshmem2_hw *hw, const int *efds, uint32_t peer,
		  uint32_t vector)
{
	if (peer >= hw->max_peers || vector >= hw->vectors)
		return -1;
	return __atomic_load_n(&efds[(size_t)peer * hw->vectors + vector], __ATOMIC_ACQUIRE);
}

/** Ring (@peer, @vector); data path safe, a no-op when the fd is unknown. */
static inline void
ivshmem2_efds_notify(const struct ivshmem2_hw *hw, const int *efds, uint32_t peer,
		     uint32_t vector)
{
	static const uint64_t one = 1;
	int fd = ivshmem2_efds_get(hw, efds, peer, vector);

	if (fd >= 0 && write(fd, &one, sizeof(one)) < 0) {
		/* Counter saturated or peer gone: the receiver polls anyway. */
	}
}

#endif /* _IVSHMEM2_EFD_H_ */

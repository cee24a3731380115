/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

#ifndef _IVSHMEM2_MP_H_
#define _IVSHMEM2_MP_H_

/*
 * Secondary processes of the vdev attachment (ivshmem2_mp.c): the primary
 * answers over rte_mp with the memory fd, the layout and the doorbell
 * eventfds; a secondary maps the memory and attaches to the primary's ports,
 * and follows the primary when that reconnects to a restarted server.
 */

#include <stdbool.h>

struct ivshmem2_hw;
struct rte_vdev_device;

/** Primary: answer secondaries' requests (idempotent; harmless without multi-process). */
void ivshmem2_mp_primary_init(void);

/**
 * Primary: tell the secondaries, through the ports' shared data, that the
 * memory or the own ID changed (@remapped: hw->map_gen is incremented) or
 * that the peers' doorbell eventfds did; they fetch them again. hw->lock held.
 */
void ivshmem2_mp_publish_locked(struct ivshmem2_hw *hw, bool remapped);

/** Secondary probe: get memory and fds from the primary, attach its ports. */
int ivshmem2_mp_attach_secondary(struct rte_vdev_device *vdev);

#endif /* _IVSHMEM2_MP_H_ */

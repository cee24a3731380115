/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

#ifndef _IVSHMEM2_EFD_H_
#define _IVSHMEM2_EFD_H_

/*
 * The eventfds of the attachments that reach peers through eventfds (the
 * vdev attachment and a secondary process): one fd per (peer, vector), -1
 * where unknown. Every peer holds the same files: only the doorbell relay
 * (ivshmem2_doorbell.h) writes them.
 */

#include <stdint.h>

struct ivshmem2_efds {
	int *fd;		/**< [nb_peers * nb_vectors], -1 = unknown */
	uint32_t nb_peers;
	uint32_t nb_vectors;
};

/**
 * Allocate a table of @peers * @vectors slots, all -1.
 * @return 0 or -ENOMEM.
 */
int ivshmem2_efds_init(struct ivshmem2_efds *t, uint32_t peers, uint32_t vectors);

/** Close every fd of @t and free it (an uninitialised, zeroed table is fine). */
void ivshmem2_efds_fini(struct ivshmem2_efds *t);

/** The slot of (@peer, @vector); both must be in range. */
static inline int *
ivshmem2_efds_slot(const struct ivshmem2_efds *t, uint32_t peer, uint32_t vector)
{
	return &t->fd[(size_t)peer * t->nb_vectors + vector];
}

/**
 * Put eventfd @fd, ours to give, into the slot of (@peer, @vector) (both in
 * range). A slot keeps its fd number once assigned, as the data path may be
 * writing to it: @fd is dup2()ed over the old one and closed.
 * @return 0, or a negative errno from dup2 (the slot keeps its old eventfd).
 */
int ivshmem2_efds_set(struct ivshmem2_efds *t, uint32_t peer, uint32_t vector, int fd);

/**
 * The eventfd of (@peer, @vector) is void: if the slot has an fd number, the
 * eventfd @dummy (nobody reads it) is dup2()ed over it, so that a doorbell
 * in flight rings nothing and the fd number is not reused.
 */
void ivshmem2_efds_park(struct ivshmem2_efds *t, uint32_t peer, uint32_t vector, int dummy);

/** The eventfd of (@peer, @vector), or -1 if unknown or out of range. */
static inline int
ivshmem2_efds_get(const struct ivshmem2_efds *t, uint32_t peer, uint32_t vector)
{
	if (t->fd == NULL || peer >= t->nb_peers || vector >= t->nb_vectors)
		return -1;
	return __atomic_load_n(ivshmem2_efds_slot(t, peer, vector), __ATOMIC_ACQUIRE);
}

#endif /* _IVSHMEM2_EFD_H_ */

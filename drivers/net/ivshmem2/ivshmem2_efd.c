/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/* The (peer, vector) eventfd table of the eventfd attachments. */

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "ivshmem2_efd.h"

int
ivshmem2_efds_init(struct ivshmem2_efds *t, uint32_t peers, uint32_t vectors)
{
	size_t i, n = (size_t)peers * vectors;

	t->fd = malloc(n * sizeof(*t->fd));
	if (t->fd == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		t->fd[i] = -1;
	t->nb_peers = peers;
	t->nb_vectors = vectors;
	return 0;
}

void
ivshmem2_efds_fini(struct ivshmem2_efds *t)
{
	size_t i;

	if (t->fd == NULL)
		return;
	for (i = 0; i < (size_t)t->nb_peers * t->nb_vectors; i++)
		if (t->fd[i] >= 0)
			close(t->fd[i]);
	free(t->fd);
	t->fd = NULL;
}

int
ivshmem2_efds_set(struct ivshmem2_efds *t, uint32_t peer, uint32_t vector, int fd)
{
	int *slot = ivshmem2_efds_slot(t, peer, vector);
	int ret = 0;

	if (*slot < 0) {
		__atomic_store_n(slot, fd, __ATOMIC_RELEASE);
		return 0;
	}
	if (dup2(fd, *slot) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

void
ivshmem2_efds_park(struct ivshmem2_efds *t, uint32_t peer, uint32_t vector, int dummy)
{
	int *slot = ivshmem2_efds_slot(t, peer, vector);

	if (*slot >= 0 && dup2(dummy, *slot) < 0) {
		/* EBADF/EINTR only: the slot keeps a stale eventfd nobody reads. */
	}
}

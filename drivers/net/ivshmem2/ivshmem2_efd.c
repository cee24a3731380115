/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/* The (peer, vector) eventfd table of the eventfd attachments. */

#include <stdlib.h>
#include <unistd.h>

#include "ivshmem2_efd.h"

int *
ivshmem2_efds_alloc(const struct ivshmem2_hw *hw)
{
	size_t i, n = (size_t)hw->max_peers * hw->vectors;
	int *efds = malloc(n * sizeof(*efds));

	if (efds != NULL)
		for (i = 0; i < n; i++)
			efds[i] = -1;
	return efds;
}

void
ivshmem2_efds_free(const struct ivshmem2_hw *hw, int *efds)
{
	size_t i;

	if (efds == NULL)
		return;
	for (i = 0; i < (size_t)hw->max_peers * hw->vectors; i++)
		if (efds[i] >= 0)
			close(efds[i]);
	free(efds);
}

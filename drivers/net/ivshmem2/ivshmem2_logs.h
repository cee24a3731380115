/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

#ifndef _IVSHMEM2_LOGS_H_
#define _IVSHMEM2_LOGS_H_

#include <rte_log.h>

extern int ivshmem2_logtype;

#define IVSHMEM2_LOG(level, fmt, args...) \
	rte_log(RTE_LOG_ ## level, ivshmem2_logtype, \
		"%s(): " fmt "\n", __func__, ##args)

#endif /* _IVSHMEM2_LOGS_H_ */

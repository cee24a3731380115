/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

#ifndef _IVSHMEM2_COMPAT_H_
#define _IVSHMEM2_COMPAT_H_

/**
 * @file
 * The DPDK releases the PMD builds against: 22.11 (Debian 12, ABI 23) and
 * 24.11 (Debian 13, ABI 25). The driver is written against the 24.11 API;
 * what 22.11 lacks is provided here, and nowhere else, so that no other file
 * tests the DPDK version. Nothing here is used with 24.11.
 */

#include <rte_version.h>

#if RTE_VERSION < RTE_VERSION_NUM(23, 11, 0, 0)

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_lcore.h>
#include <rte_thread.h>

/*
 * 23.11 replaced rte_ctrl_thread_create() (pthread_t, void *(*)(void *)) with
 * rte_thread_create_internal_control() (rte_thread_t, rte_thread_func). Both
 * start an EAL control thread; rte_thread_t is a pthread_t on Linux, which
 * 22.11's rte_thread_detach() and rte_thread_join() take it for.
 */
struct ivshmem2_compat_thread {
	rte_thread_func func;
	void *arg;
};

static inline void *
ivshmem2_compat_thread_main(void *p)
{
	struct ivshmem2_compat_thread t = *(struct ivshmem2_compat_thread *)p;

	free(p);
	return (void *)(uintptr_t)t.func(t.arg);
}

static inline int
rte_thread_create_internal_control(rte_thread_t *id, const char *name, rte_thread_func func,
				   void *arg)
{
	struct ivshmem2_compat_thread *t = malloc(sizeof(*t));
	char prefixed[RTE_MAX_THREAD_NAME_LEN];
	pthread_t tid;
	int ret;

	if (t == NULL)
		return -ENOMEM;
	t->func = func;
	t->arg = arg;
	/* 24.11 prefixes "dpdk-" and truncates the name to fit. */
	snprintf(prefixed, sizeof(prefixed), "dpdk-%.10s", name);
	ret = rte_ctrl_thread_create(&tid, prefixed, NULL, ivshmem2_compat_thread_main, t);
	if (ret != 0) {
		free(t);
		return -ret;
	}
	id->opaque_id = (uintptr_t)tid;
	return 0;
}

#endif /* RTE_VERSION < 23.11 */

#endif /* _IVSHMEM2_COMPAT_H_ */

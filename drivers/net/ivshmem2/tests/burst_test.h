/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

#ifndef _BURST_TEST_H_
#define _BURST_TEST_H_

/*
 * What the burst tests (ivshmem2_rx_test.c, ivshmem2_tx_test.c) share: a
 * CHECK that counts failures, and a main that brings up EAL and an mbuf
 * pool, runs the cases and prints "PASS/FAIL: N failure(s)".
 */

#include <stdio.h>

#include <rte_eal.h>
#include <rte_mbuf.h>

static int failures;

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		printf("FAIL %s:%d: ", __func__, __LINE__);		\
		printf(__VA_ARGS__);					\
		printf("\n");						\
		failures++;						\
	}								\
} while (0)

static inline int
burst_test_main(int argc, char **argv, void (*run)(struct rte_mempool *mp))
{
	struct rte_mempool *mp;

	if (rte_eal_init(argc, argv) < 0) {
		printf("FAIL eal init\n");
		return 1;
	}
	mp = rte_pktmbuf_pool_create("burst_test", 255, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				     SOCKET_ID_ANY);
	if (mp == NULL) {
		printf("FAIL mempool\n");
		return 1;
	}
	run(mp);
	printf("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
	rte_mempool_free(mp);
	rte_eal_cleanup();
	return failures ? 1 : 0;
}

#endif /* _BURST_TEST_H_ */

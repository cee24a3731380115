/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/*
 * rte_pmd_ivshmem2_pktmbuf_pool_create() against its documented errors, for
 * tests/pmd/test_tx_pool.py: EAL with one net_ivshmem2 port (joined to a
 * group) and one port of another driver (net_null). Prints one line per
 * check and "POOL_API <n> failure(s)".
 */

#include <stdio.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <rte_pmd_ivshmem2.h>

static int failures;

static void
expect(const char *what, struct rte_mempool *mp, int want_errno)
{
	int ok = want_errno == 0 ? mp != NULL : mp == NULL && rte_errno == want_errno;

	printf("%s %s: %s (rte_errno %d, expected %d)\n", ok ? "ok" : "FAIL", what,
	       mp != NULL ? "pool" : "NULL", mp != NULL ? 0 : rte_errno, want_errno);
	failures += !ok;
}

int
main(int argc, char **argv)
{
	uint16_t port, ours = RTE_MAX_ETHPORTS, other = RTE_MAX_ETHPORTS;
	struct rte_mempool *mp;
	unsigned int n;

	if (rte_eal_init(argc, argv) < 0)
		return printf("FAIL eal init\n"), 2;
	RTE_ETH_FOREACH_DEV(port) {
		struct rte_eth_dev_info info;

		if (rte_eth_dev_info_get(port, &info) != 0)
			continue;
		if (strcmp(info.driver_name, "net_ivshmem2") == 0)
			ours = port;
		else
			other = port;
	}
	if (ours == RTE_MAX_ETHPORTS || other == RTE_MAX_ETHPORTS)
		return printf("FAIL ports: need a net_ivshmem2 and another one\n"), 2;

	expect("another driver's port", rte_pmd_ivshmem2_pktmbuf_pool_create("p_other", 64, 0, 0,
	       RTE_MBUF_DEFAULT_BUF_SIZE, other), ENODEV);
	expect("no such port", rte_pmd_ivshmem2_pktmbuf_pool_create("p_none", 64, 0, 0,
	       RTE_MBUF_DEFAULT_BUF_SIZE, RTE_MAX_ETHPORTS - 1), ENODEV);
	expect("no mbufs", rte_pmd_ivshmem2_pktmbuf_pool_create("p_zero", 0, 0, 0,
	       RTE_MBUF_DEFAULT_BUF_SIZE, ours), EINVAL);
	/* A 16M output section of a 2-peer group leaves less than 4000 default buffers. */
	expect("more than the pool area holds", rte_pmd_ivshmem2_pktmbuf_pool_create("p_big",
	       100000, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, ours), ENOSPC);
	mp = rte_pmd_ivshmem2_pktmbuf_pool_create("p_ok", 1024, 32, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
						  ours);
	expect("a pool that fits", mp, 0);
	if (mp != NULL) {
		struct rte_mbuf *m;

		n = rte_mempool_avail_count(mp);
		printf("%s pool of %u mbufs, %u available\n", n == 1024 ? "ok" : "FAIL", 1024, n);
		failures += n != 1024;
		m = rte_pktmbuf_alloc(mp);
		/* Pinned external buffers: freeing them returns them whole to the pool. */
		if (m == NULL || !RTE_MBUF_HAS_PINNED_EXTBUF(m) ||
		    m->buf_len != RTE_MBUF_DEFAULT_BUF_SIZE) {
			printf("FAIL mbuf of the pool\n");
			failures++;
		}
		rte_pktmbuf_free(m);
	}
	expect("a second pool on the section",
	       rte_pmd_ivshmem2_pktmbuf_pool_create("p_again", 64, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
						    ours), EEXIST);
	printf("POOL_API %d failure(s)\n", failures);
	rte_eal_cleanup();
	return failures ? 1 : 0;
}

/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/*
 * Power-monitor check for tests/pmd/test_monitor.py. This CPU may lack
 * WAITPKG/MONITORX, so the program plays rte_power_monitor() itself: it
 * reads the address from rte_eth_get_monitor_addr() and asks the condition
 * callback whether a sleep would be aborted, exactly as the EAL does before
 * and after arming the monitor.
 *
 * Phases, one line each on stdout:
 *   DOWN_IDLE   link down, callback says "sleep"
 *   LINK_WAKE   the peer came: the watched word changed, callback says "wake"
 *   RX_IDLE     link up, ring empty, callback says "sleep"
 *   RX_WAKE n   the peer sent: callback says "wake", rx_burst returns n > 0
 * Exits 0 only when all four happened in order.
 *
 * Usage: ivshmem2_monitor <EAL args with --vdev net_ivshmem2,...>
 */

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_power_intrinsics.h>

#define PORT		0
#define BURST		32
#define TIMEOUT_S	30

static int
fail(const char *what)
{
	printf("FAIL %s\n", what);
	fflush(stdout);
	return 1;
}

/* What rte_power_monitor() would decide right now: true if it would not sleep. */
static bool
would_wake(const struct rte_power_monitor_cond *pmc)
{
	uint64_t value;

	switch (pmc->size) {
	case sizeof(uint8_t):
		value = *(const volatile uint8_t *)pmc->addr;
		break;
	case sizeof(uint16_t):
		value = *(const volatile uint16_t *)pmc->addr;
		break;
	case sizeof(uint32_t):
		value = *(const volatile uint32_t *)pmc->addr;
		break;
	default:
		value = *(const volatile uint64_t *)pmc->addr;
		break;
	}
	return pmc->fn(value, pmc->opaque) != 0;
}

static int
get_cond(struct rte_power_monitor_cond *pmc)
{
	int ret = rte_eth_get_monitor_addr(PORT, 0, pmc);

	if (ret != 0) {
		printf("rte_eth_get_monitor_addr: %d\n", ret);
		return -1;
	}
	if (pmc->addr == NULL || pmc->fn == NULL ||
	    (pmc->size != 1 && pmc->size != 2 && pmc->size != 4 && pmc->size != 8)) {
		printf("bad condition: addr %p fn %p size %u\n", (void *)(uintptr_t)pmc->addr,
		       (void *)(uintptr_t)pmc->fn, pmc->size);
		return -1;
	}
	return 0;
}

/* Spin on the condition as a monitoring core would sleep on it. */
static bool
wait_wake(const struct rte_power_monitor_cond *pmc)
{
	uint64_t end = rte_get_timer_cycles() + rte_get_timer_hz() * TIMEOUT_S;

	while (!would_wake(pmc)) {
		if (rte_get_timer_cycles() > end)
			return false;
		rte_delay_us_sleep(1000);
	}
	return true;
}

static bool
link_up(void)
{
	struct rte_eth_link link;

	return rte_eth_link_get_nowait(PORT, &link) == 0 && link.link_status;
}

int
main(int argc, char **argv)
{
	struct rte_eth_conf conf = { 0 };
	struct rte_power_monitor_cond pmc;
	struct rte_mbuf *pkts[BURST];
	struct rte_mempool *mp;
	uint64_t end;
	uint16_t n;

	if (rte_eal_init(argc, argv) < 0)
		return fail("eal init");
	mp = rte_pktmbuf_pool_create("monitor", 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				     rte_socket_id());
	if (mp == NULL || !rte_eth_dev_is_valid_port(PORT))
		return fail("no mempool or no port");
	if (rte_eth_dev_configure(PORT, 1, 1, &conf) != 0 ||
	    rte_eth_rx_queue_setup(PORT, 0, 512, rte_eth_dev_socket_id(PORT), NULL, mp) != 0 ||
	    rte_eth_tx_queue_setup(PORT, 0, 512, rte_eth_dev_socket_id(PORT), NULL) != 0 ||
	    rte_eth_dev_start(PORT) != 0)
		return fail("port set-up");

	/* Alone in the group: the link is down and nothing may wake us. */
	if (link_up() || get_cond(&pmc) != 0 || would_wake(&pmc))
		return fail("DOWN_IDLE");
	printf("DOWN_IDLE\n");
	fflush(stdout);
	if (!wait_wake(&pmc))
		return fail("LINK_WAKE (no wake-up when the peer came)");
	printf("LINK_WAKE\n");
	fflush(stdout);

	end = rte_get_timer_cycles() + rte_get_timer_hz() * TIMEOUT_S;
	while (!link_up() && rte_get_timer_cycles() < end)
		rte_delay_us_sleep(10000);
	if (!link_up())
		return fail("link up");
	/* The first poll takes the rings of the new link; the peer sends nothing yet. */
	if (rte_eth_rx_burst(PORT, 0, pkts, BURST) != 0)
		return fail("RX_IDLE (frames before the peer was told to send)");
	if (get_cond(&pmc) != 0 || would_wake(&pmc))
		return fail("RX_IDLE");
	printf("RX_IDLE\n");
	fflush(stdout);
	if (!wait_wake(&pmc))
		return fail("RX_WAKE (no wake-up when frames came)");
	n = rte_eth_rx_burst(PORT, 0, pkts, BURST);
	rte_pktmbuf_free_bulk(pkts, n);
	if (n == 0)
		return fail("RX_WAKE (woken, but rx_burst returned nothing)");
	printf("RX_WAKE %u\n", n);
	fflush(stdout);

	rte_eth_dev_stop(PORT);
	rte_eth_dev_close(PORT);
	rte_eal_cleanup();
	return 0;
}

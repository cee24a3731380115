/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

#ifndef _RTE_PMD_IVSHMEM2_H_
#define _RTE_PMD_IVSHMEM2_H_

/**
 * @file
 * net_ivshmem2 specific API.
 *
 * Zero-copy transmit: an mbuf pool whose data buffers lie in the port's own
 * output section. Transmitting an mbuf of that pool posts a descriptor that
 * points at its buffer instead of copying it into a ring slot; the mbuf
 * returns to its pool once the peer has consumed the descriptor. Mbufs of
 * any other pool are copied as before. The peer only ever reads the buffer
 * (each peer writes only its own section), and checks every offset against
 * the pool area of this port's section before using it.
 *
 * An application that receives into such a pool and forwards what it
 * received therefore copies each frame once (on receive) per hop.
 * The devarg tx-pool=<n> makes a port create such a pool at dev_start and
 * receive into it, for applications that do not call this API.
 */

#include <stdint.h>

#include <rte_compat.h>
#include <rte_mempool.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @warning
 * @b EXPERIMENTAL: this API may change without prior notice.
 *
 * Create an mbuf pool whose data buffers lie in the pool area of the output
 * section of net_ivshmem2 port @p port_id (the section space the rings leave
 * free). Mbuf headers are in ordinary memory on the port's socket; the data
 * buffers are pinned external buffers (RTE_PKTMBUF_POOL_F_PINNED_EXT_BUF).
 * One pool per output section: ports that share a section (peer=all) share it.
 * The pool lives until rte_mempool_free(), which the application may call only
 * after the port is closed.
 *
 * @param name
 *   Mempool name.
 * @param n
 *   Number of mbufs. Each takes @p data_room_size bytes (rounded up to a cache
 *   line) of the pool area.
 * @param cache_size
 *   Per-lcore cache size, as for rte_pktmbuf_pool_create().
 * @param priv_size
 *   Application private area size, as for rte_pktmbuf_pool_create().
 * @param data_room_size
 *   Data buffer size including RTE_PKTMBUF_HEADROOM, as for
 *   rte_pktmbuf_pool_create().
 * @param port_id
 *   A net_ivshmem2 port whose section is mapped (after probe).
 * @return
 *   The pool, or NULL with rte_errno set: ENODEV (not a net_ivshmem2 port),
 *   ENOTSUP (secondary process), EEXIST (the section already has a pool),
 *   ENOSPC (the pool area is too small for @p n buffers; the log says how
 *   many fit), EINVAL (n of 0, a data room not above RTE_PKTMBUF_HEADROOM),
 *   EAGAIN (the port is not connected to its group), or an error of the
 *   mempool library.
 */
__rte_experimental
struct rte_mempool *
rte_pmd_ivshmem2_pktmbuf_pool_create(const char *name, unsigned int n,
				     unsigned int cache_size, uint16_t priv_size,
				     uint16_t data_room_size, uint16_t port_id);

#ifdef __cplusplus
}
#endif

#endif /* _RTE_PMD_IVSHMEM2_H_ */

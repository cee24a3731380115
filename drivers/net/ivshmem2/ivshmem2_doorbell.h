/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

#ifndef _IVSHMEM2_DOORBELL_H_
#define _IVSHMEM2_DOORBELL_H_

/*
 * Doorbells through eventfds that every peer of the group holds. Any holder
 * can clear O_NONBLOCK on such a file (a property of the shared file) and
 * fill its counter: the next write(1) blocks; or drain it: the next read
 * blocks. So no thread that must not block touches them:
 *  - ringing posts a bit and wakes a relay thread through a private eventfd
 *    nobody else holds; the relay writes the shared files, skipping full
 *    ones, and a write that hangs anyway costs only that relay: the tick
 *    notices, gives up on that fd and starts another relay;
 *  - the own state vector is watched edge-triggered by the relay, without
 *    reading (the counter never needs draining), and a link check is handed
 *    to the EAL interrupt thread.
 */

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "ivshmem2_efd.h"

struct ivshmem2_relay;

struct ivshmem2_doorbell {
	struct ivshmem2_relay *relay;	/**< shared with the relay thread(s) */
};

/**
 * Start the relay for @efds; @on_state(@arg) runs (on the relay thread)
 * when the fd given to ivshmem2_doorbell_watch() fires. @name names the
 * thread. @return 0 or a negative errno.
 */
int ivshmem2_doorbell_init(struct ivshmem2_doorbell *db, const struct ivshmem2_efds *efds,
			   void (*on_state)(void *arg), void *arg, const char *name);

/** Stop the relay and release what it holds (a hung relay's memory is left to it). */
void ivshmem2_doorbell_fini(struct ivshmem2_doorbell *db);

/** Ring (@peer, @vector). Data path safe: never blocks, no lock, at most one syscall. */
void ivshmem2_doorbell_ring(struct ivshmem2_doorbell *db, uint32_t peer, uint32_t vector);

/**
 * Watch @fd (the own state vector; its number may now name a new file, as
 * after a server restart) instead of the previous one.
 */
void ivshmem2_doorbell_watch(struct ivshmem2_doorbell *db, int fd);

/**
 * From the attachment's periodic tick: a relay stuck in one write for more
 * than a tick is left behind, that slot is not rung again until
 * ivshmem2_doorbell_unpoison(), and a new relay takes over.
 */
void ivshmem2_doorbell_watchdog(struct ivshmem2_doorbell *db);

/** Ring the slots of @peer again (it left and will come back with new eventfds). */
void ivshmem2_doorbell_unpoison(struct ivshmem2_doorbell *db, uint32_t peer);

/** Counters: shared eventfds written, skipped because full, relays left behind. */
void ivshmem2_doorbell_stats(const struct ivshmem2_doorbell *db, uint64_t *rung,
			     uint64_t *full, uint64_t *hung);

#endif /* _IVSHMEM2_DOORBELL_H_ */

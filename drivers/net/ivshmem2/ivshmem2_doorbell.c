/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/* The doorbell relay: the only code that writes eventfds other peers hold. */

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_bitops.h>
#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_string_fns.h>
#include <rte_thread.h>

#include "ivshmem2_compat.h"
#include "ivshmem2_doorbell.h"
#include "ivshmem2_logs.h"

/* A write that takes longer than this is a hung relay (the tick is 100 ms). */
#define IVSHMEM2_RELAY_HANG_MS	50

/*
 * Everything a relay thread touches. A relay left behind in a hung write may
 * return from it at any time: it only reads epoch/stop then, and exits. So
 * this block is freed only when no relay is hung (leaked otherwise).
 */
struct ivshmem2_relay {
	const struct ivshmem2_efds *efds;
	uint32_t nb_slots;
	uint32_t nb_words;
	int wake_fd;
	int epfd;
	int watched_fd;
	void (*on_state)(void *arg);
	void *arg;
	char name[RTE_MAX_THREAD_NAME_LEN];
	uint32_t posted;		/**< wake_fd written since the relay's last scan */
	uint32_t epoch;
	uint32_t stop;
	uint32_t running;		/**< relay threads not yet returned */
	uint64_t busy_since;		/**< tsc of the current write, 0 when idle */
	uint32_t busy_slot;
	uint64_t rung;
	uint64_t full;
	uint64_t hung;
	uint8_t *poisoned;		/**< [nb_slots] */
	uint64_t pending[];		/**< [nb_words] */
};

struct relay_start {
	struct ivshmem2_relay *r;
	uint32_t epoch;
};

static bool
relay_current(const struct ivshmem2_relay *r, uint32_t epoch)
{
	return !__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE) &&
	       __atomic_load_n(&r->epoch, __ATOMIC_ACQUIRE) == epoch;
}

/* Write one shared eventfd. Returns false if this relay was left behind meanwhile. */
static bool
relay_fire(struct ivshmem2_relay *r, uint32_t slot, uint32_t epoch)
{
	const struct ivshmem2_efds *t = r->efds;
	static const uint64_t one = 1;
	struct pollfd pfd;
	int fd;

	if (__atomic_load_n(&r->poisoned[slot], __ATOMIC_RELAXED))
		return true;
	fd = ivshmem2_efds_get(t, slot / t->nb_vectors, slot % t->nb_vectors);
	if (fd < 0)
		return true;
	pfd.fd = fd;
	pfd.events = POLLOUT;
	if (poll(&pfd, 1, 0) != 1 || !(pfd.revents & POLLOUT)) {
		__atomic_fetch_add(&r->full, 1, __ATOMIC_RELAXED);
		return true;	/* counter full: the target is woken already, or hostile */
	}
	__atomic_store_n(&r->busy_slot, slot, __ATOMIC_RELAXED);
	__atomic_store_n(&r->busy_since, rte_get_timer_cycles(), __ATOMIC_RELEASE);
	if (write(fd, &one, sizeof(one)) == sizeof(one))
		__atomic_fetch_add(&r->rung, 1, __ATOMIC_RELAXED);
	if (!relay_current(r, epoch))
		return false;
	__atomic_store_n(&r->busy_since, 0, __ATOMIC_RELEASE);
	return true;
}

static uint32_t
relay_main(void *arg)
{
	struct relay_start start = *(struct relay_start *)arg;
	struct ivshmem2_relay *r = start.r;
	struct epoll_event ev[4];
	uint64_t cnt;
	uint32_t w;
	int i, n;

	free(arg);
	while (relay_current(r, start.epoch)) {
		n = epoll_wait(r->epfd, ev, RTE_DIM(ev), -1);
		if (!relay_current(r, start.epoch))
			break;
		for (i = 0; i < n; i++) {
			if (ev[i].data.fd == r->wake_fd) {
				if (read(r->wake_fd, &cnt, sizeof(cnt)) < 0) {
					/* EAGAIN: drained already (private fd) */
				}
			} else if (r->on_state != NULL) {
				r->on_state(r->arg);	/* edge-triggered: never read */
			}
		}
		/* Clear before the scan: a bit posted after the scan wakes us again. */
		__atomic_store_n(&r->posted, 0, __ATOMIC_SEQ_CST);
		for (w = 0; w < r->nb_words; w++) {
			uint64_t bits = __atomic_exchange_n(&r->pending[w], 0, __ATOMIC_ACQ_REL);

			while (bits != 0) {
				uint32_t slot = w * 64 + rte_bsf64(bits);

				bits &= bits - 1;
				if (slot < r->nb_slots && !relay_fire(r, slot, start.epoch))
					goto out;	/* left behind: the new relay goes on */
			}
		}
	}
out:
	/* Last touch of @r: fini frees it once no relay runs. */
	__atomic_fetch_sub(&r->running, 1, __ATOMIC_RELEASE);
	return 0;
}

static int
relay_start(struct ivshmem2_relay *r, uint32_t epoch)
{
	struct relay_start *arg = malloc(sizeof(*arg));
	rte_thread_t tid;
	int ret;

	if (arg == NULL)
		return -ENOMEM;
	arg->r = r;
	arg->epoch = epoch;
	__atomic_fetch_add(&r->running, 1, __ATOMIC_ACQ_REL);
	ret = rte_thread_create_internal_control(&tid, r->name, relay_main, arg);
	if (ret != 0) {
		__atomic_fetch_sub(&r->running, 1, __ATOMIC_RELEASE);
		free(arg);
		return ret < 0 ? ret : -ret;
	}
	rte_thread_detach(tid);
	return 0;
}

int
ivshmem2_doorbell_init(struct ivshmem2_doorbell *db, const struct ivshmem2_efds *efds,
		       void (*on_state)(void *arg), void *arg, const char *name)
{
	uint32_t nb_slots = efds->nb_peers * efds->nb_vectors;
	uint32_t nb_words = (nb_slots + 63) / 64;
	struct epoll_event ev = { .events = EPOLLIN };
	struct ivshmem2_relay *r;
	int ret;

	r = calloc(1, sizeof(*r) + nb_words * sizeof(uint64_t) + nb_slots);
	if (r == NULL)
		return -ENOMEM;
	r->efds = efds;
	r->nb_slots = nb_slots;
	r->nb_words = nb_words;
	r->poisoned = (uint8_t *)&r->pending[nb_words];
	r->on_state = on_state;
	r->arg = arg;
	r->watched_fd = -1;
	snprintf(r->name, sizeof(r->name), "iv2db-%s", name);
	r->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	r->epfd = epoll_create1(EPOLL_CLOEXEC);
	ev.data.fd = r->wake_fd;
	if (r->wake_fd < 0 || r->epfd < 0 ||
	    epoll_ctl(r->epfd, EPOLL_CTL_ADD, r->wake_fd, &ev) != 0) {
		ret = -errno;
		goto err;
	}
	ret = relay_start(r, 0);
	if (ret != 0)
		goto err;
	db->relay = r;
	return 0;
err:
	if (r->wake_fd >= 0)
		close(r->wake_fd);
	if (r->epfd >= 0)
		close(r->epfd);
	free(r);
	return ret;
}

void
ivshmem2_doorbell_fini(struct ivshmem2_doorbell *db)
{
	struct ivshmem2_relay *r = db->relay;
	static const uint64_t one = 1;
	uint64_t deadline;

	if (r == NULL)
		return;
	db->relay = NULL;
	__atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
	if (write(r->wake_fd, &one, sizeof(one)) < 0) {
		/* the relay is stopping anyway */
	}
	/* Let the relays leave; one stuck in a write keeps the block (leaked). */
	deadline = rte_get_timer_cycles() + rte_get_timer_hz() / 1000 * 4 * IVSHMEM2_RELAY_HANG_MS;
	while (__atomic_load_n(&r->running, __ATOMIC_ACQUIRE) != 0 &&
	       rte_get_timer_cycles() < deadline)
		rte_delay_us_sleep(1000);
	if (__atomic_load_n(&r->running, __ATOMIC_ACQUIRE) != 0) {
		IVSHMEM2_LOG(WARNING, "%s: a doorbell write hangs: its state is left to it",
			     r->name);
		return;
	}
	close(r->epfd);
	close(r->wake_fd);
	free(r);
}

void
ivshmem2_doorbell_ring(struct ivshmem2_doorbell *db, uint32_t peer, uint32_t vector)
{
	struct ivshmem2_relay *r = db->relay;
	static const uint64_t one = 1;
	uint32_t slot;
	uint64_t bit;

	if (unlikely(r == NULL || peer >= r->efds->nb_peers || vector >= r->efds->nb_vectors))
		return;
	slot = peer * r->efds->nb_vectors + vector;
	bit = UINT64_C(1) << (slot & 63);
	if (__atomic_fetch_or(&r->pending[slot / 64], bit, __ATOMIC_SEQ_CST) & bit)
		return;	/* already posted */
	if (__atomic_exchange_n(&r->posted, 1, __ATOMIC_SEQ_CST) == 0 &&
	    write(r->wake_fd, &one, sizeof(one)) < 0) {
		/* private and non-blocking: cannot fill up in practice */
	}
}

void
ivshmem2_doorbell_watch(struct ivshmem2_doorbell *db, int fd)
{
	struct ivshmem2_relay *r = db->relay;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET };

	if (r == NULL)
		return;
	if (r->watched_fd >= 0)
		epoll_ctl(r->epfd, EPOLL_CTL_DEL, r->watched_fd, NULL);
	r->watched_fd = fd;
	ev.data.fd = fd;
	if (fd >= 0 && epoll_ctl(r->epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
		IVSHMEM2_LOG(ERR, "%s: cannot watch the state vector: %s", r->name,
			     strerror(errno));
}

void
ivshmem2_doorbell_watchdog(struct ivshmem2_doorbell *db)
{
	struct ivshmem2_relay *r = db->relay;
	uint64_t since, limit;
	uint32_t slot, epoch;

	if (r == NULL)
		return;
	since = __atomic_load_n(&r->busy_since, __ATOMIC_ACQUIRE);
	limit = rte_get_timer_hz() / 1000 * IVSHMEM2_RELAY_HANG_MS;
	if (since == 0 || rte_get_timer_cycles() - since < limit)
		return;
	slot = __atomic_load_n(&r->busy_slot, __ATOMIC_RELAXED);
	__atomic_store_n(&r->poisoned[slot], 1, __ATOMIC_RELAXED);
	r->hung++;
	epoch = __atomic_add_fetch(&r->epoch, 1, __ATOMIC_ACQ_REL);
	__atomic_store_n(&r->busy_since, 0, __ATOMIC_RELEASE);
	IVSHMEM2_LOG(ERR, "%s: doorbell of peer %u vector %u hangs (its eventfd was made "
		     "blocking and filled by a peer): not rung again until that peer leaves",
		     r->name, slot / r->efds->nb_vectors, slot % r->efds->nb_vectors);
	if (relay_start(r, epoch) != 0)
		IVSHMEM2_LOG(ERR, "%s: cannot start a new doorbell relay", r->name);
}

void
ivshmem2_doorbell_unpoison(struct ivshmem2_doorbell *db, uint32_t peer)
{
	struct ivshmem2_relay *r = db->relay;
	uint32_t v;

	if (r == NULL || peer >= r->efds->nb_peers)
		return;
	for (v = 0; v < r->efds->nb_vectors; v++)
		__atomic_store_n(&r->poisoned[peer * r->efds->nb_vectors + v], 0,
				 __ATOMIC_RELAXED);
}

void
ivshmem2_doorbell_stats(const struct ivshmem2_doorbell *db, uint64_t *rung, uint64_t *full,
			uint64_t *hung)
{
	const struct ivshmem2_relay *r = db->relay;

	*rung = r != NULL ? __atomic_load_n(&r->rung, __ATOMIC_RELAXED) : 0;
	*full = r != NULL ? __atomic_load_n(&r->full, __ATOMIC_RELAXED) : 0;
	*hung = r != NULL ? r->hung : 0;
}

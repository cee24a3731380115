/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/*
 * Multi-process support. The primary owns the attachment (socket, state,
 * link); a secondary asks it over rte_mp for the shared-memory fd, the
 * layout and the peers' doorbell eventfds, maps the memory with the same
 * protections and attaches to the primary's ports.
 *
 * The queue structures live in shared hugepage memory and hold pointers into
 * the shared memory, so a secondary maps it at the primary's address (the
 * same rule DPDK applies to hugepages). Per-process state (mapping, fds) is
 * in dev->process_private only.
 *
 * When the primary reconnects to a restarted server it maps new memory (and
 * may have another peer ID); when peers come and go its doorbell eventfds
 * change. It publishes both in the ports' shared data (map_gen, fds_gen); a
 * secondary's alarm notices, asks again and maps the new memory over the old
 * (MAP_FIXED). Until then its queues take no rings of the new memory (the
 * mapping generation, ivshmem2_rxtx.h).
 */

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <bus_vdev_driver.h>
#include <ethdev_driver.h>
#include <rte_alarm.h>
#include <rte_eal.h>
#include <rte_string_fns.h>

#include "ivshmem2_attach.h"
#include "ivshmem2_doorbell.h"
#include "ivshmem2_efd.h"
#include "ivshmem2_ethdev.h"
#include "ivshmem2_logs.h"
#include "ivshmem2_mp.h"
#include "ivshmem2_port.h"
#include "ivshmem2_shm.h"

#define IVSHMEM2_MP_NAME	"eth_ivshmem2_mp"
#define IVSHMEM2_MP_TIMEOUT_S	5
#define IVSHMEM2_MP_FDS_PER_REPLY	RTE_MP_MAX_FD_NUM
/* How often a secondary looks for new memory or doorbells of its primary. */
#define IVSHMEM2_MP_POLL_US		(100 * 1000)

enum ivshmem2_mp_type {
	IVSHMEM2_MP_INFO,	/* layout, own ID, mapping address; fd: the memory */
	IVSHMEM2_MP_PORT,	/* name of the index-th port of the device */
	/* Eventfds of peer index from vector first_vector on, one per bit of fd_mask. */
	IVSHMEM2_MP_PEER_FDS,
};

struct ivshmem2_mp_param {
	uint32_t type;
	uint32_t index;
	uint32_t first_vector;		/**< PEER_FDS: the vector of bit 0 of fd_mask */
	int32_t result;			/**< reply: 0 or a negative errno */
	uint32_t fd_mask;		/**< PEER_FDS reply: vectors sent, in order */
	char name[RTE_DEV_NAME_MAX_LEN];	/**< device name (= its first port) */
	union {
		struct {
			uint64_t base;	/**< primary's mapping address */
			uint64_t page_size;
			uint32_t id;
			uint32_t map_gen;	/**< the primary's hw->map_gen */
			uint32_t max_peers;
			uint32_t vectors;
			int32_t numa_node;
			struct ivshmem2_layout shm;	/**< the ring layout follows from it */
		} info;
		char port[RTE_ETH_NAME_MAX_LEN];
	};
};

/* Secondary's per-process attachment: a read/write view, doorbells only. */
struct ivshmem2_mp_hw {
	struct ivshmem2_hw hw;		/* first: container_of by cast */
	struct rte_device *device;	/* the vdev whose ports we attached */
	char name[RTE_DEV_NAME_MAX_LEN];
	int shm_fd;
	int dummy_efd;			/* parked over doorbells that ring nobody */
	struct ivshmem2_efds efds;	/* eventfds of every (peer, vector) */
	struct ivshmem2_doorbell doorbell;	/* the only writer of those */
	uint32_t fds_gen;		/* the primary's fds_gen our doorbells match */
	bool follow_failed;		/* the last attempt to follow failed (logged once) */
	bool closing;
};

#define MP_HW(hw)	((struct ivshmem2_mp_hw *)(hw))

/* ---- primary ---- */

static struct ivshmem2_hw *
primary_lookup(const char *name, struct rte_device **device)
{
	uint16_t pid;

	if (rte_eth_dev_get_port_by_name(name, &pid) != 0 ||
	    !ivshmem2_eth_dev_is_ours(&rte_eth_devices[pid]))
		return NULL;
	*device = rte_eth_devices[pid].device;
	return rte_eth_devices[pid].process_private;
}

/* Up to one reply's worth of peer p->index's eventfds, from vector p->first_vector on. */
static int
primary_fill_peer_fds(struct ivshmem2_hw *hw, struct ivshmem2_mp_param *p,
		      struct rte_mp_msg *reply)
{
	const struct ivshmem2_hw_ops *ops = IVSHMEM2_OPS(hw);
	uint32_t k;
	int fd;

	RTE_BUILD_BUG_ON(IVSHMEM2_MP_FDS_PER_REPLY > sizeof(p->fd_mask) * CHAR_BIT);
	if (p->index >= hw->max_peers || p->first_vector >= hw->vectors)
		return -EINVAL;
	for (k = 0; k < IVSHMEM2_MP_FDS_PER_REPLY && k < hw->vectors - p->first_vector; k++) {
		fd = ops->export_fd(hw, p->index, p->first_vector + k);
		if (fd < 0)
			continue;
		reply->fds[reply->num_fds++] = fd;
		p->fd_mask |= 1u << k;
	}
	return 0;
}

static int
primary_fill(struct ivshmem2_hw *hw, struct rte_device *device, struct ivshmem2_mp_param *p,
	     struct rte_mp_msg *reply)
{
	const struct ivshmem2_hw_ops *ops = IVSHMEM2_OPS(hw);
	uint32_t k = 0;
	uint16_t pid;
	int fd;

	if (ops->export_fd == NULL)
		return -ENOTSUP;
	if (!hw->connected)
		return -EAGAIN;
	switch (p->type) {
	case IVSHMEM2_MP_INFO:
		fd = ops->export_fd(hw, IVSHMEM2_EXPORT_SHM, 0);
		if (fd < 0)
			return -EAGAIN;
		reply->fds[reply->num_fds++] = fd;
		p->info.base = (uint64_t)(uintptr_t)hw->base;
		p->info.page_size = hw->page_size;
		p->info.id = hw->id;
		p->info.map_gen = hw->map_gen;
		p->info.max_peers = hw->max_peers;
		p->info.vectors = hw->vectors;
		p->info.numa_node = hw->numa_node;
		p->info.shm = hw->shm;
		return 0;
	case IVSHMEM2_MP_PORT:
		RTE_ETH_FOREACH_DEV_OF(pid, device) {
			if (k++ == p->index) {
				strlcpy(p->port, rte_eth_devices[pid].data->name, sizeof(p->port));
				return 0;
			}
		}
		return -ENOENT;
	case IVSHMEM2_MP_PEER_FDS:
		return primary_fill_peer_fds(hw, p, reply);
	}
	return -EINVAL;
}

static int
ivshmem2_mp_primary_action(const struct rte_mp_msg *msg, const void *peer)
{
	struct ivshmem2_mp_param *p;
	struct rte_device *device;
	struct ivshmem2_hw *hw;
	struct rte_mp_msg reply;

	memset(&reply, 0, sizeof(reply));
	strlcpy(reply.name, IVSHMEM2_MP_NAME, sizeof(reply.name));
	reply.len_param = sizeof(*p);
	p = (struct ivshmem2_mp_param *)reply.param;
	if (msg->len_param != sizeof(*p)) {
		p->result = -EINVAL;
		return rte_mp_reply(&reply, peer);
	}
	memcpy(p, msg->param, sizeof(*p));
	p->name[sizeof(p->name) - 1] = '\0';
	p->fd_mask = 0;
	hw = primary_lookup(p->name, &device);
	if (hw == NULL) {
		p->result = -ENODEV;
		return rte_mp_reply(&reply, peer);
	}
	/* The lock keeps the fds and layout stable against a reconnect. */
	rte_spinlock_lock(&hw->lock);
	p->result = primary_fill(hw, device, p, &reply);
	if (p->result != 0)
		reply.num_fds = 0;
	p->result = rte_mp_reply(&reply, peer) == 0 ? p->result : -EIO;
	rte_spinlock_unlock(&hw->lock);
	return p->result == -EIO ? -1 : 0;
}

void
ivshmem2_mp_primary_init(void)
{
	if (rte_mp_action_register(IVSHMEM2_MP_NAME, ivshmem2_mp_primary_action) != 0 &&
	    rte_errno != EEXIST)
		/* e.g. --in-memory: there can be no secondary anyway. */
		IVSHMEM2_LOG(DEBUG, "no multi-process channel: %s", rte_strerror(rte_errno));
}

void
ivshmem2_mp_publish_locked(struct ivshmem2_hw *hw, bool remapped)
{
	struct rte_eth_dev *dev;
	uint32_t i;

	if (remapped)
		__atomic_store_n(&hw->map_gen, hw->map_gen + 1, __ATOMIC_RELEASE);
	IVSHMEM2_HW_FOREACH_PORT(hw, i, dev) {
		struct ivshmem2_port *p = ivshmem2_port_priv(dev);

		__atomic_store_n(&p->map_gen, hw->map_gen, __ATOMIC_RELEASE);
		__atomic_store_n(&p->fds_gen, p->fds_gen + 1, __ATOMIC_RELEASE);
	}
}

/* ---- secondary ---- */

static void
mp_notify(struct ivshmem2_hw *hw, uint32_t peer, uint32_t vector)
{
	ivshmem2_doorbell_ring(&MP_HW(hw)->doorbell, peer, vector);
}

static void
mp_set_state(struct ivshmem2_hw *hw __rte_unused, uint32_t state __rte_unused)
{
	/* The state-table entry belongs to the primary. */
}

static int
mp_rxq_intr_setup(struct ivshmem2_hw *hw __rte_unused, struct rte_intr_handle *h __rte_unused,
		  uint16_t nb_rxq __rte_unused)
{
	return -ENOTSUP;
}

static void
mp_rxq_intr_teardown(struct ivshmem2_hw *hw __rte_unused,
		     struct rte_intr_handle *h __rte_unused)
{
}

static void mp_alarm_cb(void *arg);

static void
mp_close(struct ivshmem2_hw *hw)
{
	struct ivshmem2_mp_hw *mh = MP_HW(hw);

	mh->closing = true;
	rte_eal_alarm_cancel(mp_alarm_cb, mh);
	ivshmem2_doorbell_fini(&mh->doorbell);
	ivshmem2_shm_unmap(hw);
	ivshmem2_efds_fini(&mh->efds);
	if (mh->shm_fd >= 0)
		close(mh->shm_fd);
	if (mh->dummy_efd >= 0)
		close(mh->dummy_efd);
	free(hw->port_of_peer);
	free(mh);
}

static const struct ivshmem2_hw_ops ivshmem2_mp_ops = {
	.notify = mp_notify,
	.set_state = mp_set_state,
	.rxq_intr_setup = mp_rxq_intr_setup,
	.rxq_intr_teardown = mp_rxq_intr_teardown,
	.close = mp_close,
};

/* A reply of the primary and the descriptors it carried, ours to keep or close. */
struct mp_answer {
	struct ivshmem2_mp_param p;
	int fds[RTE_MP_MAX_FD_NUM];
	int nb_fds;
};

/* Close the descriptors of @a from index @from on (those nobody took). */
static void
mp_answer_close_fds(struct mp_answer *a, int from)
{
	while (a->nb_fds > from)
		close(a->fds[--a->nb_fds]);
}

/* One synchronous request to the primary; returns its result (0 or a negative errno). */
static int
mp_request(const char *name, uint32_t type, uint32_t index, uint32_t first_vector,
	   struct mp_answer *a)
{
	struct timespec ts = { .tv_sec = IVSHMEM2_MP_TIMEOUT_S };
	struct ivshmem2_mp_param *p;
	struct rte_mp_reply reply;
	struct rte_mp_msg req;
	struct rte_mp_msg *m;
	int i;

	RTE_BUILD_BUG_ON(sizeof(*p) > RTE_MP_MAX_PARAM_LEN);
	memset(&req, 0, sizeof(req));
	memset(&reply, 0, sizeof(reply));
	a->nb_fds = 0;
	strlcpy(req.name, IVSHMEM2_MP_NAME, sizeof(req.name));
	req.len_param = sizeof(*p);
	p = (struct ivshmem2_mp_param *)req.param;
	p->type = type;
	p->index = index;
	p->first_vector = first_vector;
	strlcpy(p->name, name, sizeof(p->name));
	if (rte_mp_request_sync(&req, &reply, &ts) != 0 || reply.nb_received != 1) {
		free(reply.msgs);
		return -EIO;	/* no primary, or not one with net_ivshmem2 */
	}
	m = &reply.msgs[0];
	if (m->len_param != sizeof(a->p) || m->num_fds < 0 ||
	    m->num_fds > RTE_MP_MAX_FD_NUM) {
		for (i = 0; i < m->num_fds && i < RTE_MP_MAX_FD_NUM; i++)
			close(m->fds[i]);
		free(reply.msgs);
		return -EPROTO;
	}
	memcpy(&a->p, m->param, sizeof(a->p));
	for (i = 0; i < m->num_fds; i++)
		a->fds[i] = m->fds[i];
	a->nb_fds = m->num_fds;
	free(reply.msgs);
	if (a->p.result != 0)
		mp_answer_close_fds(a, 0);
	return a->p.result;
}

static int
mp_get_info(struct ivshmem2_mp_hw *mh, const char *name)
{
	struct ivshmem2_hw *hw = &mh->hw;
	struct mp_answer a;
	int ret;

	ret = mp_request(name, IVSHMEM2_MP_INFO, 0, 0, &a);
	if (ret == 0 && a.nb_fds != 1)
		ret = -EPROTO;
	if (ret == -EIO)
		IVSHMEM2_LOG(ERR, "%s: no answer from the primary process (is it running "
			     "net_ivshmem2?)", name);
	else if (ret != 0)
		IVSHMEM2_LOG(ERR, "%s: primary has no usable net_ivshmem2 device of this name: %s",
			     name, rte_strerror(-ret));
	if (ret != 0) {
		mp_answer_close_fds(&a, 0);
		return ret;
	}
	mh->shm_fd = a.fds[0];
	hw->id = a.p.info.id;
	hw->map_gen = a.p.info.map_gen;
	hw->max_peers = a.p.info.max_peers;
	hw->vectors = a.p.info.vectors;
	hw->page_size = a.p.info.page_size;
	hw->numa_node = a.p.info.numa_node;
	hw->shm = a.p.info.shm;
	if (hw->max_peers < 2 || hw->max_peers > IVSHMEM2_STATE_TABLE_MAX_PEERS ||
	    hw->id >= hw->max_peers || hw->vectors == 0 || hw->page_size == 0 ||
	    hw->shm.max_peers != hw->max_peers ||
	    ivshmem2_net_layout_compute(&hw->net, hw->shm.output_section_size,
					hw->max_peers) != IVSHMEM2_NET_LAYOUT_OK) {
		IVSHMEM2_LOG(ERR, "%s: inconsistent layout from the primary", name);
		return -EPROTO;
	}
	if (ivshmem2_efds_init(&mh->efds, hw->max_peers, hw->vectors) != 0 ||
	    ivshmem2_attach_port_table_alloc(hw) != 0)
		return -ENOMEM;
	/* Like the primary (which writes our state entry), at the primary's address. */
	ret = ivshmem2_shm_reserve(hw, (void *)(uintptr_t)a.p.info.base, name);
	return ret != 0 ? ret : ivshmem2_shm_map(hw, mh->shm_fd, false, name);
}

/*
 * Eventfds of @peer's vectors @first.. (one reply's worth) into the doorbell
 * table; a vector the primary has no eventfd for (any more) rings nobody.
 */
static int
mp_get_peer_fds_from(struct ivshmem2_mp_hw *mh, const char *name, uint32_t peer,
		     uint32_t first)
{
	struct ivshmem2_hw *hw = &mh->hw;
	struct mp_answer a;
	uint32_t k;
	int i = 0, ret;

	ret = mp_request(name, IVSHMEM2_MP_PEER_FDS, peer, first, &a);
	if (ret != 0)
		return ret;
	for (k = 0; k < IVSHMEM2_MP_FDS_PER_REPLY && k < hw->vectors - first && ret == 0; k++) {
		if ((a.p.fd_mask & (1u << k)) && i < a.nb_fds)
			ret = ivshmem2_efds_set(&mh->efds, peer, first + k, a.fds[i++]);
		else
			ivshmem2_efds_park(&mh->efds, peer, first + k, mh->dummy_efd);
	}
	mp_answer_close_fds(&a, i);
	return ret;
}

/* Doorbell eventfds of every vector of every other peer known to the primary now. */
static int
mp_get_peer_fds(struct ivshmem2_mp_hw *mh, const char *name)
{
	struct ivshmem2_hw *hw = &mh->hw;
	uint32_t r, v;
	int ret;

	for (r = 0; r < hw->max_peers; r++) {
		if (r == hw->id) {
			/* Ours (perhaps another peer's before an ID change): never rung. */
			for (v = 0; v < hw->vectors; v++)
				ivshmem2_efds_park(&mh->efds, r, v, mh->dummy_efd);
			continue;
		}
		for (v = 0; v < hw->vectors; v += IVSHMEM2_MP_FDS_PER_REPLY) {
			ret = mp_get_peer_fds_from(mh, name, r, v);
			if (ret != 0) {
				IVSHMEM2_LOG(DEBUG, "%s: doorbells of peer %u from vector %u: %s",
					     name, r, v, rte_strerror(-ret));
				return ret;
			}
		}
	}
	return 0;
}

/* Our ports by the remote peer each is towards now (a two-peer port follows ID changes). */
static void
mp_ports_index(struct ivshmem2_mp_hw *mh)
{
	struct ivshmem2_hw *hw = &mh->hw;
	uint16_t pid;
	uint32_t i;

	for (i = 0; i < hw->max_peers; i++)
		hw->port_of_peer[i] = IVSHMEM2_PORT_NONE;
	RTE_ETH_FOREACH_DEV_OF(pid, mh->device) {
		const struct rte_eth_dev *dev = &rte_eth_devices[pid];
		uint32_t remote;

		if (dev->process_private != hw)
			continue;
		remote = ivshmem2_port_priv(dev)->remote;
		if (remote < hw->max_peers)
			hw->port_of_peer[remote] = pid;
	}
}

static int
mp_attach_ports(struct ivshmem2_mp_hw *mh, struct rte_vdev_device *vdev)
{
	const char *name = rte_vdev_device_name(vdev);
	struct ivshmem2_hw *hw = &mh->hw;
	struct rte_eth_dev *dev;
	struct mp_answer a;
	uint32_t k;
	int ret;

	for (k = 0; ; k++) {
		ret = mp_request(name, IVSHMEM2_MP_PORT, k, 0, &a);
		if (ret == -ENOENT)
			break;
		if (ret != 0)
			return ret;
		mp_answer_close_fds(&a, 0);	/* none expected */
		a.p.port[sizeof(a.p.port) - 1] = '\0';
		dev = rte_eth_dev_attach_secondary(a.p.port);
		if (dev == NULL) {
			IVSHMEM2_LOG(ERR, "%s: cannot attach to port %s", name, a.p.port);
			return -ENODEV;
		}
		dev->device = &vdev->device;
		ivshmem2_eth_dev_attach_secondary(dev, hw);
		hw->nb_ports++;
		rte_eth_dev_probing_finish(dev);
		IVSHMEM2_LOG(INFO, "%s: secondary attached to port %u (%s)", name,
			     dev->data->port_id, a.p.port);
	}
	mp_ports_index(mh);
	return hw->nb_ports > 0 ? 0 : -ENODEV;
}

/* ---- secondary: following the primary ---- */

/* What the primary published in its ports' shared data (any of ours); false without ports. */
static bool
mp_published(const struct ivshmem2_mp_hw *mh, uint32_t *map_gen, uint32_t *fds_gen)
{
	uint16_t pid;

	RTE_ETH_FOREACH_DEV_OF(pid, mh->device) {
		const struct rte_eth_dev *dev = &rte_eth_devices[pid];
		const struct ivshmem2_port *p;

		if (dev->process_private != &mh->hw)
			continue;
		p = ivshmem2_port_priv(dev);
		*map_gen = __atomic_load_n(&p->map_gen, __ATOMIC_ACQUIRE);
		*fds_gen = __atomic_load_n(&p->fds_gen, __ATOMIC_ACQUIRE);
		return true;
	}
	return false;
}

/* Fetch every peer's doorbells again; on success they match the primary's @fds_gen. */
static int
mp_sync_fds(struct ivshmem2_mp_hw *mh, uint32_t fds_gen)
{
	int ret = mp_get_peer_fds(mh, mh->name);

	if (ret == 0)
		mh->fds_gen = fds_gen;
	return ret;
}

/* The primary reconnected only to a server of the same geometry: so must our mapping. */
static bool
mp_same_geometry(const struct ivshmem2_hw *hw, const struct ivshmem2_mp_param *p)
{
	return p->info.base == (uint64_t)(uintptr_t)hw->base &&
	       p->info.page_size == hw->page_size && p->info.max_peers == hw->max_peers &&
	       p->info.vectors == hw->vectors && p->info.id < hw->max_peers &&
	       p->info.shm.shm_size == hw->shm.shm_size &&
	       p->info.shm.output_section_offset == hw->shm.output_section_offset &&
	       p->info.shm.output_section_size == hw->shm.output_section_size;
}

/*
 * Map the primary's new memory over ours (MAP_FIXED: never a hole under a
 * burst), with the protections of our new ID. On success *map_gen is the
 * primary's generation of that memory.
 */
static int
mp_remap(struct ivshmem2_mp_hw *mh, uint32_t *map_gen)
{
	struct ivshmem2_hw *hw = &mh->hw;
	struct mp_answer a;
	int ret;

	ret = mp_request(mh->name, IVSHMEM2_MP_INFO, 0, 0, &a);
	if (ret != 0)
		return ret;
	if (a.nb_fds != 1 || !mp_same_geometry(hw, &a.p)) {
		mp_answer_close_fds(&a, 0);
		return -EPROTO;
	}
	rte_spinlock_lock(&hw->lock);
	hw->id = a.p.info.id;
	ret = ivshmem2_shm_map(hw, a.fds[0], false, mh->name);
	rte_spinlock_unlock(&hw->lock);
	if (ret != 0) {
		mp_answer_close_fds(&a, 0);
		return ret;
	}
	close(mh->shm_fd);
	mh->shm_fd = a.fds[0];
	*map_gen = a.p.info.map_gen;
	mp_ports_index(mh);
	return 0;
}

/*
 * Catch up with what the primary published: new memory and perhaps a new
 * ID (it reconnected to a restarted server), or new doorbells (a peer came
 * or went). The queues take rings of new memory only once hw->map_gen says
 * this process maps it, with every doorbell of it.
 */
static void
mp_follow(struct ivshmem2_mp_hw *mh)
{
	struct ivshmem2_hw *hw = &mh->hw;
	uint32_t map_gen, fds_gen, new_gen = 0;
	bool remap;
	int ret;

	if (!mp_published(mh, &map_gen, &fds_gen))
		return;
	remap = map_gen != hw->map_gen;
	if (!remap && fds_gen == mh->fds_gen)
		return;
	ret = remap ? mp_remap(mh, &new_gen) : 0;
	if (ret == 0)
		ret = mp_sync_fds(mh, fds_gen);
	if (ret == -EAGAIN)
		return;		/* the primary is still joining the new group: next tick */
	if (ret != 0) {
		if (!mh->follow_failed)
			IVSHMEM2_LOG(ERR, "%s: secondary cannot follow the primary's %s: %s "
				     "(retrying)", mh->name,
				     remap ? "new shared memory" : "new doorbells",
				     rte_strerror(-ret));
		mh->follow_failed = true;
		return;
	}
	mh->follow_failed = false;
	if (remap) {
		__atomic_store_n(&hw->map_gen, new_gen, __ATOMIC_RELEASE);
		IVSHMEM2_LOG(NOTICE, "%s: secondary follows the primary to its new shared memory "
			     "(peer %u)", mh->name, hw->id);
	}
}

static void
mp_alarm_cb(void *arg)
{
	struct ivshmem2_mp_hw *mh = arg;

	if (mh->closing)
		return;
	ivshmem2_doorbell_watchdog(&mh->doorbell);
	mp_follow(mh);
	rte_eal_alarm_set(IVSHMEM2_MP_POLL_US, mp_alarm_cb, mh);
}

int
ivshmem2_mp_attach_secondary(struct rte_vdev_device *vdev)
{
	const char *name = rte_vdev_device_name(vdev);
	struct ivshmem2_mp_hw *mh = calloc(1, sizeof(*mh));
	uint32_t map_gen, fds_gen;
	uint16_t pid;
	int ret;

	if (mh == NULL)
		return -ENOMEM;
	mh->shm_fd = -1;
	mh->device = &vdev->device;
	strlcpy(mh->name, name, sizeof(mh->name));
	mh->hw.ops = &ivshmem2_mp_ops;
	mh->hw.numa_node = SOCKET_ID_ANY;
	rte_spinlock_init(&mh->hw.lock);
	mh->dummy_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ret = mh->dummy_efd < 0 ? -errno : mp_get_info(mh, name);
	if (ret == 0)
		ret = ivshmem2_doorbell_init(&mh->doorbell, &mh->efds, NULL, NULL, name);
	if (ret == 0) {
		mh->hw.connected = true;
		ret = mp_attach_ports(mh, vdev);
	}
	/* The doorbells as published now: a later change is the alarm's. */
	if (ret == 0) {
		ret = mp_published(mh, &map_gen, &fds_gen) ? mp_sync_fds(mh, fds_gen) : -ENODEV;
		if (ret != 0)
			IVSHMEM2_LOG(ERR, "%s: cannot get the peers' doorbells from the "
				     "primary: %s", name, rte_strerror(-ret));
	}
	if (ret == 0) {
		if (rte_eal_alarm_set(IVSHMEM2_MP_POLL_US, mp_alarm_cb, mh) != 0)
			IVSHMEM2_LOG(WARNING, "%s: no alarm: this secondary will not follow the "
				     "primary to a restarted server", name);
		return 0;
	}
	/* Undo: ports already attached share mh. */
	RTE_ETH_FOREACH_DEV_OF(pid, &vdev->device)
		if (rte_eth_devices[pid].process_private == &mh->hw) {
			rte_eth_devices[pid].process_private = NULL;
			rte_eth_dev_release_port(&rte_eth_devices[pid]);
		}
	mp_close(&mh->hw);
	return ret;
}

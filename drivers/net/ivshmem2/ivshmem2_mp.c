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
 */

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bus_vdev_driver.h>
#include <ethdev_driver.h>
#include <rte_eal.h>
#include <rte_string_fns.h>

#include "ivshmem2_attach.h"
#include "ivshmem2_efd.h"
#include "ivshmem2_ethdev.h"
#include "ivshmem2_logs.h"
#include "ivshmem2_mp.h"
#include "ivshmem2_port.h"
#include "ivshmem2_shm.h"

#define IVSHMEM2_MP_NAME	"eth_ivshmem2_mp"
#define IVSHMEM2_MP_TIMEOUT_S	5
#define IVSHMEM2_MP_FDS_PER_REPLY	RTE_MP_MAX_FD_NUM

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
			uint32_t max_peers;
			uint32_t vectors;
			int32_t numa_node;
			struct ivshmem2_layout shm;
			struct ivshmem2_net_layout net;
		} info;
		char port[RTE_ETH_NAME_MAX_LEN];
	};
};

/* Secondary's per-process attachment: a read/write view, doorbells only. */
struct ivshmem2_mp_hw {
	struct ivshmem2_hw hw;		/* first: container_of by cast */
	int shm_fd;
	struct ivshmem2_efds efds;	/* doorbells of every (peer, vector) */
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
		p->info.max_peers = hw->max_peers;
		p->info.vectors = hw->vectors;
		p->info.numa_node = hw->numa_node;
		p->info.shm = hw->shm;
		p->info.net = hw->net;
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

/* ---- secondary ---- */

static void
mp_notify(struct ivshmem2_hw *hw, uint32_t peer, uint32_t vector)
{
	ivshmem2_efds_notify(&MP_HW(hw)->efds, peer, vector);
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

static void
mp_close(struct ivshmem2_hw *hw)
{
	struct ivshmem2_mp_hw *mh = MP_HW(hw);

	ivshmem2_shm_unmap(hw);
	ivshmem2_efds_fini(&mh->efds);
	if (mh->shm_fd >= 0)
		close(mh->shm_fd);
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
		IVSHMEM2_LOG(ERR, "%s: no answer from the primary process (is it running "
			     "net_ivshmem2?)", name);
		free(reply.msgs);
		return -EIO;
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
	if (ret != 0) {
		IVSHMEM2_LOG(ERR, "%s: primary has no usable net_ivshmem2 device of this name: %s",
			     name, rte_strerror(-ret));
		mp_answer_close_fds(&a, 0);
		return ret;
	}
	mh->shm_fd = a.fds[0];
	hw->id = a.p.info.id;
	hw->max_peers = a.p.info.max_peers;
	hw->vectors = a.p.info.vectors;
	hw->page_size = a.p.info.page_size;
	hw->numa_node = a.p.info.numa_node;
	hw->shm = a.p.info.shm;
	hw->net = a.p.info.net;
	if (hw->max_peers < 2 || hw->max_peers > IVSHMEM2_STATE_TABLE_MAX_PEERS ||
	    hw->id >= hw->max_peers || hw->vectors == 0 || hw->page_size == 0 ||
	    hw->shm.max_peers != hw->max_peers) {
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

/* Eventfds of @peer's vectors @first.. (one reply's worth) into the doorbell table. */
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
	for (k = 0; k < IVSHMEM2_MP_FDS_PER_REPLY && k < hw->vectors - first && ret == 0; k++)
		if ((a.p.fd_mask & (1u << k)) && i < a.nb_fds)
			ret = ivshmem2_efds_set(&mh->efds, peer, first + k, a.fds[i++]);
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
		if (r == hw->id)
			continue;
		for (v = 0; v < hw->vectors; v += IVSHMEM2_MP_FDS_PER_REPLY) {
			ret = mp_get_peer_fds_from(mh, name, r, v);
			if (ret != 0) {
				IVSHMEM2_LOG(ERR, "%s: cannot get the doorbells of peer %u "
					     "(vectors %u..) from the primary: %s", name, r, v,
					     rte_strerror(-ret));
				return ret;
			}
		}
	}
	return 0;
}

static int
mp_attach_ports(struct ivshmem2_mp_hw *mh, struct rte_vdev_device *vdev)
{
	const char *name = rte_vdev_device_name(vdev);
	struct ivshmem2_hw *hw = &mh->hw;
	struct rte_eth_dev *dev;
	struct mp_answer a;
	uint32_t k, remote;
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
		remote = ivshmem2_port_priv(dev)->remote;
		if (remote < hw->max_peers)
			hw->port_of_peer[remote] = dev->data->port_id;
		hw->nb_ports++;
		rte_eth_dev_probing_finish(dev);
		IVSHMEM2_LOG(INFO, "%s: secondary attached to port %u (%s)", name,
			     dev->data->port_id, a.p.port);
	}
	return hw->nb_ports > 0 ? 0 : -ENODEV;
}

int
ivshmem2_mp_attach_secondary(struct rte_vdev_device *vdev)
{
	const char *name = rte_vdev_device_name(vdev);
	struct ivshmem2_mp_hw *mh = calloc(1, sizeof(*mh));
	uint16_t pid;
	int ret;

	if (mh == NULL)
		return -ENOMEM;
	mh->shm_fd = -1;
	mh->hw.ops = &ivshmem2_mp_ops;
	mh->hw.numa_node = SOCKET_ID_ANY;
	rte_spinlock_init(&mh->hw.lock);
	ret = mp_get_info(mh, name);
	if (ret == 0)
		ret = mp_get_peer_fds(mh, name);
	if (ret == 0) {
		mh->hw.connected = true;
		ret = mp_attach_ports(mh, vdev);
	}
	if (ret == 0)
		return 0;
	/* Undo: ports already attached share mh. */
	RTE_ETH_FOREACH_DEV_OF(pid, &vdev->device)
		if (rte_eth_devices[pid].process_private == &mh->hw) {
			rte_eth_devices[pid].process_private = NULL;
			rte_eth_dev_release_port(&rte_eth_devices[pid]);
		}
	mp_close(&mh->hw);
	return ret;
}

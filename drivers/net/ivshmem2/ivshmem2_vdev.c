/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/*
 * Host attachment: a DPDK process joins an ivshmem2-server group as a peer
 * of its own. The server protocol is ivshmem2_socket.c's; here the memory
 * is mapped (own output section read-write, the state table page
 * read-write to write our own entry, everything else read-only), a peer is
 * rung by writing its eventfd, and the connection is kept: when the server
 * goes away an alarm reconnects with backoff and the new memory is mapped
 * over the old addresses (MAP_FIXED), so the data path never sees an
 * unmapped page.
 *
 * The server socket lives in an EXT interrupt handle on the EAL interrupt
 * thread. Eventfds are shared with every peer, so only the doorbell relay
 * (ivshmem2_doorbell.c) writes them or watches our state vector.
 */

#include <errno.h>
#include <numaif.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bus_vdev_driver.h>
#include <ethdev_driver.h>
#include <ethdev_vdev.h>
#include <rte_alarm.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_interrupts.h>

#include "ivshmem2_attach.h"
#include "ivshmem2_devargs.h"
#include "ivshmem2_doorbell.h"
#include "ivshmem2_intr.h"
#include "ivshmem2_link.h"
#include "ivshmem2_logs.h"
#include "ivshmem2_mp.h"
#include "ivshmem2_shm.h"
#include "ivshmem2_socket.h"

/* Alarm tick: heartbeat, link check, reconnection. */
#define IVSHMEM2_VDEV_POLL_US		(IVSHMEM2_NET_HEARTBEAT_MS * 1000)
#define IVSHMEM2_VDEV_BACKOFF_MIN_MS	100
#define IVSHMEM2_VDEV_BACKOFF_MAX_MS	2000

struct ivshmem2_vdev_dev {
	struct ivshmem2_hw hw;		/* first: container_of by cast */
	struct ivshmem2_socket sock;	/* server connection and eventfds */
	int shm_fd;
	struct ivshmem2_doorbell doorbell;	/* rings peers, watches our vector 0 */
	uint32_t check_pending;		/* a link check is scheduled on the EAL thread */
	struct rte_intr_handle *sock_intr;
	uint32_t backoff_ms;
	uint64_t next_try;		/* timer cycles */
	bool closing;
};

#define VDEV_DEV(hw)	((struct ivshmem2_vdev_dev *)(hw))

/* ---- ops ---- */

static void
vdev_notify(struct ivshmem2_hw *hw, uint32_t peer, uint32_t vector)
{
	ivshmem2_doorbell_ring(&VDEV_DEV(hw)->doorbell, peer, vector);
}

static void
vdev_set_state(struct ivshmem2_hw *hw, uint32_t state)
{
	uint32_t *table = (uint32_t *)hw->base;
	uint32_t i;

	if (!hw->connected)
		return;
	if (__atomic_exchange_n(&table[hw->id], state, __ATOMIC_SEQ_CST) == state)
		return;
	for (i = 0; i < hw->max_peers; i++)
		if (i != hw->id)
			vdev_notify(hw, i, IVSHMEM2_VECTOR_STATE);
}

/* Own vector @vector's eventfd (the same fd number for the process's lifetime). */
static int
vdev_vector_fd(struct ivshmem2_hw *hw, uint32_t vector)
{
	return ivshmem2_efds_get(&VDEV_DEV(hw)->sock.efds, hw->id, vector);
}

static int
vdev_export_fd(struct ivshmem2_hw *hw, uint32_t peer, uint32_t vector)
{
	struct ivshmem2_vdev_dev *vd = VDEV_DEV(hw);

	if (peer == IVSHMEM2_EXPORT_SHM)
		return vd->shm_fd;
	return ivshmem2_efds_get(&vd->sock.efds, peer, vector);
}

static void vdev_close(struct ivshmem2_hw *hw);

static const struct ivshmem2_hw_ops ivshmem2_vdev_ops = {
	.notify = vdev_notify,
	.set_state = vdev_set_state,
	.vector_fd = vdev_vector_fd,
	.close = vdev_close,
	.export_fd = vdev_export_fd,
};

/* ---- interrupt thread callbacks ---- */

static void vdev_sock_cb(void *arg);

static void
vdev_check_cb(void *arg)
{
	struct ivshmem2_vdev_dev *vd = arg;

	__atomic_store_n(&vd->check_pending, 0, __ATOMIC_RELEASE);
	ivshmem2_link_check(&vd->hw);
}

/* Our state vector fired (relay thread): check the links on the EAL thread, once. */
static void
vdev_state_fired(void *arg)
{
	struct ivshmem2_vdev_dev *vd = arg;

	if (__atomic_exchange_n(&vd->check_pending, 1, __ATOMIC_ACQ_REL) == 0 &&
	    rte_eal_alarm_set(1, vdev_check_cb, vd) != 0)
		__atomic_store_n(&vd->check_pending, 0, __ATOMIC_RELEASE);
}

/* A peer left: its next eventfds are new files, worth ringing again. */
static void
vdev_peer_gone(void *arg, uint32_t peer)
{
	struct ivshmem2_vdev_dev *vd = arg;

	ivshmem2_doorbell_unpoison(&vd->doorbell, peer);
}

static int
register_intr(struct ivshmem2_vdev_dev *vd)
{
	/* The file behind our vector 0 may be new (server restart): watch it again. */
	ivshmem2_doorbell_watch(&vd->doorbell, vdev_vector_fd(&vd->hw, IVSHMEM2_VECTOR_STATE));
	if (rte_intr_fd_set(vd->sock_intr, vd->sock.fd) != 0 ||
	    rte_intr_callback_register(vd->sock_intr, vdev_sock_cb, vd) != 0)
		return -EINVAL;
	return 0;
}

static void
sock_unregistered(struct rte_intr_handle *h, void *arg __rte_unused)
{
	int fd = rte_intr_fd_get(h);

	if (fd >= 0)
		close(fd);
}

/* The server went away: link down everywhere, then reconnect from the alarm. */
static void
vdev_lost_server(struct ivshmem2_vdev_dev *vd, bool in_callback)
{
	if (in_callback) {
		/* The socket is closed once its callback has returned. */
		rte_intr_callback_unregister_pending(vd->sock_intr, vdev_sock_cb, vd,
						     sock_unregistered);
		vd->sock.fd = -1;
	} else {
		rte_intr_callback_unregister_sync(vd->sock_intr, vdev_sock_cb, vd);
		ivshmem2_socket_disconnect(&vd->sock);
	}
	vd->backoff_ms = IVSHMEM2_VDEV_BACKOFF_MIN_MS;
	vd->next_try = 0;
	ivshmem2_link_detached(&vd->hw);
}

static void
vdev_sock_cb(void *arg)
{
	struct ivshmem2_vdev_dev *vd = arg;

	if (!ivshmem2_socket_receive(&vd->sock)) {
		vdev_lost_server(vd, true);
		return;
	}
	/* A peer came or went: secondaries fetch the doorbells again. */
	rte_spinlock_lock(&vd->hw.lock);
	ivshmem2_mp_publish_locked(&vd->hw, false);
	rte_spinlock_unlock(&vd->hw.lock);
	ivshmem2_link_check(&vd->hw);
}

/* ---- first connection ---- */

static int
shm_numa_node(void *addr)
{
	int node = -1;

	if (get_mempolicy(&node, NULL, 0, addr, MPOL_F_NODE | MPOL_F_ADDR) != 0 || node < 0)
		return SOCKET_ID_ANY;
	return node;
}

/* From probe: errors are fatal and explained. */
static int
vdev_connect_first(struct ivshmem2_vdev_dev *vd)
{
	struct ivshmem2_hw *hw = &vd->hw;
	struct ivshmem2_socket_init in;
	int sock, ret;

	sock = ivshmem2_socket_connect(&vd->sock, false, &in);
	if (sock < 0)
		return sock;
	vd->shm_fd = in.shm_fd;
	ret = ivshmem2_socket_adopt(&vd->sock, sock, &in);
	if (ret != 0) {
		close(sock);
		return ret;
	}
	ret = ivshmem2_doorbell_init(&vd->doorbell, &vd->sock.efds, vdev_state_fired, vd,
				     vd->sock.name);
	if (ret != 0)
		return ret;
	hw->id = in.msg.id;
	hw->max_peers = in.msg.max_peers;
	hw->vectors = in.msg.vectors;
	ret = ivshmem2_attach_layout(hw, in.shm_size, in.msg.max_peers,
				     in.msg.output_section_size, in.page_size, vd->sock.name);
	if (ret == 0)
		ret = ivshmem2_attach_port_table_alloc(hw);
	/* Reserve the range once: a reconnection maps the new memory over it. */
	if (ret == 0)
		ret = ivshmem2_shm_reserve(hw, NULL, vd->sock.name);
	if (ret == 0)
		ret = ivshmem2_shm_map(hw, vd->shm_fd, true, vd->sock.name);
	if (ret == 0)
		ret = ivshmem2_socket_join(&vd->sock);
	if (ret != 0)
		return ret;
	hw->numa_node = shm_numa_node(ivshmem2_hw_section(hw, hw->id));
	ivshmem2_link_attached(hw);
	IVSHMEM2_LOG(INFO, "%s: joined as peer %u of %u, %u vectors, %u queue pair(s) of %u "
		     "slots per peer", vd->sock.name, hw->id, hw->max_peers, hw->vectors,
		     hw->net.queues, hw->net.ring_size);
	return register_intr(vd);
}

/* ---- reconnection, from the alarm ---- */

/* Backoff between attempts: 100 ms doubling up to 2 s. */
static bool
reconnect_due(struct ivshmem2_vdev_dev *vd)
{
	uint64_t now = rte_get_timer_cycles();

	if (now < vd->next_try)
		return false;
	vd->next_try = now + rte_get_timer_hz() / 1000 * vd->backoff_ms;
	vd->backoff_ms = RTE_MIN(vd->backoff_ms * 2, (uint32_t)IVSHMEM2_VDEV_BACKOFF_MAX_MS);
	return true;
}

/* The mapping, the queues and the ports were sized for the first group. */
static bool
same_geometry(struct ivshmem2_vdev_dev *vd, const struct ivshmem2_socket_init *in)
{
	const struct ivshmem2_hw *hw = &vd->hw;

	if (in->shm_size == hw->shm.shm_size && in->msg.max_peers == hw->max_peers &&
	    in->msg.output_section_size == hw->shm.output_section_size &&
	    in->msg.vectors == hw->vectors && in->page_size == hw->page_size)
		return true;
	IVSHMEM2_LOG(ERR, "%s: restarted server has another group geometry "
		     "(size/peers/sections/vectors); restart the application", vd->sock.name);
	return false;
}

/* Take the new connection and map its memory over the old one. */
static int
vdev_remap(struct ivshmem2_vdev_dev *vd, int sock, const struct ivshmem2_socket_init *in)
{
	struct ivshmem2_hw *hw = &vd->hw;
	uint32_t i;
	int ret;

	rte_spinlock_lock(&hw->lock);
	ret = ivshmem2_socket_adopt(&vd->sock, sock, in);
	if (ret == 0 && in->msg.id != hw->id)
		ivshmem2_attach_id_changed_locked(hw, in->msg.id);
	for (i = 0; ret == 0 && i < hw->max_peers; i++)
		ivshmem2_doorbell_unpoison(&vd->doorbell, i);	/* a new group */
	if (ret == 0)
		ret = ivshmem2_shm_map(hw, in->shm_fd, true, vd->sock.name);
	if (ret == 0) {
		close(vd->shm_fd);
		vd->shm_fd = in->shm_fd;
		/* Secondaries still map the old memory: they must follow. */
		ivshmem2_mp_publish_locked(hw, true);
	}
	rte_spinlock_unlock(&hw->lock);
	return ret;
}

static void
vdev_try_reconnect(struct ivshmem2_vdev_dev *vd)
{
	struct ivshmem2_hw *hw = &vd->hw;
	struct ivshmem2_socket_init in;
	int sock;

	if (!reconnect_due(vd))
		return;
	sock = ivshmem2_socket_connect(&vd->sock, true, &in);
	if (sock < 0)
		return;
	if (!same_geometry(vd, &in) || vdev_remap(vd, sock, &in) != 0) {
		close(in.shm_fd);
		if (vd->sock.fd == sock)
			ivshmem2_socket_disconnect(&vd->sock);
		else
			close(sock);
		return;
	}
	/* Own eventfds arrive last, onto the fd numbers the rx queues already use. */
	if (ivshmem2_socket_join(&vd->sock) != 0) {
		ivshmem2_socket_disconnect(&vd->sock);
		return;
	}
	hw->reconnects++;
	ivshmem2_link_attached(hw);
	/* New eventfds under the rx queues' fd numbers: back into the app's epoll. */
	ivshmem2_intr_rxq_rearm(hw);
	if (register_intr(vd) != 0)
		IVSHMEM2_LOG(ERR, "%s: cannot register interrupt callbacks", vd->sock.name);
	IVSHMEM2_LOG(NOTICE, "%s: reconnected to the server as peer %u", vd->sock.name, hw->id);
}

static void
vdev_alarm_cb(void *arg)
{
	struct ivshmem2_vdev_dev *vd = arg;

	if (vd->closing)
		return;
	ivshmem2_doorbell_watchdog(&vd->doorbell);
	if (vd->sock.fd < 0)
		vdev_try_reconnect(vd);
	else
		ivshmem2_link_tick(&vd->hw);
	rte_eal_alarm_set(IVSHMEM2_VDEV_POLL_US, vdev_alarm_cb, vd);
}

/* ---- life cycle ---- */

static void
vdev_close(struct ivshmem2_hw *hw)
{
	struct ivshmem2_vdev_dev *vd = VDEV_DEV(hw);

	vd->closing = true;
	rte_eal_alarm_cancel(vdev_alarm_cb, vd);
	if (vd->sock.fd >= 0)
		rte_intr_callback_unregister_sync(vd->sock_intr, vdev_sock_cb, vd);
	ivshmem2_doorbell_fini(&vd->doorbell);
	rte_eal_alarm_cancel(vdev_check_cb, vd);
	if (hw->base != NULL && hw->connected)
		__atomic_store_n(&((uint32_t *)hw->base)[hw->id], IVSHMEM2_STATE_RESET,
				 __ATOMIC_SEQ_CST);
	if (hw->extmem_registered)
		rte_extmem_unregister(hw->base, hw->shm.shm_size);
	ivshmem2_shm_unmap(hw);
	ivshmem2_socket_fini(&vd->sock);
	if (vd->shm_fd >= 0)
		close(vd->shm_fd);
	rte_intr_instance_free(vd->sock_intr);
	free(hw->port_of_peer);
	free(vd);
}

static struct ivshmem2_vdev_dev *
vdev_dev_alloc(const char *name, const char *path)
{
	struct ivshmem2_vdev_dev *vd = calloc(1, sizeof(*vd));

	if (vd == NULL)
		return NULL;
	vd->shm_fd = -1;
	vd->hw.ops = &ivshmem2_vdev_ops;
	vd->hw.numa_node = SOCKET_ID_ANY;
	rte_spinlock_init(&vd->hw.lock);
	vd->sock_intr = rte_intr_instance_alloc(RTE_INTR_INSTANCE_F_PRIVATE);
	if (ivshmem2_socket_init(&vd->sock, path, name) != 0 || vd->sock_intr == NULL ||
	    rte_intr_type_set(vd->sock_intr, RTE_INTR_HANDLE_EXT) != 0) {
		vdev_close(&vd->hw);
		return NULL;
	}
	vd->sock.peer_gone = vdev_peer_gone;
	vd->sock.arg = vd;
	return vd;
}

static struct rte_eth_dev *
vdev_alloc_first(struct rte_device *device, size_t private_size)
{
	return rte_eth_vdev_allocate(RTE_DEV_TO_VDEV(device), private_size);
}

static int
ivshmem2_vdev_probe(struct rte_vdev_device *vdev)
{
	const char *name = rte_vdev_device_name(vdev);
	struct ivshmem2_vdev_dev *vd;
	struct ivshmem2_args args;
	int ret;

	if (rte_eal_process_type() != RTE_PROC_PRIMARY)
		return ivshmem2_mp_attach_secondary(vdev);
	ret = ivshmem2_args_parse(rte_vdev_device_args(vdev), IVSHMEM2_ARGS_VDEV, name, &args);
	if (ret != 0)
		return ret;
	vd = vdev_dev_alloc(name, args.socket);
	if (vd == NULL)
		return -ENOMEM;
	ret = vdev_connect_first(vd);
	if (ret == 0)
		ret = ivshmem2_attach_create_ports(&vd->hw, &vdev->device, vdev_alloc_first, &args);
	if (ret != 0 && vd->hw.nb_ports == 0) {
		vdev_close(&vd->hw);
		return ret;
	}
	rte_eal_alarm_set(IVSHMEM2_VDEV_POLL_US, vdev_alarm_cb, vd);
	ivshmem2_mp_primary_init();
	return ret;
}

static int
ivshmem2_vdev_remove(struct rte_vdev_device *vdev)
{
	return ivshmem2_attach_remove(&vdev->device);
}

static struct rte_vdev_driver ivshmem2_vdev_drv = {
	.probe = ivshmem2_vdev_probe,
	.remove = ivshmem2_vdev_remove,
};

RTE_PMD_REGISTER_VDEV(net_ivshmem2, ivshmem2_vdev_drv);
RTE_PMD_REGISTER_PARAM_STRING(net_ivshmem2, ETH_IVSHMEM2_VDEV_PARAMS);

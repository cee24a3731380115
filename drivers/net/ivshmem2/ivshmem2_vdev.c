/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/*
 * Host attachment: a DPDK process joins an ivshmem2-server group as a peer
 * of its own. It receives INIT + the shared-memory fd and the eventfds of
 * every (peer, vector); maps its own output section read-write, the state
 * table page read-write (to write its own entry) and everything else
 * read-only; rings a peer by writing that peer's eventfd.
 *
 * The server socket lives in an EXT interrupt handle on the EAL interrupt
 * thread; when the server goes away, an alarm reconnects with backoff and
 * the new memory is mapped over the old addresses (MAP_FIXED), so the data
 * path never sees an unmapped page.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <numaif.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <bus_vdev_driver.h>
#include <ethdev_driver.h>
#include <ethdev_vdev.h>
#include <rte_alarm.h>
#include <rte_eal.h>
#include <rte_interrupts.h>
#include <rte_kvargs.h>
#include <rte_malloc.h>

#include <ivshmem2/regs.h>
#include <ivshmem2/wire.h>

#include "ivshmem2_attach.h"
#include "ivshmem2_efd.h"
#include "ivshmem2_ethdev.h"
#include "ivshmem2_logs.h"
#include "ivshmem2_ring.h"
#include "ivshmem2_shm.h"

#define ETH_IVSHMEM2_SOCKET_ARG		"socket"

#define IVSHMEM2_VDEV_RECV_TIMEOUT_MS	2000
/* Alarm tick: heartbeat, link check, reconnection. */
#define IVSHMEM2_VDEV_POLL_US		(IVSHMEM2_NET_HEARTBEAT_MS * 1000)
#define IVSHMEM2_VDEV_BACKOFF_MIN_MS	100
#define IVSHMEM2_VDEV_BACKOFF_MAX_MS	2000

static const char * const valid_arguments[] = {
	ETH_IVSHMEM2_SOCKET_ARG,
	ETH_IVSHMEM2_PEER_ARG,
	ETH_IVSHMEM2_MAC_ARG,
	ETH_IVSHMEM2_ZC_ARG,
	NULL
};

struct ivshmem2_vdev_dev {
	struct ivshmem2_hw hw;		/* first: container_of by cast */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char name[RTE_DEV_NAME_MAX_LEN];
	int sock;			/* -1 while disconnected */
	int shm_fd;
	int dummy_efd;			/* parks the fd numbers of peers that left */
	int *fds;			/* [max_peers * vectors], -1 = unknown */
	uint32_t protocol;
	struct rte_intr_handle *sock_intr;
	struct rte_intr_handle *state_intr;
	uint32_t backoff_ms;
	uint64_t next_try_ms;
	bool closing;
};

#define VDEV_DEV(hw)	((struct ivshmem2_vdev_dev *)(hw))

/* ---- socket messages ---- */

/*
 * Receive one message into @buf (IVSHMEM2_MSG_MAX_LEN bytes). @fd gets the
 * attached descriptor or -1. Returns the message length, 0 on EOF, or a
 * negative errno.
 */
static int
recv_msg(int sock, uint8_t *buf, int *fd)
{
	union {
		char raw[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cbuf;
	struct ivshmem2_msg_header hdr;
	struct iovec iov = { .iov_base = &hdr, .iov_len = sizeof(hdr) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf.raw, .msg_controllen = sizeof(cbuf.raw),
	};
	struct cmsghdr *cmsg;
	ssize_t n;

	*fd = -1;
	n = recvmsg(sock, &msg, MSG_WAITALL | MSG_CMSG_CLOEXEC);
	if (n == 0)
		return 0;
	if (n < 0)
		return -errno;
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg != NULL; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
		if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS &&
		    cmsg->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(fd, CMSG_DATA(cmsg), sizeof(int));
	}
	if ((size_t)n != sizeof(hdr) || hdr.len < sizeof(hdr) || hdr.len > IVSHMEM2_MSG_MAX_LEN ||
	    (msg.msg_flags & MSG_CTRUNC)) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		return -EPROTO;
	}
	memcpy(buf, &hdr, sizeof(hdr));
	if (hdr.len > sizeof(hdr)) {
		n = recv(sock, buf + sizeof(hdr), hdr.len - sizeof(hdr), MSG_WAITALL);
		if (n != (ssize_t)(hdr.len - sizeof(hdr))) {
			if (*fd >= 0)
				close(*fd);
			*fd = -1;
			return n == 0 ? 0 : -EPROTO;
		}
	}
	return (int)hdr.len;
}

static int *
fd_slot(struct ivshmem2_vdev_dev *vd, uint32_t id, uint32_t vector)
{
	return &vd->fds[(size_t)id * vd->hw.vectors + vector];
}

/*
 * A slot's fd number never changes once assigned (the data path may be
 * writing it): a new eventfd is dup2()ed over it, a departed peer's is
 * replaced by the dummy eventfd.
 */
static void
fd_slot_set(int *slot, int fd)
{
	if (*slot < 0) {
		__atomic_store_n(slot, fd, __ATOMIC_RELEASE);
		return;
	}
	if (dup2(fd, *slot) < 0)
		IVSHMEM2_LOG(ERR, "dup2: %s", strerror(errno));
	close(fd);
}

static void
ivshmem2_msg_receive_event_fd(struct ivshmem2_vdev_dev *vd, const uint8_t *buf, int len,
			      int fd)
{
	struct ivshmem2_msg_event_fd m;

	if (len < (int)sizeof(m) || fd < 0) {
		IVSHMEM2_LOG(ERR, "%s: malformed EVENT_FD message", vd->name);
		if (fd >= 0)
			close(fd);
		return;
	}
	memcpy(&m, buf, sizeof(m));
	if (m.id >= vd->hw.max_peers || m.vector >= vd->hw.vectors) {
		IVSHMEM2_LOG(ERR, "%s: EVENT_FD for peer %u vector %u out of range", vd->name,
			     m.id, m.vector);
		close(fd);
		return;
	}
	fd_slot_set(fd_slot(vd, m.id, m.vector), fd);
}

static void
ivshmem2_msg_receive_peer_gone(struct ivshmem2_vdev_dev *vd, const uint8_t *buf, int len)
{
	struct ivshmem2_msg_peer_gone m;
	uint32_t v;

	if (len < (int)sizeof(m)) {
		IVSHMEM2_LOG(ERR, "%s: malformed PEER_GONE message", vd->name);
		return;
	}
	memcpy(&m, buf, sizeof(m));
	if (m.id >= vd->hw.max_peers || m.id == vd->hw.id) {
		IVSHMEM2_LOG(ERR, "%s: PEER_GONE for invalid peer %u", vd->name, m.id);
		return;
	}
	IVSHMEM2_LOG(INFO, "%s: peer %u left", vd->name, m.id);
	for (v = 0; v < vd->hw.vectors; v++) {
		int *slot = fd_slot(vd, m.id, v);

		if (*slot >= 0)
			fd_slot_set(slot, dup(vd->dummy_efd));
	}
}

/* Handle one message after INIT. Returns false when the connection is unusable. */
static bool
ivshmem2_msg_receive(struct ivshmem2_vdev_dev *vd)
{
	uint8_t buf[IVSHMEM2_MSG_MAX_LEN];
	int fd, len;
	uint32_t type;

	len = recv_msg(vd->sock, buf, &fd);
	if (len <= 0) {
		IVSHMEM2_LOG(WARNING, "%s: server connection %s", vd->name,
			     len == 0 ? "closed" : strerror(-len));
		return false;
	}
	memcpy(&type, buf, sizeof(type));
	switch (type) {
	case IVSHMEM2_MSG_EVENT_FD:
		ivshmem2_msg_receive_event_fd(vd, buf, len, fd);
		return true;
	case IVSHMEM2_MSG_PEER_GONE:
		ivshmem2_msg_receive_peer_gone(vd, buf, len);
		break;
	default:
		IVSHMEM2_LOG(ERR, "%s: unexpected message type %u", vd->name, type);
		break;
	}
	if (fd >= 0)
		close(fd);
	return true;
}

/* ---- ops ---- */

static void
vdev_notify(struct ivshmem2_hw *hw, uint32_t peer, uint32_t vector)
{
	ivshmem2_efds_notify(hw, VDEV_DEV(hw)->fds, peer, vector);
}

static void
vdev_set_state(struct ivshmem2_hw *hw, uint32_t state)
{
	uint32_t *table = (uint32_t *)hw->base;
	uint32_t i;

	if (!hw->connected)
		return;
	hw->state = state;
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
	return ivshmem2_efds_get(hw, VDEV_DEV(hw)->fds, hw->id, vector);
}

static int
vdev_export_fd(struct ivshmem2_hw *hw, uint32_t peer, uint32_t vector)
{
	struct ivshmem2_vdev_dev *vd = VDEV_DEV(hw);

	if (peer == IVSHMEM2_EXPORT_SHM)
		return vd->shm_fd;
	return ivshmem2_efds_get(hw, vd->fds, peer, vector);
}

static void vdev_close(struct ivshmem2_hw *hw);

static const struct ivshmem2_ops ivshmem2_vdev_ops = {
	.notify = vdev_notify,
	.set_state = vdev_set_state,
	.vector_fd = vdev_vector_fd,
	.close = vdev_close,
	.export_fd = vdev_export_fd,
};

/* ---- mapping ---- */

static int
shm_numa_node(void *addr)
{
	int node = -1;

	if (get_mempolicy(&node, NULL, 0, addr, MPOL_F_NODE | MPOL_F_ADDR) != 0 || node < 0)
		return SOCKET_ID_ANY;
	return node;
}

/* ---- connection ---- */

static int
connect_socket(struct ivshmem2_vdev_dev *vd, bool quiet)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = {
		.tv_sec = IVSHMEM2_VDEV_RECV_TIMEOUT_MS / 1000,
		.tv_usec = (IVSHMEM2_VDEV_RECV_TIMEOUT_MS % 1000) * 1000,
	};
	int s;

	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	strlcpy(sun.sun_path, vd->path, sizeof(sun.sun_path));
	if (connect(s, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		int err = errno;

		if (!quiet)
			IVSHMEM2_LOG(ERR, "%s: cannot connect to ivshmem2-server at %s: %s",
				     vd->name, vd->path, strerror(err));
		close(s);
		return -err;
	}
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return s;
}

/* Parsed and checked INIT. */
struct vdev_init {
	struct ivshmem2_msg_init msg;
	int shm_fd;
	uint64_t shm_size;
	size_t page_size;
	struct ivshmem2_layout shm;
	struct ivshmem2_net_layout net;
};

static int
ivshmem2_msg_receive_init(struct ivshmem2_vdev_dev *vd, int sock, struct vdev_init *in)
{
	uint8_t buf[IVSHMEM2_MSG_MAX_LEN];
	enum ivshmem2_layout_error le;
	enum ivshmem2_net_layout_error ne;
	struct stat st;
	int len, fd;

	len = recv_msg(sock, buf, &fd);
	if (len == 0) {
		IVSHMEM2_LOG(ERR, "%s: server closed the connection before INIT (group full?)",
			     vd->name);
		return -ECONNRESET;
	}
	if (len < 0) {
		IVSHMEM2_LOG(ERR, "%s: no INIT from server: %s", vd->name, strerror(-len));
		return len;
	}
	memset(in, 0, sizeof(*in));
	memcpy(&in->msg, buf, RTE_MIN((size_t)len, sizeof(in->msg)));
	in->shm_fd = fd;
	if (in->msg.header.type != IVSHMEM2_MSG_INIT || len < (int)sizeof(in->msg) || fd < 0) {
		IVSHMEM2_LOG(ERR, "%s: first server message is not a valid INIT", vd->name);
		goto err;
	}
	if (in->msg.compatible_version != IVSHMEM2_PROTOCOL_VERSION) {
		IVSHMEM2_LOG(ERR, "%s: server speaks protocol %u, we need %u", vd->name,
			     in->msg.compatible_version, IVSHMEM2_PROTOCOL_VERSION);
		goto err;
	}
	if (in->msg.protocol != IVSHMEM2_NET_PROTOCOL) {
		IVSHMEM2_LOG(ERR, "%s: group protocol is 0x%04x, net_ivshmem2 needs 0x%04x "
			     "(start the server with -P 0x%04x)", vd->name, in->msg.protocol,
			     IVSHMEM2_NET_PROTOCOL, IVSHMEM2_NET_PROTOCOL);
		goto err;
	}
	if (in->msg.vectors < 1 || in->msg.vectors > IVSHMEM2_SERVER_MAX_VECTORS ||
	    in->msg.id >= in->msg.max_peers) {
		IVSHMEM2_LOG(ERR, "%s: bad INIT: id %u, max_peers %u, vectors %u", vd->name,
			     in->msg.id, in->msg.max_peers, in->msg.vectors);
		goto err;
	}
	if (fstat(fd, &st) != 0 || st.st_size <= 0) {
		IVSHMEM2_LOG(ERR, "%s: cannot size the shared memory", vd->name);
		goto err;
	}
	in->shm_size = (uint64_t)st.st_size;
	in->page_size = (size_t)sysconf(_SC_PAGESIZE);
	if (st.st_blksize > 0 && rte_is_power_of_2(st.st_blksize) &&
	    (size_t)st.st_blksize > in->page_size)
		in->page_size = (size_t)st.st_blksize;	/* hugetlbfs */
	le = ivshmem2_layout_compute(&in->shm, in->shm_size, in->msg.max_peers,
				     in->msg.output_section_size, in->page_size);
	if (le != IVSHMEM2_LAYOUT_OK) {
		IVSHMEM2_LOG(ERR, "%s: shared memory of %" PRIu64 " bytes, output sections of %"
			     PRIu64 ": %s", vd->name, in->shm_size, in->msg.output_section_size,
			     ivshmem2_layout_strerror(le));
		goto err;
	}
	ne = ivshmem2_net_layout_compute(&in->net, in->msg.output_section_size,
					 in->msg.max_peers);
	if (ne != IVSHMEM2_NET_LAYOUT_OK) {
		IVSHMEM2_LOG(ERR, "%s: output section of %" PRIu64 " bytes: %s (use -o 1M or more)",
			     vd->name, in->msg.output_section_size,
			     ivshmem2_net_layout_strerror(ne));
		goto err;
	}
	return 0;
err:
	if (fd >= 0)
		close(fd);
	return -EPROTO;
}

/* Read EVENT_FD messages until all own vectors arrived (last step of the join). */
static int
receive_join(struct ivshmem2_vdev_dev *vd)
{
	struct ivshmem2_hw *hw = &vd->hw;
	uint32_t v, have;

	for (;;) {
		for (have = 0, v = 0; v < hw->vectors; v++)
			have += *fd_slot(vd, hw->id, v) >= 0;
		if (have == hw->vectors)
			return 0;
		if (!ivshmem2_msg_receive(vd))
			return -ECONNRESET;
	}
}

static void vdev_sock_cb(void *arg);
static void vdev_state_cb(void *arg);

static int
register_intr(struct ivshmem2_vdev_dev *vd)
{
	int state_fd = *fd_slot(vd, vd->hw.id, IVSHMEM2_VECTOR_STATE);

	if (rte_intr_fd_set(vd->sock_intr, vd->sock) != 0 ||
	    rte_intr_callback_register(vd->sock_intr, vdev_sock_cb, vd) != 0)
		return -EINVAL;
	if (state_fd >= 0) {
		fcntl(state_fd, F_SETFL, fcntl(state_fd, F_GETFL) | O_NONBLOCK);
		if (rte_intr_fd_set(vd->state_intr, state_fd) != 0 ||
		    rte_intr_callback_register(vd->state_intr, vdev_state_cb, vd) != 0)
			return -EINVAL;
	}
	return 0;
}

/* First connection, from probe: errors are fatal and explained. */
static int
vdev_connect_first(struct ivshmem2_vdev_dev *vd)
{
	struct ivshmem2_hw *hw = &vd->hw;
	struct vdev_init in;
	int s, ret;

	s = connect_socket(vd, false);
	if (s < 0)
		return s;
	ret = ivshmem2_msg_receive_init(vd, s, &in);
	if (ret != 0) {
		close(s);
		return ret;
	}
	vd->sock = s;
	vd->shm_fd = in.shm_fd;
	vd->protocol = in.msg.protocol;
	hw->id = in.msg.id;
	hw->max_peers = in.msg.max_peers;
	hw->vectors = in.msg.vectors;
	hw->shm = in.shm;
	hw->net = in.net;
	hw->page_size = in.page_size;

	vd->fds = ivshmem2_efds_alloc(hw);
	if (vd->fds == NULL || ivshmem2_hw_port_table_alloc(hw) != 0)
		return -ENOMEM;

	/* Reserve the range once: a reconnection maps the new memory over it. */
	ret = ivshmem2_shm_reserve(hw, NULL, vd->name);
	if (ret == 0)
		ret = ivshmem2_shm_map(hw, vd->shm_fd, true, vd->name);
	if (ret != 0)
		return ret;
	ret = receive_join(vd);
	if (ret != 0) {
		IVSHMEM2_LOG(ERR, "%s: server did not send our eventfds", vd->name);
		return ret;
	}
	ivshmem2_ring_section_init(ivshmem2_hw_section(hw, hw->id), &hw->net, hw->id);
	hw->numa_node = shm_numa_node(ivshmem2_hw_section(hw, hw->id));
	hw->connected = true;
	vdev_set_state(hw, IVSHMEM2_NET_STATE_READY);
	IVSHMEM2_LOG(INFO, "%s: joined as peer %u of %u, %u vectors, %u queue pair(s) of %u "
		     "slots per peer", vd->name, hw->id, hw->max_peers, hw->vectors,
		     hw->net.queues, hw->net.ring_size);
	return register_intr(vd);
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
	struct ivshmem2_hw *hw = &vd->hw;

	rte_spinlock_lock(&hw->lock);
	hw->connected = false;
	rte_spinlock_unlock(&hw->lock);
	if (in_callback)
		rte_intr_callback_unregister_pending(vd->sock_intr, vdev_sock_cb, vd,
						     sock_unregistered);
	else
		rte_intr_callback_unregister_sync(vd->sock_intr, vdev_sock_cb, vd);
	rte_intr_callback_unregister_sync(vd->state_intr, vdev_state_cb, vd);
	if (!in_callback)
		close(vd->sock);
	vd->sock = -1;
	vd->backoff_ms = IVSHMEM2_VDEV_BACKOFF_MIN_MS;
	vd->next_try_ms = 0;
	ivshmem2_hw_link_check(hw);
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Reconnect to a restarted server with the same group geometry. */
static void
vdev_try_reconnect(struct ivshmem2_vdev_dev *vd)
{
	struct ivshmem2_hw *hw = &vd->hw;
	struct vdev_init in;
	uint32_t i;
	int s;

	if (now_ms() < vd->next_try_ms)
		return;
	vd->next_try_ms = now_ms() + vd->backoff_ms;
	vd->backoff_ms = RTE_MIN(vd->backoff_ms * 2, (uint32_t)IVSHMEM2_VDEV_BACKOFF_MAX_MS);

	s = connect_socket(vd, true);
	if (s < 0)
		return;
	if (ivshmem2_msg_receive_init(vd, s, &in) != 0) {
		close(s);
		return;
	}
	if (in.shm_size != hw->shm.shm_size || in.msg.max_peers != hw->max_peers ||
	    in.msg.output_section_size != hw->shm.output_section_size ||
	    in.msg.vectors != hw->vectors || in.page_size != hw->page_size) {
		IVSHMEM2_LOG(ERR, "%s: restarted server has another group geometry "
			     "(size/peers/sections/vectors); restart the application", vd->name);
		close(in.shm_fd);
		close(s);
		return;
	}
	rte_spinlock_lock(&hw->lock);
	/* Peers' eventfds of the old group are void: park them on the dummy. */
	for (i = 0; i < hw->max_peers * hw->vectors; i++)
		if (vd->fds[i] >= 0)
			fd_slot_set(&vd->fds[i], dup(vd->dummy_efd));
	if (in.msg.id != hw->id) {
		/*
		 * Another ID this time: our vectors keep their fd numbers, which
		 * the rx queues' interrupt handles (and the application's epoll
		 * set) hold. All are parked on the dummy now: swap the two rows.
		 */
		for (i = 0; i < hw->vectors; i++) {
			int *mine = fd_slot(vd, hw->id, i);
			int *theirs = fd_slot(vd, in.msg.id, i);
			int fd = *mine;

			*mine = *theirs;
			*theirs = fd;
		}
	}
	hw->id = in.msg.id;
	for (i = 0; i < hw->max_peers; i++) {
		uint16_t pid = hw->port_of_peer[i];
		struct ivshmem2_port *p;

		if (pid == IVSHMEM2_PORT_NONE)
			continue;
		p = rte_eth_devices[pid].data->dev_private;
		if (p->auto_remote && hw->max_peers == 2 && p->remote == hw->id) {
			p->remote = 1 - hw->id;
			hw->port_of_peer[i] = IVSHMEM2_PORT_NONE;
			hw->port_of_peer[p->remote] = pid;
		}
	}
	if (ivshmem2_shm_map(hw, in.shm_fd, true, vd->name) != 0) {
		rte_spinlock_unlock(&hw->lock);
		close(in.shm_fd);
		close(s);
		return;
	}
	close(vd->shm_fd);
	vd->shm_fd = in.shm_fd;
	vd->sock = s;
	rte_spinlock_unlock(&hw->lock);

	/*
	 * Own eventfds arrive last. Collect them fresh, then dup2() them onto
	 * the fd numbers the rx queues and callbacks already use.
	 */
	{
		int *own = fd_slot(vd, hw->id, 0);
		int old[IVSHMEM2_SERVER_MAX_VECTORS];

		memcpy(old, own, hw->vectors * sizeof(int));
		for (i = 0; i < hw->vectors; i++)
			own[i] = -1;
		if (receive_join(vd) != 0) {
			for (i = 0; i < hw->vectors; i++) {
				if (own[i] >= 0)
					close(own[i]);
				own[i] = old[i];
			}
			goto lost;
		}
		for (i = 0; i < hw->vectors; i++) {
			if (old[i] < 0)
				continue;
			fd_slot_set(&old[i], own[i]);	/* dup2 + close */
			own[i] = old[i];
		}
	}
	rte_spinlock_lock(&hw->lock);
	hw->connected = true;
	hw->reconnects++;
	ivshmem2_hw_reinit_locked(hw);
	rte_spinlock_unlock(&hw->lock);
	/* New eventfds under the rx queues' fd numbers: back into the app's epoll. */
	ivshmem2_hw_rxq_intr_rearm(hw);
	if (register_intr(vd) != 0)
		IVSHMEM2_LOG(ERR, "%s: cannot register interrupt callbacks", vd->name);
	IVSHMEM2_LOG(NOTICE, "%s: reconnected to the server as peer %u", vd->name, hw->id);
	ivshmem2_hw_link_check(hw);
	return;
lost:
	close(vd->sock);
	vd->sock = -1;
}

/* ---- interrupt thread callbacks ---- */

static void
vdev_sock_cb(void *arg)
{
	struct ivshmem2_vdev_dev *vd = arg;
	struct pollfd pfd = { .fd = vd->sock, .events = POLLIN };

	/* Drain what is there without blocking the interrupt thread. */
	do {
		if (!ivshmem2_msg_receive(vd)) {
			vdev_lost_server(vd, true);
			return;
		}
	} while (poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN));
	ivshmem2_hw_link_check(&vd->hw);
}

static void
vdev_state_cb(void *arg)
{
	struct ivshmem2_vdev_dev *vd = arg;
	uint64_t cnt;
	int fd = *fd_slot(vd, vd->hw.id, IVSHMEM2_VECTOR_STATE);

	if (fd >= 0 && read(fd, &cnt, sizeof(cnt)) < 0) {
		/* EAGAIN: drained already. */
	}
	ivshmem2_hw_link_check(&vd->hw);
}

static void
vdev_alarm_cb(void *arg)
{
	struct ivshmem2_vdev_dev *vd = arg;

	if (vd->closing)
		return;
	if (vd->sock < 0)
		vdev_try_reconnect(vd);
	else
		ivshmem2_hw_tick(&vd->hw);
	rte_eal_alarm_set(IVSHMEM2_VDEV_POLL_US, vdev_alarm_cb, vd);
}

static void
vdev_close(struct ivshmem2_hw *hw)
{
	struct ivshmem2_vdev_dev *vd = VDEV_DEV(hw);

	vd->closing = true;
	rte_eal_alarm_cancel(vdev_alarm_cb, vd);
	if (vd->sock >= 0) {
		rte_intr_callback_unregister_sync(vd->sock_intr, vdev_sock_cb, vd);
		close(vd->sock);
	}
	rte_intr_callback_unregister_sync(vd->state_intr, vdev_state_cb, vd);
	if (hw->base != NULL && hw->connected)
		__atomic_store_n(&((uint32_t *)hw->base)[hw->id], IVSHMEM2_STATE_RESET,
				 __ATOMIC_SEQ_CST);
	if (hw->extmem_registered)
		rte_extmem_unregister(hw->base, hw->shm.shm_size);
	ivshmem2_shm_unmap(hw);
	ivshmem2_efds_free(hw, vd->fds);
	if (vd->shm_fd >= 0)
		close(vd->shm_fd);
	if (vd->dummy_efd >= 0)
		close(vd->dummy_efd);
	rte_intr_instance_free(vd->sock_intr);
	rte_intr_instance_free(vd->state_intr);
	free(hw->port_of_peer);
	free(vd);
}

/* ---- probe / remove ---- */

static int
ivshmem2_set_socket(const char *key __rte_unused, const char *value, void *extra_args)
{
	struct ivshmem2_vdev_dev *vd = extra_args;

	if (value[0] == '\0' || strlen(value) >= sizeof(vd->path)) {
		IVSHMEM2_LOG(ERR, "invalid %s=%s: a UNIX socket path of 1..%zu bytes",
			     ETH_IVSHMEM2_SOCKET_ARG, value, sizeof(vd->path) - 1);
		return -EINVAL;
	}
	strlcpy(vd->path, value, sizeof(vd->path));
	return 0;
}

static struct ivshmem2_vdev_dev *
vdev_dev_alloc(const char *name)
{
	struct ivshmem2_vdev_dev *vd = calloc(1, sizeof(*vd));

	if (vd == NULL)
		return NULL;
	strlcpy(vd->name, name, sizeof(vd->name));
	vd->sock = -1;
	vd->shm_fd = -1;
	vd->hw.ops = &ivshmem2_vdev_ops;
	vd->hw.numa_node = SOCKET_ID_ANY;
	rte_spinlock_init(&vd->hw.lock);
	vd->dummy_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	vd->sock_intr = rte_intr_instance_alloc(RTE_INTR_INSTANCE_F_PRIVATE);
	vd->state_intr = rte_intr_instance_alloc(RTE_INTR_INSTANCE_F_PRIVATE);
	if (vd->dummy_efd < 0 || vd->sock_intr == NULL || vd->state_intr == NULL ||
	    rte_intr_type_set(vd->sock_intr, RTE_INTR_HANDLE_EXT) != 0 ||
	    rte_intr_type_set(vd->state_intr, RTE_INTR_HANDLE_EXT) != 0) {
		vdev_close(&vd->hw);
		return NULL;
	}
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
	struct rte_kvargs *kvlist = NULL;
	struct ivshmem2_vdev_dev *vd;
	struct ivshmem2_args args;
	int ret;

	if (rte_eal_process_type() != RTE_PROC_PRIMARY)
		return ivshmem2_mp_attach_secondary(vdev);
	vd = vdev_dev_alloc(name);
	if (vd == NULL)
		return -ENOMEM;
	ivshmem2_args_init(&args);
	kvlist = rte_kvargs_parse(rte_vdev_device_args(vdev), valid_arguments);
	if (kvlist == NULL) {
		IVSHMEM2_LOG(ERR, "%s: invalid devargs '%s'; valid keys: socket, peer, mac, "
			     "zero-copy", name, rte_vdev_device_args(vdev));
		ret = -EINVAL;
		goto err;
	}
	ret = rte_kvargs_process(kvlist, ETH_IVSHMEM2_SOCKET_ARG, ivshmem2_set_socket, vd);
	if (ret == 0)
		ret = ivshmem2_args_parse(kvlist, &args);
	if (ret != 0) {
		ret = -EINVAL;
		goto err;
	}
	if (vd->path[0] == '\0') {
		IVSHMEM2_LOG(ERR, "%s: missing %s=<path of the ivshmem2-server socket>", name,
			     ETH_IVSHMEM2_SOCKET_ARG);
		ret = -EINVAL;
		goto err;
	}
	ret = vdev_connect_first(vd);
	if (ret != 0)
		goto err;

	ret = ivshmem2_hw_create_ports(&vd->hw, &vdev->device, vdev_alloc_first, &args);
	rte_kvargs_free(kvlist);
	kvlist = NULL;
	if (ret != 0 && vd->hw.nb_ports == 0)
		goto err;
	rte_eal_alarm_set(IVSHMEM2_VDEV_POLL_US, vdev_alarm_cb, vd);
	ivshmem2_mp_primary_init();
	return ret;
err:
	rte_kvargs_free(kvlist);
	if (vd->hw.nb_ports == 0)
		vdev_close(&vd->hw);
	return ret;
}

static int
ivshmem2_vdev_remove(struct rte_vdev_device *vdev)
{
	return ivshmem2_hw_remove(&vdev->device);
}

static struct rte_vdev_driver ivshmem2_vdev_drv = {
	.probe = ivshmem2_vdev_probe,
	.remove = ivshmem2_vdev_remove,
};

RTE_PMD_REGISTER_VDEV(net_ivshmem2, ivshmem2_vdev_drv);
RTE_PMD_REGISTER_PARAM_STRING(net_ivshmem2,
	ETH_IVSHMEM2_SOCKET_ARG "=<path> "
	ETH_IVSHMEM2_COMMON_PARAMS);

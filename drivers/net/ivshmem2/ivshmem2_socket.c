/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/*
 * ivshmem2-server protocol, client side. Messages are fixed-size
 * little-endian structs (wire.h), at most one fd each (SCM_RIGHTS). A
 * peer's eventfds arrive in vector order, once per connection of that
 * peer; PEER_GONE voids them.
 */

#define _GNU_SOURCE	/* F_GET_SEALS */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_bitops.h>
#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_string_fns.h>

#include <ivshmem2/net.h>
#include <ivshmem2/regs.h>

#include "ivshmem2_logs.h"
#include "ivshmem2_socket.h"

/* A message may take this long to arrive once the socket is readable. */
#define IVSHMEM2_SOCKET_RECV_TIMEOUT_MS	2000
/* Joining (INIT to the last own vector) must be done by then. */
#define IVSHMEM2_SOCKET_JOIN_TIMEOUT_MS	5000
/* Messages handled per ivshmem2_socket_receive() call. */
#define IVSHMEM2_SOCKET_MSGS_PER_CALL	256
/* fds one message may carry before we call it a protocol error; all are closed. */
#define IVSHMEM2_SOCKET_MAX_FDS		8

/* Close every fd of @fds[0..n) except @keep (-1: none). */
static void
close_fds(const int *fds, int n, int keep)
{
	int i;

	for (i = 0; i < n; i++)
		if (fds[i] != keep)
			close(fds[i]);
}

/*
 * Receive one message into @buf (IVSHMEM2_MSG_MAX_LEN bytes), in host byte
 * order. @fd gets the attached descriptor or -1. A message with more than
 * one fd breaks the protocol: every fd it carried is closed and -EBADMSG
 * returned, its bytes consumed (the connection stays usable). Returns the
 * message length, 0 on EOF, or a negative errno.
 */
static int
recv_msg(int sock, uint8_t *buf, int *fd)
{
	union {
		char raw[CMSG_SPACE(IVSHMEM2_SOCKET_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} cbuf;
	struct ivshmem2_msg_header hdr;
	struct iovec iov = { .iov_base = &hdr, .iov_len = sizeof(hdr) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf.raw, .msg_controllen = sizeof(cbuf.raw),
	};
	int fds[IVSHMEM2_SOCKET_MAX_FDS];
	struct cmsghdr *cmsg;
	int nb_fds = 0;
	uint32_t len;
	ssize_t n;

	*fd = -1;
	n = recvmsg(sock, &msg, MSG_WAITALL | MSG_CMSG_CLOEXEC);
	if (n == 0)
		return 0;
	if (n < 0)
		return -errno;
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg != NULL; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
		size_t k, nb;

		if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS ||
		    cmsg->cmsg_len < CMSG_LEN(0))
			continue;
		nb = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (k = 0; k < nb && nb_fds < IVSHMEM2_SOCKET_MAX_FDS; k++)
			memcpy(&fds[nb_fds++], CMSG_DATA(cmsg) + k * sizeof(int), sizeof(int));
	}
	len = rte_le_to_cpu_32(hdr.len);
	if ((msg.msg_flags & MSG_CTRUNC) || (size_t)n != sizeof(hdr) || len < sizeof(hdr) ||
	    len > IVSHMEM2_MSG_MAX_LEN) {
		/* Truncated control data was closed by the kernel; the rest is ours. */
		close_fds(fds, nb_fds, -1);
		return -EPROTO;
	}
	if (nb_fds == 1)
		*fd = fds[0];
	hdr.type = rte_le_to_cpu_32(hdr.type);
	hdr.len = len;
	memcpy(buf, &hdr, sizeof(hdr));
	if (len > sizeof(hdr)) {
		n = recv(sock, buf + sizeof(hdr), len - sizeof(hdr), MSG_WAITALL);
		if (n != (ssize_t)(len - sizeof(hdr))) {
			close_fds(fds, nb_fds, -1);
			*fd = -1;
			return n == 0 ? 0 : -EPROTO;
		}
	}
	if (nb_fds > 1) {
		close_fds(fds, nb_fds, -1);
		*fd = -1;
		return -EBADMSG;
	}
	return (int)len;
}

static bool
fd_is_eventfd(int fd)
{
	char path[32], target[32];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return true;	/* no /proc: cannot tell, the write simply fails later */
	target[n] = '\0';
	return strcmp(target, "anon_inode:[eventfd]") == 0;
}

/*
 * A slot's fd number never changes once assigned (the relay may be writing
 * it, rx interrupt handles and epoll sets hold it): ivshmem2_efds_set()
 * dup2()s a new eventfd over it, ivshmem2_efds_park() the dummy eventfd.
 */

static void
bad_message(struct ivshmem2_socket *s)
{
	s->bad_messages++;
}

/* EVENT_FD: the next vector of a peer, an eventfd, in order. Takes @fd. */
static void
ivshmem2_msg_receive_event_fd(struct ivshmem2_socket *s, const uint8_t *buf, int len, int fd)
{
	struct ivshmem2_msg_event_fd m;
	const struct ivshmem2_efds *t = &s->efds;

	if (len < (int)sizeof(m) || fd < 0) {
		IVSHMEM2_LOG(ERR, "%s: EVENT_FD message without %s", s->name,
			     fd < 0 ? "an fd" : "its fields");
		goto bad;
	}
	memcpy(&m, buf, sizeof(m));
	m.id = rte_le_to_cpu_32(m.id);
	m.vector = rte_le_to_cpu_32(m.vector);
	if (m.id >= t->nb_peers || m.vector >= t->nb_vectors) {
		IVSHMEM2_LOG(ERR, "%s: EVENT_FD for peer %u vector %u outside the group "
			     "(%u peers, %u vectors)", s->name, m.id, m.vector, t->nb_peers,
			     t->nb_vectors);
		goto bad;
	}
	if (m.vector != s->nb_known[m.id]) {
		/* Also what stops a replacement of known vectors (own ones included). */
		IVSHMEM2_LOG(ERR, "%s: EVENT_FD for peer %u vector %u out of order (expected "
			     "vector %u)", s->name, m.id, m.vector, s->nb_known[m.id]);
		goto bad;
	}
	if (!fd_is_eventfd(fd)) {
		IVSHMEM2_LOG(ERR, "%s: fd for peer %u vector %u is not an eventfd", s->name,
			     m.id, m.vector);
		goto bad;
	}
	/* Ringing a peer must never block a data-path lcore. */
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
		IVSHMEM2_LOG(ERR, "%s: eventfd of peer %u vector %u: %s", s->name, m.id,
			     m.vector, strerror(errno));
		goto bad;
	}
	if (ivshmem2_efds_set(&s->efds, m.id, m.vector, fd) != 0)
		IVSHMEM2_LOG(ERR, "%s: cannot install the eventfd of peer %u vector %u", s->name,
			     m.id, m.vector);
	s->nb_known[m.id]++;
	return;
bad:
	bad_message(s);
	if (fd >= 0)
		close(fd);
}

/* PEER_GONE: a peer's eventfds are void; it may come back with new ones. */
static void
ivshmem2_msg_receive_peer_gone(struct ivshmem2_socket *s, const uint8_t *buf, int len)
{
	struct ivshmem2_msg_peer_gone m;
	uint32_t v;

	if (len < (int)sizeof(m)) {
		IVSHMEM2_LOG(ERR, "%s: PEER_GONE message too short", s->name);
		bad_message(s);
		return;
	}
	memcpy(&m, buf, sizeof(m));
	m.id = rte_le_to_cpu_32(m.id);
	if (m.id >= s->efds.nb_peers || m.id == s->id) {
		IVSHMEM2_LOG(ERR, "%s: PEER_GONE for %s peer %u", s->name,
			     m.id == s->id ? "our own ID," : "invalid", m.id);
		bad_message(s);
		return;
	}
	IVSHMEM2_LOG(INFO, "%s: peer %u left", s->name, m.id);
	for (v = 0; v < s->efds.nb_vectors; v++)
		ivshmem2_efds_park(&s->efds, m.id, v, s->dummy_efd);
	s->nb_known[m.id] = 0;
	if (s->peer_gone != NULL)
		s->peer_gone(s->arg, m.id);
}

/* Handle one message after INIT. Returns false when the connection is unusable. */
static bool
receive_one(struct ivshmem2_socket *s)
{
	uint8_t buf[IVSHMEM2_MSG_MAX_LEN];
	struct ivshmem2_msg_header hdr;
	int fd, len;

	len = recv_msg(s->fd, buf, &fd);
	if (len == -EBADMSG) {
		IVSHMEM2_LOG(ERR, "%s: message with more than one fd: dropped", s->name);
		bad_message(s);
		return true;
	}
	if (len <= 0) {
		IVSHMEM2_LOG(WARNING, "%s: server connection %s", s->name,
			     len == 0 ? "closed" : strerror(-len));
		return false;
	}
	memcpy(&hdr, buf, sizeof(hdr));
	switch (hdr.type) {
	case IVSHMEM2_MSG_EVENT_FD:
		ivshmem2_msg_receive_event_fd(s, buf, len, fd);
		return true;
	case IVSHMEM2_MSG_PEER_GONE:
		ivshmem2_msg_receive_peer_gone(s, buf, len);
		break;
	default:
		IVSHMEM2_LOG(ERR, "%s: unexpected message type %u", s->name, hdr.type);
		bad_message(s);
		break;
	}
	if (fd >= 0)
		close(fd);
	return true;
}

bool
ivshmem2_socket_receive(struct ivshmem2_socket *s)
{
	struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
	int n = 0;

	/* What is there now, without blocking, and not forever. */
	do {
		if (!receive_one(s))
			return false;
	} while (++n < IVSHMEM2_SOCKET_MSGS_PER_CALL && poll(&pfd, 1, 0) == 1 &&
		 (pfd.revents & POLLIN));
	return true;
}

int
ivshmem2_socket_join(struct ivshmem2_socket *s)
{
	uint64_t deadline = rte_get_timer_cycles() +
			    rte_get_timer_hz() / 1000 * IVSHMEM2_SOCKET_JOIN_TIMEOUT_MS;

	while (s->nb_known[s->id] < s->efds.nb_vectors) {
		if (rte_get_timer_cycles() > deadline) {
			IVSHMEM2_LOG(ERR, "%s: server did not send our %u eventfds within %u ms",
				     s->name, s->efds.nb_vectors, IVSHMEM2_SOCKET_JOIN_TIMEOUT_MS);
			return -ETIMEDOUT;
		}
		if (!receive_one(s))
			return -ECONNRESET;
	}
	return 0;
}

/* A memfd (which can be sealed) rather than POSIX shm or a file on hugetlbfs. */
static bool
fd_is_memfd(int fd)
{
	char path[32], target[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	return strncmp(target, "/memfd:", strlen("/memfd:")) == 0;
}

/*
 * Every peer holds the group's memory read-write: unless its size is sealed,
 * any of them can shrink it and every other peer dies of SIGBUS. An
 * unsealed memfd is refused (the QEMU device does the same); memory that
 * cannot be sealed (POSIX shm, a file on hugetlbfs) is taken with a warning.
 */
static bool
memory_sealed(struct ivshmem2_socket *s, int fd)
{
	const int need = F_SEAL_SHRINK | F_SEAL_GROW;
	int seals = fcntl(fd, F_GET_SEALS);

	if (seals >= 0 && (seals & need) == need)
		return true;
	if (fd_is_memfd(fd)) {
		IVSHMEM2_LOG(ERR, "%s: the group's memfd is not sealed against resizing "
			     "(seals 0x%x, need 0x%x)", s->name, (unsigned int)seals, need);
		return false;
	}
	IVSHMEM2_LOG(WARNING, "%s: the group's memory cannot be sealed: any peer could shrink "
		     "it under us; prefer the server's default memfd or its hugetlbfs memfd",
		     s->name);
	return true;
}

/* Check INIT and the memory it came with. Takes ownership of @fd. */
static int
init_accept(struct ivshmem2_socket *s, const uint8_t *buf, int len, int fd,
	    struct ivshmem2_socket_init *in)
{
	enum ivshmem2_msg_init_error err;
	struct ivshmem2_msg_init *m = &in->msg;
	struct stat st;

	memset(in, 0, sizeof(*in));
	in->shm_fd = -1;
	memcpy(m, buf, RTE_MIN((size_t)len, sizeof(*m)));
	m->version = rte_le_to_cpu_32(m->version);
	m->compatible_version = rte_le_to_cpu_32(m->compatible_version);
	m->id = rte_le_to_cpu_32(m->id);
	m->max_peers = rte_le_to_cpu_32(m->max_peers);
	m->vectors = rte_le_to_cpu_32(m->vectors);
	m->protocol = rte_le_to_cpu_32(m->protocol);
	m->output_section_size = rte_le_to_cpu_64(m->output_section_size);
	err = ivshmem2_msg_init_check(m, (size_t)len, IVSHMEM2_SERVER_MAX_VECTORS);
	if (err != IVSHMEM2_MSG_INIT_OK) {
		IVSHMEM2_LOG(ERR, "%s: bad INIT from the server: %s (version %u, compatible %u, "
			     "id %u, max_peers %u, vectors %u)", s->name,
			     ivshmem2_msg_init_strerror(err), m->version, m->compatible_version,
			     m->id, m->max_peers, m->vectors);
		goto err;
	}
	if (fd < 0) {
		IVSHMEM2_LOG(ERR, "%s: INIT came without the shared-memory fd", s->name);
		goto err;
	}
	if (m->protocol != IVSHMEM2_NET_PROTOCOL) {
		IVSHMEM2_LOG(ERR, "%s: group protocol is 0x%04x, net_ivshmem2 needs 0x%04x "
			     "(start the server with -P 0x%04x)", s->name, m->protocol,
			     IVSHMEM2_NET_PROTOCOL, IVSHMEM2_NET_PROTOCOL);
		goto err;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		IVSHMEM2_LOG(ERR, "%s: the fd of INIT is not a memory file", s->name);
		goto err;
	}
	if (st.st_size <= 0 || (uint64_t)st.st_size > IVSHMEM2_MAX_SHM_SIZE) {
		IVSHMEM2_LOG(ERR, "%s: shared memory of %jd bytes (must be 1 to %llu)", s->name,
			     (intmax_t)st.st_size, IVSHMEM2_MAX_SHM_SIZE);
		goto err;
	}
	if (!memory_sealed(s, fd))
		goto err;
	in->shm_fd = fd;
	in->shm_size = (uint64_t)st.st_size;
	in->page_size = (size_t)sysconf(_SC_PAGESIZE);
	if (st.st_blksize > 0 && rte_is_power_of_2(st.st_blksize) &&
	    (size_t)st.st_blksize > in->page_size)
		in->page_size = (size_t)st.st_blksize;	/* hugetlbfs */
	return 0;
err:
	if (fd >= 0)
		close(fd);
	return -EPROTO;
}

int
ivshmem2_socket_connect(struct ivshmem2_socket *s, bool quiet, struct ivshmem2_socket_init *in)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = {
		.tv_sec = IVSHMEM2_SOCKET_RECV_TIMEOUT_MS / 1000,
		.tv_usec = (IVSHMEM2_SOCKET_RECV_TIMEOUT_MS % 1000) * 1000,
	};
	uint8_t buf[IVSHMEM2_MSG_MAX_LEN];
	int sock, len, fd, err;

	sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return -errno;
	strlcpy(sun.sun_path, s->path, sizeof(sun.sun_path));
	if (connect(sock, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		err = errno;
		if (!quiet)
			IVSHMEM2_LOG(ERR, "%s: cannot connect to ivshmem2-server at %s: %s",
				     s->name, s->path, strerror(err));
		close(sock);
		return -err;
	}
	setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	len = recv_msg(sock, buf, &fd);
	if (len <= 0) {
		if (len == 0)
			IVSHMEM2_LOG(ERR, "%s: server closed the connection before INIT "
				     "(group full?)", s->name);
		else
			IVSHMEM2_LOG(ERR, "%s: no INIT from the server: %s", s->name,
				     strerror(-len));
		close(sock);
		return len == 0 ? -ECONNRESET : len;
	}
	err = init_accept(s, buf, len, fd, in);
	if (err != 0) {
		close(sock);
		return err;
	}
	return sock;
}

int
ivshmem2_socket_adopt(struct ivshmem2_socket *s, int sock, const struct ivshmem2_socket_init *in)
{
	struct ivshmem2_efds *t = &s->efds;
	uint32_t i, v;

	if (t->fd == NULL) {
		s->nb_known = calloc(in->msg.max_peers, sizeof(*s->nb_known));
		if (s->nb_known == NULL ||
		    ivshmem2_efds_init(t, in->msg.max_peers, in->msg.vectors) != 0)
			return -ENOMEM;
	} else {
		/* The old group's eventfds are void. */
		for (i = 0; i < t->nb_peers; i++) {
			for (v = 0; v < t->nb_vectors; v++)
				ivshmem2_efds_park(t, i, v, s->dummy_efd);
			s->nb_known[i] = 0;
		}
		/* Our vectors keep their fd numbers under the new ID: swap the two rows. */
		for (v = 0; in->msg.id != s->id && v < t->nb_vectors; v++) {
			int *mine = ivshmem2_efds_slot(t, s->id, v);
			int *theirs = ivshmem2_efds_slot(t, in->msg.id, v);
			int fd = *mine;

			*mine = *theirs;
			*theirs = fd;
		}
	}
	s->id = in->msg.id;
	s->fd = sock;
	return 0;
}

void
ivshmem2_socket_disconnect(struct ivshmem2_socket *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

int
ivshmem2_socket_init(struct ivshmem2_socket *s, const char *path, const char *name)
{
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	strlcpy(s->path, path, sizeof(s->path));
	strlcpy(s->name, name, sizeof(s->name));
	s->dummy_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	return s->dummy_efd < 0 ? -errno : 0;
}

void
ivshmem2_socket_fini(struct ivshmem2_socket *s)
{
	ivshmem2_socket_disconnect(s);
	ivshmem2_efds_fini(&s->efds);
	free(s->nb_known);
	s->nb_known = NULL;
	if (s->dummy_efd >= 0)
		close(s->dummy_efd);
	s->dummy_efd = -1;
}

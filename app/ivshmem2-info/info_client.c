/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/*
 * The info socket client: one SOCK_SEQPACKET connection, one INFO message
 * with a read-only fd of the memory, nothing sent. A peer socket (stream)
 * refuses the connection with EPROTOTYPE before any accept, so pointing
 * this tool at the wrong socket never makes it a peer.
 */

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "info.h"

static int
connect_info(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "%s: path longer than %zu bytes", path,
			 sizeof(sun.sun_path) - 1);
		return -1;
	}
	if (stat(path, &st) < 0) {
		snprintf(err, errlen, "%s: %s (is ivshmem2-server running with -I %s?)", path,
			 strerror(errno), path);
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s: not a socket", path);
		return -1;
	}
	strncpy(sun.sun_path, path, sizeof(sun.sun_path) - 1);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
		return fd;
	switch (errno) {
	case EPROTOTYPE:
		snprintf(err, errlen, "%s: not an ivshmem2 info socket (a stream socket, e.g. "
			 "the server's peer socket -S): start ivshmem2-server with -I PATH and "
			 "give that PATH", path);
		break;
	case ECONNREFUSED:
		snprintf(err, errlen, "%s: nobody listens there (server stopped? stale socket)",
			 path);
		break;
	default:
		snprintf(err, errlen, "%s: cannot connect: %s", path, strerror(errno));
		break;
	}
	close(fd);
	return -1;
}

/* Receive the INFO datagram into @buf; returns its length and the fd (or -1) in @memfd. */
static ssize_t
receive_info(int sock, const char *path, uint8_t *buf, size_t size, int *memfd,
	     char *err, size_t errlen)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(4 * sizeof(int))];
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = size };
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctl.buf,
		.msg_controllen = sizeof(ctl.buf),
	};
	struct pollfd pfd = { .fd = sock, .events = POLLIN };
	struct cmsghdr *c;
	ssize_t n;
	int ret;

	*memfd = -1;
	do {
		ret = poll(&pfd, 1, INFO_TIMEOUT_MS);
	} while (ret < 0 && errno == EINTR);
	if (ret == 0) {
		snprintf(err, errlen, "%s: no answer within %u ms: not an ivshmem2 info socket?",
			 path, INFO_TIMEOUT_MS);
		return -1;
	}
	do {
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
		size_t i, nfd;
		int fd;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < nfd; i++) {
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
			if (*memfd < 0)
				*memfd = fd;
			else
				close(fd);
		}
	}
	if (n == 0) {
		snprintf(err, errlen, "%s: the server closed the connection without an answer",
			 path);
		goto fail;
	}
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		snprintf(err, errlen, "%s: answer longer than any INFO message: not an ivshmem2 "
			 "info socket?", path);
		goto fail;
	}
	return n;

fail:
	if (*memfd >= 0)
		close(*memfd);
	*memfd = -1;
	return -1;
}

static int
parse_info(const uint8_t *buf, size_t len, const char *path, struct info_server *srv,
	   char *err, size_t errlen)
{
	struct ivshmem2_msg_info m;
	enum ivshmem2_msg_info_error e;
	bool seen[IVSHMEM2_STATE_TABLE_MAX_PEERS] = { false };
	const uint8_t *ids;
	uint32_t i;

	memset(&m, 0, sizeof(m));
	memcpy(&m, buf, len < sizeof(m) ? len : sizeof(m));
	m.header.type = le32toh(m.header.type);
	m.header.len = le32toh(m.header.len);
	m.version = le32toh(m.version);
	m.compatible_version = le32toh(m.compatible_version);
	m.max_peers = le32toh(m.max_peers);
	m.vectors = le32toh(m.vectors);
	m.protocol = le32toh(m.protocol);
	m.backend = le32toh(m.backend);
	m.shm_size = le64toh(m.shm_size);
	m.output_section_size = le64toh(m.output_section_size);
	m.page_size = le64toh(m.page_size);
	m.num_peers = le32toh(m.num_peers);
	m.numa_node = le32toh(m.numa_node);
	e = ivshmem2_msg_info_check(&m, len);
	if (e != IVSHMEM2_MSG_INFO_OK) {
		snprintf(err, errlen, "%s: bad INFO from the server: %s (type %" PRIu32 ", %zu "
			 "bytes, version %" PRIu32 ", compatible %" PRIu32 ")", path,
			 ivshmem2_msg_info_strerror(e), m.header.type, len, m.version,
			 m.compatible_version);
		return -1;
	}
	srv->socket_path = path;
	srv->version = m.version;
	srv->compatible_version = m.compatible_version;
	srv->max_peers = m.max_peers;
	srv->vectors = m.vectors;
	srv->protocol = m.protocol;
	srv->backend = m.backend;
	srv->shm_size = m.shm_size;
	srv->output_section_size = m.output_section_size;
	srv->page_size = m.page_size;
	srv->numa_node = m.numa_node;
	srv->num_peers = m.num_peers;
	/* The IDs fill the end of the message. */
	ids = buf + len - (size_t)m.num_peers * sizeof(uint32_t);
	for (i = 0; i < m.num_peers; i++) {
		uint32_t id;

		memcpy(&id, ids + i * sizeof(id), sizeof(id));
		id = le32toh(id);
		if (id >= m.max_peers || seen[id]) {
			snprintf(err, errlen, "%s: bad INFO from the server: peer ID %" PRIu32
				 " %s", path, id, id >= m.max_peers ? "not below max_peers" :
				 "listed twice");
			return -1;
		}
		seen[id] = true;
		srv->peer_ids[i] = id;
	}
	return 0;
}

int
info_query(const char *path, struct info_server *srv, char *err, size_t errlen)
{
	uint8_t buf[IVSHMEM2_MSG_INFO_MAX_LEN];
	struct ucred cred;
	socklen_t credlen = sizeof(cred);
	ssize_t len;
	int sock, memfd;

	memset(srv, 0, sizeof(*srv));
	sock = connect_info(path, err, errlen);
	if (sock < 0)
		return -1;
	if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &credlen) == 0)
		srv->pid = cred.pid;
	len = receive_info(sock, path, buf, sizeof(buf), &memfd, err, errlen);
	close(sock);
	if (len < 0)
		return -1;
	if (parse_info(buf, (size_t)len, path, srv, err, errlen) < 0) {
		if (memfd >= 0)
			close(memfd);
		return -1;
	}
	if (memfd < 0) {
		snprintf(err, errlen, "%s: INFO message without the memory fd", path);
		return -1;
	}
	return memfd;
}

int
info_map(struct info_group *g, int fd, char *err, size_t errlen)
{
	const struct info_server *srv = &g->srv;
	enum ivshmem2_layout_error e;
	struct stat st;
	void *p;

	g->base = NULL;
	g->mapped = 0;
	e = ivshmem2_layout_compute(&g->layout, srv->shm_size, srv->max_peers,
				    srv->output_section_size, srv->page_size);
	if (e != IVSHMEM2_LAYOUT_OK) {
		snprintf(err, errlen, "%s: the server announced an impossible layout: %s (size %"
			 PRIu64 ", output sections %" PRIu64 ", %" PRIu32 " peers, page %" PRIu64
			 ")", srv->socket_path, ivshmem2_layout_strerror(e), srv->shm_size,
			 srv->output_section_size, srv->max_peers, srv->page_size);
		goto fail;
	}
	if (fstat(fd, &st) < 0) {
		snprintf(err, errlen, "%s: memory fd: %s", srv->socket_path, strerror(errno));
		goto fail;
	}
	if (st.st_size < 0 || (uint64_t)st.st_size < srv->shm_size) {
		snprintf(err, errlen, "%s: the memory has %jd bytes, fewer than the %" PRIu64
			 " of the layout", srv->socket_path, (intmax_t)st.st_size, srv->shm_size);
		goto fail;
	}
	if (srv->shm_size > SIZE_MAX) {
		snprintf(err, errlen, "%s: memory of %" PRIu64 " bytes cannot be mapped here",
			 srv->socket_path, srv->shm_size);
		goto fail;
	}
	p = mmap(NULL, (size_t)srv->shm_size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		snprintf(err, errlen, "%s: cannot map the memory read-only: %s",
			 srv->socket_path, strerror(errno));
		goto fail;
	}
	close(fd);
	g->base = p;
	g->mapped = srv->shm_size;
	return 0;

fail:
	close(fd);
	return -1;
}

void
info_unmap(struct info_group *g)
{
	if (g->base != NULL)
		munmap((void *)(uintptr_t)g->base, (size_t)g->mapped);
	g->base = NULL;
	g->mapped = 0;
}

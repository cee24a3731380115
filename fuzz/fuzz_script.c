/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/* The fake server of fuzz_script.h: decoding, and serving on a thread. */

#define _GNU_SOURCE	/* memfd_create, pipe2, accept4 */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <ivshmem2/net.h>
#include <ivshmem2/wire.h>

#include "fuzz_script.h"

/* Memory sizes an INIT may come with (index: the record's mem byte, mod 8). */
static const uint64_t mem_sizes[8] = {
	64 << 10, 256 << 10, 1 << 20, 4 << 20, 0, (64 << 10) + 100, 2 << 20, 8 << 10,
};

/* Output-section sizes (index: the out byte, mod 8); 0 = what the memory allows. */
static const uint64_t out_sizes[8] = {
	0, 4096, 64 << 10, 1 << 20, 3 * 4096, 1000, UINT64_MAX, 1ull << 40,
};

#define INIT_F_OLD_VERSION	0x01
#define INIT_F_NEW_ONLY		0x02
#define INIT_F_OTHER_PROTOCOL	0x04
#define INIT_F_NO_FD		0x08
#define INIT_F_EVENTFD		0x10
#define INIT_F_LONGER		0x20
#define INIT_F_BAD_LEN		0x40
#define INIT_F_NO_COMPAT	0x80

struct reader {
	const uint8_t *p;
	size_t left;
};

static uint8_t
rd8(struct reader *r)
{
	if (r->left == 0)
		return 0;
	r->left--;
	return *r->p++;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static struct script_send *
new_send(struct script *s)
{
	struct script_send *m;

	if (s->nb_pool == SCRIPT_MAX_SENDS)
		return NULL;
	m = &s->pool[s->nb_pool++];
	memset(m, 0, sizeof(*m));
	s->conn[s->nb_conn - 1].nb_sends++;
	return m;
}

static void
add_init(struct script *s, uint8_t id, uint8_t peers, uint8_t vectors, uint8_t mem,
	 uint8_t out, uint8_t flags)
{
	struct script_send *m = new_send(s);
	uint64_t shm = mem_sizes[mem % 8], osz = out_sizes[out % 8];

	if (m == NULL)
		return;
	if (osz == 0)		/* all the memory allows, in pages */
		osz = peers > 0 && shm > IVSHMEM2_STATE_TABLE_SIZE ?
		      (shm - IVSHMEM2_STATE_TABLE_SIZE) / peers / 4096 * 4096 : 0;
	else if (osz == UINT64_MAX)
		osz = shm;
	m->len = sizeof(struct ivshmem2_msg_init) + (flags & INIT_F_LONGER ? 8 : 0);
	put32(m->bytes, IVSHMEM2_MSG_INIT);
	put32(m->bytes + 4, m->len + (flags & INIT_F_BAD_LEN ? 1 : 0));
	put32(m->bytes + 8, flags & INIT_F_OLD_VERSION ? 1 : IVSHMEM2_PROTOCOL_VERSION);
	put32(m->bytes + 12, flags & INIT_F_NO_COMPAT ? 0 :
			     flags & INIT_F_NEW_ONLY ? 3 : IVSHMEM2_PROTOCOL_VERSION);
	put32(m->bytes + 16, id);
	put32(m->bytes + 20, peers);
	put32(m->bytes + 24, vectors);
	put32(m->bytes + 28, flags & INIT_F_OTHER_PROTOCOL ? 0 : IVSHMEM2_NET_PROTOCOL);
	put64(m->bytes + 32, osz);
	if (!(flags & INIT_F_NO_FD)) {
		m->nb_fds = 1;
		m->fd_type[0] = flags & INIT_F_EVENTFD ? SCRIPT_FD_EVENTFD : SCRIPT_FD_SHM;
		m->shm_size = shm;
	}
}

static void
add_event_fd(struct script *s, uint32_t id, uint32_t vector, uint8_t fd_type)
{
	struct script_send *m = new_send(s);

	if (m == NULL)
		return;
	m->len = sizeof(struct ivshmem2_msg_event_fd);
	put32(m->bytes, IVSHMEM2_MSG_EVENT_FD);
	put32(m->bytes + 4, m->len);
	put32(m->bytes + 8, id);
	put32(m->bytes + 12, vector);
	m->nb_fds = 1;
	m->fd_type[0] = fd_type;
}

void
script_parse(struct script *s, const uint8_t *data, size_t size)
{
	struct reader r = { data, size };

	s->nb_conn = 1;
	s->nb_pool = 0;
	s->conn[0].sends = s->pool;
	s->conn[0].nb_sends = 0;
	while (r.left > 0 && s->nb_pool < SCRIPT_MAX_SENDS) {
		uint8_t op = rd8(&r), a, b, c, d, e, f;
		struct script_send *m;
		unsigned int i, v;

		switch (op % 8) {
		case 0:		/* RAW */
			a = rd8(&r);
			b = rd8(&r);
			m = new_send(s);
			if (m == NULL)
				break;
			m->nb_fds = a & 3;
			for (i = 0; i < m->nb_fds; i++)
				m->fd_type[i] = (a >> (2 + 2 * i)) & 3;
			for (i = 0; i < b; i++)
				m->bytes[i] = rd8(&r);
			m->len = b;
			break;
		case 1:		/* INIT */
			a = rd8(&r);
			b = rd8(&r);
			c = rd8(&r);
			d = rd8(&r);
			e = rd8(&r);
			f = rd8(&r);
			add_init(s, a, b, c, d, e, f);
			break;
		case 2:		/* EVENT_FD */
			a = rd8(&r);
			b = rd8(&r);
			add_event_fd(s, a, b, rd8(&r) & 3);
			break;
		case 3:		/* PEER_GONE */
			m = new_send(s);
			if (m == NULL)
				break;
			m->len = sizeof(struct ivshmem2_msg_peer_gone);
			put32(m->bytes, IVSHMEM2_MSG_PEER_GONE);
			put32(m->bytes + 4, m->len);
			put32(m->bytes + 8, rd8(&r));
			break;
		case 4:		/* SETUP */
			a = rd8(&r);
			b = rd8(&r);
			c = rd8(&r);
			d = rd8(&r);
			e = rd8(&r);
			add_init(s, a, b, c, d, 0, 0);
			for (i = 0; i < 8; i++)
				for (v = 0; (e >> i & 1) && i != a && v < c; v++)
					add_event_fd(s, i, v, SCRIPT_FD_EVENTFD);
			for (v = 0; v < c; v++)
				add_event_fd(s, a, v, SCRIPT_FD_EVENTFD);
			break;
		case 5:		/* NEXT */
			if (s->nb_conn < SCRIPT_MAX_CONN) {
				s->conn[s->nb_conn].sends = s->pool + s->nb_pool;
				s->conn[s->nb_conn].nb_sends = 0;
				s->nb_conn++;
			}
			break;
		case 6:		/* PAUSE: the device fuzzer's */
			rd8(&r);
			break;
		case 7:		/* HOLD: the device fuzzer's */
			break;
		}
	}
}

/* A memfd of @size bytes, sealed against resizing as the server's memory is. */
static int
make_memfd(uint64_t size, bool sealed, bool read_only)
{
	int fd = memfd_create("fuzz-shm", MFD_CLOEXEC | MFD_ALLOW_SEALING), ro;
	char path[64];

	if (fd < 0 || ftruncate(fd, (off_t)size) != 0 ||
	    (sealed && fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) != 0)) {
		perror("fuzz: memfd");
		abort();
	}
	if (!read_only)
		return fd;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ro = open(path, O_RDONLY | O_CLOEXEC);
	close(fd);
	return ro;
}

static int
make_fd(uint8_t type, uint64_t shm_size)
{
	int p[2];

	switch (type) {
	case SCRIPT_FD_EVENTFD:
		return eventfd(0, EFD_CLOEXEC);
	case SCRIPT_FD_MEMFD:
		return make_memfd(64 << 10, false, false);
	case SCRIPT_FD_PIPE:
		if (pipe2(p, O_CLOEXEC) != 0)
			return -1;
		close(p[1]);
		return p[0];
	case SCRIPT_FD_MEMFD_RO:
		return make_memfd(64 << 10, true, true);
	default:
		return make_memfd(shm_size, true, false);
	}
}

/* One sendmsg with the send's fds; they are closed here (the client has copies). */
static void
send_one(int sock, const struct script_send *m)
{
	union {
		char buf[CMSG_SPACE(SCRIPT_MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	uint8_t zero = 0;
	struct iovec iov = {
		.iov_base = m->len > 0 ? (void *)(uintptr_t)m->bytes : &zero,
		.iov_len = m->len > 0 ? m->len : 1,
	};
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	int fds[SCRIPT_MAX_FDS];
	unsigned int i;

	if (m->len == 0 && m->nb_fds == 0)
		return;
	for (i = 0; i < m->nb_fds; i++) {
		fds[i] = make_fd(m->fd_type[i], m->shm_size);
		if (fds[i] < 0) {
			perror("fuzz: fd for the script");
			abort();
		}
	}
	if (m->nb_fds > 0) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(m->nb_fds * sizeof(int));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(m->nb_fds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, m->nb_fds * sizeof(int));
	}
	/* The client may have hung up already (EPIPE): that is its right. */
	if (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 && errno != EPIPE && errno != ECONNRESET) {
		perror("fuzz: sendmsg");
		abort();
	}
	for (i = 0; i < m->nb_fds; i++)
		close(fds[i]);
}

static void *
serve(void *arg)
{
	struct script_server *srv = arg;
	const struct script *s = srv->script;
	unsigned int c, i;

	for (c = 0; c < s->nb_conn; c++) {
		struct pollfd pfd[2] = {
			{ .fd = srv->listen_fd, .events = POLLIN },
			{ .fd = srv->stop_fd, .events = POLLIN },
		};
		int sock;

		if (poll(pfd, 2, -1) < 0 || (pfd[1].revents & POLLIN))
			break;
		sock = accept4(srv->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (sock < 0)
			continue;
		for (i = 0; i < s->conn[c].nb_sends; i++)
			send_one(sock, &s->conn[c].sends[i]);
		close(sock);
		srv->served++;
	}
	return NULL;
}

void
script_server_init(struct script_server *srv, const char *dir)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	memset(srv, 0, sizeof(*srv));
	snprintf(srv->path, sizeof(srv->path), "%s/srv.sock", dir);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", srv->path);
	srv->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (srv->listen_fd < 0 || bind(srv->listen_fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
	    listen(srv->listen_fd, 8) != 0) {
		perror("fuzz: fake server socket");
		abort();
	}
	srv->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (srv->stop_fd < 0)
		abort();
}

void
script_server_start(struct script_server *srv, const struct script *s)
{
	uint64_t cnt;

	/* A stop left over from the previous input is consumed first. */
	if (read(srv->stop_fd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN) {
		/* nothing was pending */
	}
	srv->script = s;
	srv->served = 0;
	if (pthread_create(&srv->thread, NULL, serve, srv) != 0)
		abort();
}

void
script_server_stop(struct script_server *srv)
{
	uint64_t one = 1;
	struct pollfd pfd = { .fd = srv->listen_fd, .events = POLLIN };

	if (write(srv->stop_fd, &one, sizeof(one)) != sizeof(one))
		abort();
	pthread_join(srv->thread, NULL);
	/* Drop connections the thread did not take (none unless a client gave up). */
	while (poll(&pfd, 1, 0) == 1) {
		int sock = accept4(srv->listen_fd, NULL, NULL, SOCK_CLOEXEC);

		if (sock < 0)
			break;
		close(sock);
	}
}

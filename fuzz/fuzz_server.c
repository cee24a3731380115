/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/*
 * ivshmem2-server's handling of client connections (server/ library: the
 * epoll loop of ivshmem2-server.c on a thread, as server/README.md allows)
 * against clients driven by the fuzzer: they connect, read or do not read,
 * send junk (a peer never sends: any readability is a disconnect), shut
 * down, close, in bursts, with a small or the default queue limit.
 *
 * Input: group parameters (peers, vectors, queue limit, protocol), then
 * one operation per byte pair (fuzz/README.md lists them).
 *
 * Checked:
 *  - every client sees the wire protocol of include/ivshmem2/wire.h: INIT
 *    first with the memory fd and the group's parameters, then EVENT_FDs
 *    (one eventfd each, in vector order per peer, own vectors once, before
 *    any news), PEER_GONE only for a peer it was told about, never about
 *    itself, nothing else, no partial message;
 *  - IDs: a new peer's ID is not held by a peer still connected, and it is
 *    told about every peer still connected (a peer the server dropped in
 *    between, e.g. for falling behind, must then see end-of-file);
 *  - a client that sent data or shut down is disconnected, within seconds;
 *  - an emptied group hands out ID 0 again, with no other peer announced;
 *  - with the loop stopped: peer list, ID table, counts and message queues
 *    agree; afterwards no fd is left open (/proc/self/fd).
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include "fuzz_common.h"
#include "ivshmem2-server.h"
#include "ivshmem2/wire.h"
#include "log.h"
#include "options.h"
#include "shm.h"

#define MAX_CLIENTS	8
#define MAX_PEERS	5
#define TIMEOUT_MS	5000
#define MAX_OPS		200
#define DIM(a)		(sizeof(a) / sizeof((a)[0]))

struct client {
	int sock;		/* -1: slot free */
	int id;			/* from INIT, -1 before */
	bool doomed;		/* sent data or shut down: the server drops it */
	bool eof;		/* the server closed the connection */
	bool own_done;		/* all own vectors received */
	uint32_t known[MAX_PEERS];	/* vectors received per peer */
};

/*
 * The server's message struct is private to ivshmem2-server.c; its first
 * member links the queue, and that is all check_server() walks.
 */
struct Ivshmem2Msg {
	TAILQ_ENTRY(Ivshmem2Msg) next;
};

static const uint32_t vector_counts[] = { 1, 2, 3, 8, 64 };
static const uint32_t queue_limits[] = { 0, 1, 2, 4, 16 };
static const uint32_t protocols[] = { 0, 0x4932, 0x8001 };

static Ivshmem2Shm shm;
static Ivshmem2ServerArgs args;
static struct ivshmem2_layout layout;
static Ivshmem2Server srv;
static struct client clients[MAX_CLIENTS];
static uint64_t connects;	/* connections made this run */
static char dir[] = "/tmp/fuzz-server-XXXXXX";
static char path[108];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[IVSHMEM2_ERR_LEN];

	(void)argc;
	(void)argv;
	ivshmem2_log_set_level(getenv("FUZZ_VERBOSE") ? IVSHMEM2_LOG_DEBUG : IVSHMEM2_LOG_ERROR);
	ivshmem2_options_init(&args);
	if (mkdtemp(dir) == NULL) {
		perror("fuzz_server: mkdtemp");
		abort();
	}
	snprintf(path, sizeof(path), "%s/srv.sock", dir);
	args.socket_path = path;
	args.id_quarantine = 0;	/* an empty group starts at ID 0, as the checks expect */
	if (ivshmem2_shm_create(&shm, &args, 64 << 10, 4096, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_server: %s\n", err);
		abort();
	}
	return 0;
}

static void *
run(void *arg)
{
	if (ivshmem2_server_run(arg, NULL) != 0)
		abort();
	return NULL;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static bool
fd_is(int fd, const char *prefix)
{
	char link[64], target[128];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	return strncmp(target, prefix, strlen(prefix)) == 0;
}

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* One message as a receiver sees it: the protocol's rules. Closes @fds. */
static void
client_msg(struct client *c, const uint8_t *m, uint32_t len, int *fds, int nfds)
{
	uint32_t type = le32(m), id, vector, i;

	if (c->id < 0) {
		FUZZ_CHECK(type == IVSHMEM2_MSG_INIT && len == sizeof(struct ivshmem2_msg_init) &&
			   nfds == 1 && fd_is(fds[0], "/memfd:"), "first message: type %u, %u "
			   "bytes, %d fds", type, len, nfds);
		id = le32(m + 16);
		FUZZ_CHECK(le32(m + 8) == IVSHMEM2_PROTOCOL_VERSION &&
			   le32(m + 12) == IVSHMEM2_PROTOCOL_VERSION && id < args.max_peers &&
			   le32(m + 20) == args.max_peers && le32(m + 24) == args.vectors &&
			   le32(m + 28) == ivshmem2_protocol_for_peer(args.protocol, id) &&
			   le32(m + 32) == layout.output_section_size && le32(m + 36) == 0,
			   "INIT fields (id %u)", id);
		c->id = (int)id;
	} else if (type == IVSHMEM2_MSG_EVENT_FD) {
		id = le32(m + 8);
		vector = le32(m + 12);
		FUZZ_CHECK(len == sizeof(struct ivshmem2_msg_event_fd) && nfds == 1 &&
			   fd_is(fds[0], "anon_inode:[eventfd]"), "EVENT_FD: %u bytes, %d fds",
			   len, nfds);
		FUZZ_CHECK(id < args.max_peers && vector < args.vectors && vector == c->known[id],
			   "peer %d: EVENT_FD for peer %u vector %u, expected vector %u", c->id, id,
			   vector, id < args.max_peers ? c->known[id] : 0);
		/* The newcomer's burst (others, then own) comes before any news. */
		FUZZ_CHECK(c->own_done || (int)id == c->id || c->known[c->id] == 0,
			   "peer %d: news about %u within its own vectors", c->id, id);
		c->known[id]++;
		if ((int)id == c->id && c->known[id] == args.vectors)
			c->own_done = true;
	} else if (type == IVSHMEM2_MSG_PEER_GONE) {
		id = le32(m + 8);
		FUZZ_CHECK(len == sizeof(struct ivshmem2_msg_peer_gone) && nfds == 0,
			   "PEER_GONE: %u bytes, %d fds", len, nfds);
		FUZZ_CHECK(id < args.max_peers && (int)id != c->id && c->own_done,
			   "peer %d: PEER_GONE for %u (own vectors %s)", c->id, id,
			   c->own_done ? "done" : "pending");
		FUZZ_CHECK(c->known[id] > 0, "peer %d: PEER_GONE for %u, never announced", c->id,
			   id);
		c->known[id] = 0;
	} else {
		FUZZ_CHECK(false, "peer %d: message type %u after INIT", c->id, type);
	}
	for (i = 0; i < (uint32_t)nfds; i++)
		close(fds[i]);
}

/* Read one message within @timeout_ms: 1 read, 0 none yet, -1 end of file. */
static int
client_read(struct client *c, int timeout_ms)
{
	union {
		char buf[CMSG_SPACE(4 * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	uint8_t m[IVSHMEM2_MSG_MAX_LEN];
	struct iovec iov = { .iov_base = m, .iov_len = 8 };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
	};
	struct pollfd pfd = { .fd = c->sock, .events = POLLIN };
	int fds[4], nfds = 0;
	struct cmsghdr *cm;
	uint32_t len;
	ssize_t n;

	if (c->eof)
		return -1;
	if (poll(&pfd, 1, timeout_ms) == 0)
		return 0;
	n = recvmsg(c->sock, &mh, MSG_WAITALL | MSG_CMSG_CLOEXEC);
	if (n == 0 || (n < 0 && errno == ECONNRESET)) {
		c->eof = true;
		return -1;
	}
	for (cm = n > 0 ? CMSG_FIRSTHDR(&mh) : NULL; cm != NULL; cm = CMSG_NXTHDR(&mh, cm)) {
		int k, nb = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));

		FUZZ_CHECK(cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS,
			   "control message %d/%d", cm->cmsg_level, cm->cmsg_type);
		for (k = 0; k < nb && nfds < 4; k++)
			memcpy(&fds[nfds++], CMSG_DATA(cm) + k * sizeof(int), sizeof(int));
	}
	FUZZ_CHECK(!(mh.msg_flags & MSG_CTRUNC), "peer %d: more than 4 fds with a message", c->id);
	FUZZ_CHECK(n == 8, "peer %d: header of %zd bytes (%s)", c->id, n,
		   n < 0 ? strerror(errno) : "partial");
	len = le32(m + 4);
	FUZZ_CHECK(len >= 8 && len <= IVSHMEM2_MSG_MAX_LEN, "message of %u bytes", len);
	if (len > 8) {
		n = recv(c->sock, m + 8, len - 8, MSG_WAITALL);
		FUZZ_CHECK(n == (ssize_t)(len - 8), "peer %d: body of %zd of %u bytes", c->id, n,
			   len - 8);
	}
	client_msg(c, m, len, fds, nfds);
	return 1;
}

/* Everything waiting now; true if the connection ended. */
static bool
client_drain(struct client *c)
{
	int r;

	while ((r = client_read(c, 0)) > 0)
		;
	return r < 0;
}

/* Read until end of file (the server must get there within TIMEOUT_MS). */
static bool
client_wait_eof(struct client *c)
{
	uint64_t deadline = now_ms() + TIMEOUT_MS;

	while (!c->eof && now_ms() < deadline)
		client_read(c, 50);
	return c->eof;
}

static void
client_close(struct client *c)
{
	if (c->sock >= 0)
		close(c->sock);
	memset(c, 0, sizeof(*c));
	c->sock = -1;
	c->id = -1;
}

static struct client *
client_connect(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = TIMEOUT_MS / 1000 };
	struct client *c = NULL;
	unsigned int i;

	for (i = 0; i < MAX_CLIENTS && c == NULL; i++)
		if (clients[i].sock < 0)
			c = &clients[i];
	if (c == NULL)
		return NULL;
	client_close(c);
	c->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	FUZZ_CHECK(c->sock >= 0 && connect(c->sock, (struct sockaddr *)&sun, sizeof(sun)) == 0,
		   "connect: %s", strerror(errno));
	connects++;
	/* A message the server started must be completed without waiting for us. */
	setsockopt(c->sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return c;
}

/* A client we believe connected: INIT read, never sent, never saw EOF. */
static bool
surely_alive(const struct client *c)
{
	return c->sock >= 0 && c->id >= 0 && !c->doomed && !c->eof;
}

/*
 * The server's view contradicts what @c believes (its ID reused, or it was
 * not announced): only right if the server dropped @c, so @c sees EOF.
 */
static void
must_be_gone(struct client *c, const char *what, int other)
{
	client_drain(c);
	FUZZ_CHECK(c->eof, "peer %d is connected, yet %s %d", c->id, what, other);
}

/* Connect and read the whole setup; NULL if the group was full. */
static struct client *
client_join(void)
{
	struct client *c = client_connect(), *o;
	uint64_t deadline = now_ms() + TIMEOUT_MS;
	unsigned int i;

	if (c == NULL)
		return NULL;
	while (!c->own_done && !c->eof && now_ms() < deadline)
		client_read(c, 50);
	if (c->id < 0 && c->eof) {
		client_close(c);
		return NULL;	/* group full (checked by the ID rules of the others) */
	}
	/*
	 * A newcomer's setup is never limited, but news for it while the setup
	 * is still queued is: with an explicit limit below the setup's size, the
	 * server may drop it then (the default limit leaves room for that).
	 */
	if (!c->own_done && c->eof && args.queue_limit != 0 &&
	    args.queue_limit <= args.max_peers * args.vectors + 1) {
		client_close(c);
		return NULL;
	}
	FUZZ_CHECK(c->own_done, "peer %d: setup incomplete after %d ms (%s)", c->id,
		   TIMEOUT_MS, c->eof ? "connection closed" : "silence");
	for (i = 0; i < MAX_CLIENTS; i++) {
		o = &clients[i];
		if (o == c || !surely_alive(o))
			continue;
		if (o->id == c->id)
			must_be_gone(o, "its ID was given to a new peer", c->id);
		else if (c->known[o->id] != args.vectors)
			must_be_gone(o, "a new peer was told of vectors of it:",
				     (int)c->known[o->id]);
	}
	return c;
}

static uint32_t
num_peers(void)
{
	return __atomic_load_n(&srv.num_peers, __ATOMIC_RELAXED);
}

static uint64_t
accepted(void)
{
	return __atomic_load_n(&srv.accepted, __ATOMIC_ACQUIRE);
}

/*
 * Close every client and wait until the server has removed them all. The
 * peer count alone does not say that: connections closed while still in the
 * listen queue join one by one (and leave at their first send), so it drops
 * to 0 between two of them. Once every connection was accepted, it stays.
 */
static void
empty_group(void)
{
	uint64_t deadline = now_ms() + TIMEOUT_MS;
	unsigned int i;

	for (i = 0; i < MAX_CLIENTS; i++)
		client_close(&clients[i]);
	while ((accepted() != connects || num_peers() != 0) && now_ms() < deadline)
		usleep(1000);
	FUZZ_CHECK(accepted() == connects, "%" PRIu64 " of %" PRIu64 " connections accepted "
		   "%d ms after all closed", accepted(), connects, TIMEOUT_MS);
	FUZZ_CHECK(num_peers() == 0, "%u peers left %d ms after all closed", num_peers(),
		   TIMEOUT_MS);
}

/* With the loop stopped: the server's tables agree with each other. */
static void
check_server(void)
{
	Ivshmem2Peer *by_id[MAX_PEERS] = { NULL };
	Ivshmem2Peer *p;
	uint32_t n = 0, i;

	TAILQ_FOREACH(p, &srv.peers, next) {
		struct Ivshmem2Msg *m;
		uint32_t queued = 0;

		FUZZ_CHECK(p->id < args.max_peers && srv.peer_by_id[p->id] == p && !p->gone &&
			   by_id[p->id] == NULL, "peer %u in the list", p->id);
		by_id[p->id] = p;
		n++;
		TAILQ_FOREACH(m, &p->queue, next)
			queued++;
		FUZZ_CHECK(queued == p->queued, "peer %u: %u messages queued, count %u", p->id,
			   queued, p->queued);
		for (i = 0; i < args.max_peers; i++) {
			bool found = p->first_about[i] == NULL;

			TAILQ_FOREACH(m, &p->queue, next)
				found |= m == p->first_about[i];
			FUZZ_CHECK(found, "peer %u: first_about[%u] not in its queue", p->id, i);
		}
	}
	FUZZ_CHECK(n == srv.num_peers, "%u peers listed, num_peers %u", n, srv.num_peers);
	for (i = 0; i < args.max_peers; i++)
		FUZZ_CHECK(srv.peer_by_id[i] == by_id[i], "peer_by_id[%u] not in the list", i);
	/* Every client we believe connected is there under its ID. */
	for (i = 0; i < MAX_CLIENTS; i++) {
		struct client *c = &clients[i];

		if (surely_alive(c) && by_id[c->id] == NULL)
			must_be_gone(c, "the server does not list ID", c->id);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	char err[IVSHMEM2_ERR_LEN];
	int fds0 = fuzz_count_fds();
	struct client *c;
	unsigned int i, ops = 0;
	pthread_t thread;
	args.max_peers = 2 + fuzz_u8(&in) % (MAX_PEERS - 1);
	args.vectors = vector_counts[fuzz_u8(&in) % DIM(vector_counts)];
	args.queue_limit = queue_limits[fuzz_u8(&in) % DIM(queue_limits)];
	args.protocol = protocols[fuzz_u8(&in) % DIM(protocols)];
	FUZZ_CHECK(ivshmem2_layout_compute(&layout, shm.size, args.max_peers, 0, 4096) ==
		   IVSHMEM2_LAYOUT_OK, "layout");
	for (i = 0; i < MAX_CLIENTS; i++) {
		clients[i].sock = -1;
		client_close(&clients[i]);
	}
	connects = 0;
	FUZZ_CHECK(ivshmem2_server_init(&srv, &args, &layout, &shm) == 0, "server init");
	FUZZ_CHECK(ivshmem2_server_start(&srv, err, sizeof(err)) == 0, "server start: %s", err);
	FUZZ_CHECK(pthread_create(&thread, NULL, run, &srv) == 0, "thread");

	while (fuzz_more(&in) && ops++ < MAX_OPS) {
		uint8_t op = fuzz_u8(&in), arg = fuzz_u8(&in);
		struct client *t = &clients[arg % MAX_CLIENTS];
		uint8_t junk[8];

		switch (op % 9) {
		case 0:		/* connect, read nothing yet */
			client_connect();
			break;
		case 1:
			client_join();
			break;
		case 2:		/* read what is there */
			if (t->sock >= 0)
				client_drain(t);
			break;
		case 3:		/* send junk (with an fd in it when arg says so) */
			if (t->sock < 0)
				break;
			memset(junk, arg, sizeof(junk));
			if (arg & 0x80) {
				union {
					char buf[CMSG_SPACE(sizeof(int))];
					struct cmsghdr align;
				} ctl;
				struct iovec iov = { .iov_base = junk, .iov_len = 1 + arg % 8 };
				struct msghdr mh = {
					.msg_iov = &iov, .msg_iovlen = 1,
					.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
				};
				struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
				int efd = eventfd(0, EFD_CLOEXEC);

				cm->cmsg_level = SOL_SOCKET;
				cm->cmsg_type = SCM_RIGHTS;
				cm->cmsg_len = CMSG_LEN(sizeof(int));
				memcpy(CMSG_DATA(cm), &efd, sizeof(int));
				if (sendmsg(t->sock, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) > 0)
					t->doomed = true;
				close(efd);
			} else if (send(t->sock, junk, 1 + arg % 8,
					MSG_DONTWAIT | MSG_NOSIGNAL) > 0) {
				t->doomed = true;
			}
			break;
		case 4:		/* half-close */
			if (t->sock >= 0 && shutdown(t->sock, SHUT_WR) == 0)
				t->doomed = true;
			break;
		case 5:
			if (t->sock >= 0)
				client_close(t);
			break;
		case 6:		/* a burst: close some, connect as many (not reading) */
			for (i = 0; i < MAX_CLIENTS; i++)
				if ((arg >> i) & 1)
					client_close(&clients[i]);
			for (i = 0; i < MAX_CLIENTS; i++)
				if ((arg >> i) & 1)
					client_connect();
			break;
		case 7:		/* a client that misbehaved is disconnected */
			if (t->sock < 0)
				break;
			if (t->doomed)
				FUZZ_CHECK(client_wait_eof(t), "peer %d sent data or shut down and "
					   "is still connected after %d ms", t->id, TIMEOUT_MS);
			else
				client_drain(t);
			break;
		case 8:		/* an emptied group starts again at ID 0 */
			empty_group();
			c = client_join();
			FUZZ_CHECK(c != NULL && c->id == 0, "empty group: ID %d", c ? c->id : -1);
			for (i = 0; i < args.max_peers; i++)
				FUZZ_CHECK(i == 0 || c->known[i] == 0,
					   "empty group: told of peer %u", i);
			break;
		}
	}

	ivshmem2_server_stop(&srv);
	FUZZ_CHECK(pthread_join(thread, NULL) == 0, "join");
	check_server();
	ivshmem2_server_close(&srv);
	for (i = 0; i < MAX_CLIENTS; i++)
		client_close(&clients[i]);
	if (fuzz_count_fds() != fds0) {
		fuzz_dump_fds();
		FUZZ_CHECK(false, "%d fds open, %d before", fuzz_count_fds(), fds0);
	}
	return 0;
}

/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/*
 * A misbehaving net_ivshmem2 peer for tests: joins a server group, completes
 * the session handshake with the PMD peer, then produces valid frames mixed
 * with hostile descriptors and indices. The PMD must drop and count the bad
 * ones, deliver exactly the valid ones and keep running.
 *
 * usage: ivshmem2_hostile_peer SOCKET PMD_PEER_ID [flood]
 * Prints "valid=N rejected=M bad_index=K" (what the PMD should count).
 * With "flood": publishes FLOOD_BAD bad descriptors, prints "flooded=N",
 * and stays in the group (state RUN) for FLOOD_STAY_MS before it exits.
 */

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <ivshmem2/shmem.h>
#include <ivshmem2/wire.h>

#include "ivshmem2_ring.h"

#define FLOOD_BAD	200
#define FLOOD_STAY_MS	15000

static uint32_t max_peers, vectors, my_id;
static int fds[64][64];

static void
die(const char *msg)
{
	fprintf(stderr, "hostile_peer: %s (%s)\n", msg, strerror(errno));
	exit(2);
}

static int
recv_msg(int s, uint8_t *buf, int *fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(struct ivshmem2_msg_header) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf) };
	struct ivshmem2_msg_header h;
	struct cmsghdr *c;

	*fd = -1;
	if (recvmsg(s, &m, MSG_WAITALL) != sizeof(h))
		die("recvmsg");
	c = CMSG_FIRSTHDR(&m);
	if (c != NULL && c->cmsg_type == SCM_RIGHTS)
		memcpy(fd, CMSG_DATA(c), sizeof(int));
	memcpy(&h, buf, sizeof(h));
	if (h.len < sizeof(h) || h.len > IVSHMEM2_MSG_MAX_LEN)
		die("bad message length");
	if (h.len > sizeof(h) && recv(s, buf + sizeof(h), h.len - sizeof(h), MSG_WAITALL) !=
	    (ssize_t)(h.len - sizeof(h)))
		die("recv");
	return (int)h.type;
}

static void
ring(uint32_t peer, uint32_t vector)
{
	uint64_t one = 1;

	if (peer < 64 && vector < 64 && fds[peer][vector] >= 0 &&
	    write(fds[peer][vector], &one, sizeof(one)) < 0)
		perror("write eventfd");
}

static void
msleep(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

int
main(int argc, char **argv)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct ivshmem2_msg_init init;
	struct ivshmem2_layout shm;
	struct ivshmem2_net_layout net;
	struct ivshmem2_net_channel_header *mine;
	struct ivshmem2_ring_peer_channel pc;
	struct ivshmem2_ring_tx tx;
	uint8_t buf[IVSHMEM2_MSG_MAX_LEN], *base, *own, *peer;
	uint32_t pmd, have = 0, i, tail, valid = 0, rejected = 0, bad_index = 0;
	struct stat st;
	int s, fd, shm_fd, tries;

	if (argc != 3 && !(argc == 4 && strcmp(argv[3], "flood") == 0))
		return fprintf(stderr, "usage: %s SOCKET PMD_PEER_ID [flood]\n", argv[0]), 2;
	pmd = (uint32_t)atoi(argv[2]);
	memset(fds, -1, sizeof(fds));
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	strncpy(sun.sun_path, argv[1], sizeof(sun.sun_path) - 1);
	if (s < 0 || connect(s, (struct sockaddr *)&sun, sizeof(sun)) != 0)
		die("connect");
	if (recv_msg(s, buf, &shm_fd) != IVSHMEM2_MSG_INIT || shm_fd < 0)
		die("INIT");
	memcpy(&init, buf, sizeof(init));
	my_id = init.id;
	max_peers = init.max_peers;
	vectors = init.vectors;
	if (max_peers > 64 || vectors > 64 || pmd >= max_peers || pmd == my_id)
		die("group too large for this test tool or bad PMD peer ID");
	while (have < vectors) {
		struct ivshmem2_msg_event_fd ev;

		if (recv_msg(s, buf, &fd) != IVSHMEM2_MSG_EVENT_FD)
			continue;
		memcpy(&ev, buf, sizeof(ev));
		if (ev.id < 64 && ev.vector < 64)
			fds[ev.id][ev.vector] = fd;
		have += ev.id == my_id;
	}
	if (fstat(shm_fd, &st) != 0 ||
	    ivshmem2_layout_compute(&shm, (uint64_t)st.st_size, max_peers,
				    init.output_section_size, 4096) != IVSHMEM2_LAYOUT_OK ||
	    ivshmem2_net_layout_compute(&net, init.output_section_size, max_peers) !=
	    IVSHMEM2_NET_LAYOUT_OK)
		die("layout");
	base = mmap(NULL, shm.shm_size, PROT_READ | PROT_WRITE, MAP_SHARED, shm_fd, 0);
	if (base == MAP_FAILED)
		die("mmap");
	own = base + ivshmem2_layout_output_offset(&shm, my_id);
	peer = base + ivshmem2_layout_output_offset(&shm, pmd);

	/* Join like a well-behaved peer: section, state RUN, session handshake. */
	ivshmem2_ring_section_init(own, &net, my_id);
	/* No heartbeat (like an older peer): only what we send counts. */
	((struct ivshmem2_net_section_header *)own)->features = 0;
	mine = ivshmem2_ring_channel(own, pmd);
	mine->tx_queues = 1;
	mine->rx_queues = 1;
	__atomic_store_n(&mine->session, 0x5eed0000u | my_id, __ATOMIC_RELEASE);
	__atomic_store_n(&((uint32_t *)base)[my_id], IVSHMEM2_NET_STATE_RUN, __ATOMIC_SEQ_CST);
	ring(pmd, 0);
	for (tries = 0; tries < 2000; tries++) {
		if (ivshmem2_ring_channel_read(peer, &net, my_id, &pc) == IVSHMEM2_RING_OK &&
		    pc.session != 0) {
			if (mine->ack != pc.session) {
				__atomic_store_n(&mine->ack, pc.session, __ATOMIC_RELEASE);
				ring(pmd, 0);
			}
			if (pc.ack == mine->session)
				break;
		}
		msleep(10);
	}
	if (tries == 2000)
		die("no handshake with the PMD peer");
	msleep(300);	/* let the PMD's rx queue take the new rings */

	ivshmem2_ring_tx_attach(&tx, own, peer, &net, my_id, pmd, 0);
	tail = __atomic_load_n(tx.tail, __ATOMIC_RELAXED);
#define PUT(len_, flags_) do { \
		tx.desc[tail & tx.mask].len = (len_); \
		tx.desc[tail & tx.mask].flags = (flags_); \
		memset(ivshmem2_ring_slot(tx.slots, tx.mask, tail), 0xab, 64); \
		tail++; \
	} while (0)
#define PUBLISH() do { \
		__atomic_store_n(tx.tail, tail, __ATOMIC_RELEASE); \
		msleep(200); \
	} while (0)

	if (argc == 4) {
		for (i = 0; i < FLOOD_BAD; i++)
			PUT(0, 0);
		__atomic_store_n(tx.tail, tail, __ATOMIC_RELEASE);
		printf("flooded=%u\n", FLOOD_BAD);
		fflush(stdout);
		msleep(FLOOD_STAY_MS);
		return 0;
	}
	for (i = 0; i < 100; i++, valid++)
		PUT(60, 0);
	PUBLISH();
	/* Lengths 0 and beyond the slot, unknown flags: one rejection each. */
	for (i = 0; i < 10; i++, rejected++)
		PUT(0, 0);
	for (i = 0; i < 10; i++, rejected++)
		PUT(4000, 0);
	for (i = 0; i < 10; i++, rejected++)
		PUT(60, 0x8000);
	/* A chain longer than a maximal frame: rejected once, skipped whole. */
	for (i = 0; i < IVSHMEM2_NET_MAX_CHAIN; i++)
		PUT(2048, IVSHMEM2_NET_DESC_MORE);
	rejected++;
	/* A jumbo frame over the limit (5 x 2048 > 9216). */
	for (i = 0; i < IVSHMEM2_NET_MAX_CHAIN - 1; i++)
		PUT(2048, IVSHMEM2_NET_DESC_MORE);
	PUT(2048, 0);
	rejected++;
	for (i = 0; i < 100; i++, valid++)
		PUT(60, 0);
	PUBLISH();
	/* Tail far beyond the ring: nothing may be read, then recover. */
	__atomic_store_n(tx.tail, tail + 100000, __ATOMIC_RELEASE);
	msleep(300);
	bad_index++;
	for (i = 0; i < 100; i++, valid++)
		PUT(1500, 0);
	PUBLISH();
	/* Garbage in our consumer state for the PMD's ring: it must just see a full ring. */
	{
		struct ivshmem2_ring_rx rx;

		ivshmem2_ring_rx_attach(&rx, own, peer, &net, my_id, pmd, 0);
		__atomic_store_n(rx.head, 0xdeadbeef, __ATOMIC_RELEASE);
		__atomic_store_n(rx.wake, 0xffffffff, __ATOMIC_RELEASE);
	}
	msleep(300);
	printf("valid=%u rejected=%u bad_index=%u\n", valid, rejected, bad_index);
	fflush(stdout);
	return 0;
}

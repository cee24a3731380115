/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/*
 * The vdev attachment's side of the server protocol
 * (drivers/net/ivshmem2/ivshmem2_socket.c, and ivshmem2_shm.c for the
 * memory) against a fake server whose messages and fds come from the
 * fuzzer (fuzz_script.h). Each script connection is one connection of the
 * PMD: the first is what probe does (ivshmem2_vdev.c: vdev_connect_first),
 * later ones what the reconnection alarm does (vdev_try_reconnect); the
 * steps between the socket calls follow those functions.
 *
 * Checked after every call: no crash (ASan, UBSan), the eventfd table holds
 * only distinct, open, non-blocking eventfds in the slots the protocol
 * filled, the memory is mapped with the own section writable, ringing every
 * known doorbell does not block, and after the device is closed no fd is
 * left open that was not open before (/proc/self/fd). Time is bounded: the
 * fake server closes each connection after its script, so no receive waits
 * for the timeouts (libFuzzer's -timeout catches one that does).
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sys/stat.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_log.h>

#include "fuzz_common.h"
#include "fuzz_script.h"
#include "ivshmem2_shm.h"
#include "ivshmem2_socket.h"

int ivshmem2_logtype;	/* ivshmem2_ethdev.c registers it in the PMD */

static struct script script;
static struct script_server srv;
static char dir[] = "/tmp/fuzz-vdev-XXXXXX";

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *eal_argv[] = {
		(*argv)[0], "--no-shconf", "--no-huge", "--no-pci", "-m", "64", "-l", "0",
		"--log-level=*:1", NULL,
	};

	(void)argc;
	/* The join deadline uses the EAL timer: it needs the EAL. */
	if (rte_eal_init(RTE_DIM(eal_argv) - 1, eal_argv) < 0) {
		fprintf(stderr, "fuzz_vdev: EAL init failed: %s\n", rte_strerror(rte_errno));
		abort();
	}
	ivshmem2_logtype = rte_log_register("pmd.net.ivshmem2.fuzz");
	rte_log_set_level(ivshmem2_logtype, getenv("FUZZ_VERBOSE") ? RTE_LOG_DEBUG : RTE_LOG_EMERG);
	if (mkdtemp(dir) == NULL) {
		perror("fuzz_vdev: mkdtemp");
		abort();
	}
	script_server_init(&srv, dir);
	return 0;
}

static bool
is_eventfd(int fd)
{
	char path[64], target[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	return strcmp(target, "anon_inode:[eventfd]") == 0;
}

/* The eventfd table: what the data path and the rx interrupts rely on. */
static void
check_table(const struct ivshmem2_socket *s)
{
	const struct ivshmem2_efds *t = &s->efds;
	uint32_t p, v, q, w;

	if (t->fd == NULL)
		return;
	for (p = 0; p < t->nb_peers; p++) {
		FUZZ_CHECK(s->nb_known[p] <= t->nb_vectors, "peer %u: %u vectors known of %u", p,
			   s->nb_known[p], t->nb_vectors);
		for (v = 0; v < t->nb_vectors; v++) {
			int fd = *ivshmem2_efds_slot(t, p, v);

			if (v < s->nb_known[p])
				FUZZ_CHECK(fd >= 0, "peer %u vector %u known without an fd", p, v);
			if (fd < 0)
				continue;
			FUZZ_CHECK(is_eventfd(fd), "peer %u vector %u: fd %d is not an eventfd", p,
				   v, fd);
			FUZZ_CHECK(fcntl(fd, F_GETFL) & O_NONBLOCK,
				   "peer %u vector %u: fd %d blocks", p, v, fd);
			FUZZ_CHECK(fd != s->dummy_efd && fd != s->fd, "peer %u vector %u: fd %d "
				   "is the socket's or the dummy's", p, v, fd);
			for (q = p; q < t->nb_peers; q++)
				for (w = q == p ? v + 1 : 0; w < t->nb_vectors; w++)
					FUZZ_CHECK(*ivshmem2_efds_slot(t, q, w) != fd,
						   "fd %d in two slots (%u/%u and %u/%u)", fd, p, v,
						   q, w);
		}
	}
	/* Out of range is unknown; in range, whatever the server sent. */
	for (p = 0; p <= t->nb_peers; p++)
		for (v = 0; v <= t->nb_vectors && v < 4; v++)
			if (p == t->nb_peers || v == t->nb_vectors)
				FUZZ_CHECK(ivshmem2_efds_get(t, p, v) == -1,
					   "fd for peer %u vector %u outside the table", p, v);
}

/* The mapping as the ring code uses it: own section and state entry writable. */
static void
touch_memory(const struct ivshmem2_hw *hw)
{
	volatile uint8_t *own = ivshmem2_hw_section(hw, hw->id);
	volatile uint32_t *table = (volatile uint32_t *)hw->base;
	uint32_t i;
	uint8_t x = 0;

	table[hw->id] = 3;
	own[0] = 1;
	own[hw->shm.output_section_size - 1] = 1;
	for (i = 0; i < hw->max_peers; i++)
		x += ivshmem2_hw_section(hw, i)[hw->shm.output_section_size - 1];
	x += hw->base[hw->shm.shm_size - 1];
	(void)x;
}

/* ivshmem2_attach_layout(): both layouts, as the attachment computes them. */
static int
layout(struct ivshmem2_hw *hw, const struct ivshmem2_socket_init *in)
{
	if (ivshmem2_layout_compute(&hw->shm, in->shm_size, in->msg.max_peers,
				    in->msg.output_section_size,
				    in->page_size) != IVSHMEM2_LAYOUT_OK ||
	    ivshmem2_net_layout_compute(&hw->net, in->msg.output_section_size,
					in->msg.max_peers) != IVSHMEM2_NET_LAYOUT_OK)
		return -EINVAL;
	hw->page_size = in->page_size;
	return 0;
}

/* vdev_connect_first() after its connect. */
static int
first_join(struct ivshmem2_socket *s, struct ivshmem2_hw *hw, int sock,
	   const struct ivshmem2_socket_init *in, int *shm_fd)
{
	int ret;

	*shm_fd = in->shm_fd;
	ret = ivshmem2_socket_adopt(s, sock, in);
	if (ret != 0) {
		close(sock);
		return ret;
	}
	hw->id = in->msg.id;
	hw->max_peers = in->msg.max_peers;
	hw->vectors = in->msg.vectors;
	ret = layout(hw, in);
	if (ret == 0)
		ret = ivshmem2_shm_reserve(hw, NULL, "fuzz");
	if (ret == 0)
		ret = ivshmem2_shm_map(hw, *shm_fd, true, "fuzz");
	if (ret == 0)
		ret = ivshmem2_socket_join(s);
	if (ret == 0) {
		hw->connected = true;
		touch_memory(hw);
	}
	return ret;
}

/* vdev_try_reconnect() after its connect. */
static void
reconnect(struct ivshmem2_socket *s, struct ivshmem2_hw *hw, int sock,
	  const struct ivshmem2_socket_init *in, int *shm_fd)
{
	int ret;

	if (in->shm_size != hw->shm.shm_size || in->msg.max_peers != hw->max_peers ||
	    in->msg.output_section_size != hw->shm.output_section_size ||
	    in->msg.vectors != hw->vectors || in->page_size != hw->page_size) {
		close(in->shm_fd);
		close(sock);
		return;
	}
	ret = ivshmem2_socket_adopt(s, sock, in);
	if (ret == 0)
		hw->id = in->msg.id;
	if (ret == 0)
		ret = ivshmem2_shm_map(hw, in->shm_fd, true, "fuzz");
	if (ret == 0) {
		close(*shm_fd);
		*shm_fd = in->shm_fd;
	}
	if (ret != 0) {
		close(in->shm_fd);
		if (s->fd == sock)
			ivshmem2_socket_disconnect(s);
		else
			close(sock);
		return;
	}
	check_table(s);
	if (ivshmem2_socket_join(s) != 0) {
		ivshmem2_socket_disconnect(s);
		return;
	}
	touch_memory(hw);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ivshmem2_socket s;
	struct ivshmem2_hw hw;
	int shm_fd = -1, fds0 = fuzz_count_fds();
	bool joined = false;
	unsigned int c, i;

	script_parse(&script, data, size);
	script_server_start(&srv, &script);
	FUZZ_CHECK(ivshmem2_socket_init(&s, srv.path, "fuzz") == 0, "socket init");
	memset(&hw, 0, sizeof(hw));
	for (c = 0; c < script.nb_conn; c++) {
		struct ivshmem2_socket_init in;
		struct stat st;
		int sock;

		sock = ivshmem2_socket_connect(&s, joined, &in);
		if (sock < 0)
			continue;
		/* What connect accepts is a checked INIT with a sized memory fd. */
		FUZZ_CHECK(ivshmem2_msg_init_check(&in.msg, in.msg.header.len,
						   IVSHMEM2_SERVER_MAX_VECTORS) ==
			   IVSHMEM2_MSG_INIT_OK && in.msg.protocol == IVSHMEM2_NET_PROTOCOL,
			   "INIT accepted: %u peers, id %u, %u vectors", in.msg.max_peers,
			   in.msg.id, in.msg.vectors);
		FUZZ_CHECK(fstat(in.shm_fd, &st) == 0 && (uint64_t)st.st_size == in.shm_size &&
			   in.shm_size > 0, "memory fd");
		if (!joined) {
			if (first_join(&s, &hw, sock, &in, &shm_fd) != 0)
				break;	/* probe fails: the device is closed below */
			joined = true;
		} else {
			reconnect(&s, &hw, sock, &in, &shm_fd);
		}
		check_table(&s);
		if (s.fd < 0)
			continue;
		FUZZ_CHECK(s.nb_known[s.id] == s.efds.nb_vectors, "joined without own vectors");
		for (i = 0; i < 64 && ivshmem2_socket_receive(&s); i++)
			check_table(&s);
		check_table(&s);
		/* The server went away (it closes after its script): vdev_lost_server. */
		ivshmem2_socket_disconnect(&s);
	}
	script_server_stop(&srv);
	/* vdev_close() */
	ivshmem2_shm_unmap(&hw);
	ivshmem2_socket_fini(&s);
	if (shm_fd >= 0)
		close(shm_fd);
	if (fuzz_count_fds() != fds0) {
		fuzz_dump_fds();
		FUZZ_CHECK(false, "%d fds open, %d before", fuzz_count_fds(), fds0);
	}
	return 0;
}

/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

#ifndef _IVSHMEM2_SOCKET_H_
#define _IVSHMEM2_SOCKET_H_

/*
 * The client side of the ivshmem2-server protocol (include/ivshmem2/wire.h)
 * for the vdev attachment: connect, INIT, and the EVENT_FD / PEER_GONE
 * messages that keep the (peer, vector) eventfd table current. Everything
 * the server sends is checked before it is used; a bad message is logged,
 * counted and dropped (with any fd it carried), never trusted.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/un.h>

#include <rte_dev.h>

#include <ivshmem2/wire.h>

#include "ivshmem2_efd.h"

struct ivshmem2_socket {
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char name[RTE_DEV_NAME_MAX_LEN];	/**< device name, for the log */
	int fd;				/**< -1 while disconnected */
	uint32_t id;			/**< own peer ID in the current group */
	struct ivshmem2_efds efds;	/**< doorbells of every (peer, vector) */
	uint32_t *nb_known;		/**< [peers]: vectors received, in order */
	int dummy_efd;			/**< parks the fd numbers of departed peers */
	uint64_t bad_messages;		/**< dropped: malformed or out of order */
	void (*peer_gone)(void *arg, uint32_t peer);	/**< optional, after PEER_GONE */
	void *arg;
};

/* A checked INIT and what came with it. */
struct ivshmem2_socket_init {
	struct ivshmem2_msg_init msg;	/**< host byte order */
	int shm_fd;			/**< the group's memory, ours to close */
	uint64_t shm_size;
	size_t page_size;		/**< mapping granularity (hugetlbfs pages) */
};

/** Prepare @s for the server at @path; device @name names log lines. @return 0 or -errno. */
int ivshmem2_socket_init(struct ivshmem2_socket *s, const char *path, const char *name);

/** Close everything @s holds. */
void ivshmem2_socket_fini(struct ivshmem2_socket *s);

/**
 * Connect to the server and read its INIT (not yet committed to @s).
 * @quiet: no log for "no server there" (reconnection attempts).
 * @return the connected socket, or a negative errno after logging why.
 */
int ivshmem2_socket_connect(struct ivshmem2_socket *s, bool quiet,
			    struct ivshmem2_socket_init *in);

/**
 * Adopt a connection of ivshmem2_socket_connect() as the current one, with
 * the geometry of @in: the first time, allocate the eventfd table; later,
 * park every known eventfd (fd numbers stay, as the data path and the rx
 * interrupt handles hold them) and, if our ID changed, move the own row's
 * numbers along with it.
 * @return 0 or -ENOMEM.
 */
int ivshmem2_socket_adopt(struct ivshmem2_socket *s, int sock,
			  const struct ivshmem2_socket_init *in);

/**
 * Read messages until every own vector's eventfd is known (the last step
 * of joining a group), within a deadline.
 * @return 0, or a negative errno when the connection is unusable.
 */
int ivshmem2_socket_join(struct ivshmem2_socket *s);

/**
 * Handle the messages waiting on the socket, at most a bounded number per
 * call (a server that never stops talking cannot hold the caller's thread).
 * @return false when the connection is lost (closed, or broken framing).
 */
bool ivshmem2_socket_receive(struct ivshmem2_socket *s);

/** Close the current connection, if any. */
void ivshmem2_socket_disconnect(struct ivshmem2_socket *s);

#endif /* _IVSHMEM2_SOCKET_H_ */

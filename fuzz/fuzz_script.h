/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

#ifndef IVSHMEM2_FUZZ_SCRIPT_H
#define IVSHMEM2_FUZZ_SCRIPT_H

/*
 * What a fake ivshmem2-server sends, decoded from the fuzzer's bytes: one
 * or more connections, each a list of sendmsg() calls with their bytes and
 * 0 to 3 attached fds of assorted types. fuzz/device_fuzz.py reads the same
 * format (fuzz/README.md describes it), so corpora of fuzz_vdev and of the
 * device fuzzer can be exchanged.
 *
 * Records (first byte: opcode, modulo 8):
 *   0 RAW       fdspec, n, n bytes              the bytes as they are
 *   1 INIT      id, peers, vectors, mem, out, flags   an INIT with a memory fd
 *   2 EVENT_FD  id, vector, fdtype              with one fd
 *   3 PEER_GONE id
 *   4 SETUP     id, peers, vectors, mem, others  INIT, the others' vectors
 *                                                (bit i of others: peer i),
 *                                                then the own ones
 *   5 NEXT                                      close; next connection
 *   6 PAUSE     ms                              (device fuzzer only)
 *   7 HOLD                                      keep the connection open
 *                                                (device fuzzer only)
 * fdspec: bits 0-1 fd count, then 2 bits per fd: its type.
 * fd types: 0 eventfd, 1 memfd of 64 KiB (not sealed), 2 pipe (read end),
 *           3 read-only memfd of 64 KiB; the memory of INIT and SETUP is a
 *           memfd sealed against resizing, as ivshmem2-server makes it.
 */

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCRIPT_MAX_CONN		4
#define SCRIPT_MAX_SENDS	256
#define SCRIPT_MAX_FDS		3
#define SCRIPT_MAX_BYTES	256

enum script_fd {
	SCRIPT_FD_EVENTFD,
	SCRIPT_FD_MEMFD,
	SCRIPT_FD_PIPE,
	SCRIPT_FD_MEMFD_RO,
	SCRIPT_FD_SHM,		/* memfd of send.shm_size (INIT, SETUP) */
};

struct script_send {
	uint8_t bytes[SCRIPT_MAX_BYTES];
	uint16_t len;
	uint8_t nb_fds;
	uint8_t fd_type[SCRIPT_MAX_FDS];
	uint64_t shm_size;
};

struct script_conn {
	struct script_send *sends;
	unsigned int nb_sends;
};

struct script {
	struct script_conn conn[SCRIPT_MAX_CONN];
	unsigned int nb_conn;
	struct script_send pool[SCRIPT_MAX_SENDS];
	unsigned int nb_pool;
};

/* Decode @data into @s (any bytes give a script, possibly empty). */
void script_parse(struct script *s, const uint8_t *data, size_t size);

/* A fake server on a UNIX socket: serves script connections in order. */
struct script_server {
	char path[108];
	int listen_fd;
	int stop_fd;			/* eventfd: stop waiting for connections */
	const struct script *script;
	pthread_t thread;
	unsigned int served;
};

/* Listen on a fresh path under @dir (once per process). */
void script_server_init(struct script_server *srv, const char *dir);

/* Serve @s on a thread: connection i of the script to the i-th client. */
void script_server_start(struct script_server *srv, const struct script *s);

/* Stop waiting for clients and join the thread. */
void script_server_stop(struct script_server *srv);

#endif /* IVSHMEM2_FUZZ_SCRIPT_H */

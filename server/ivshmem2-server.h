/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/*
 * The group logic of ivshmem2-server as a library: the listening socket,
 * peer IDs, eventfds, the wire protocol (include/ivshmem2/wire.h) and the
 * epoll loop. main.c only parses options and calls init, start, run and
 * close; tests may link the library and run the loop in a thread.
 *
 * Every peer has a queue of outgoing messages, each sent with one sendmsg()
 * when its socket is writable, so a peer that does not read delays nobody;
 * one that falls more than the queue limit behind is dropped.
 *
 * The optional info socket serves inspection tools: each client gets one
 * INFO message with a read-only fd of the memory and is disconnected at
 * once. It never becomes a peer, so the group does not notice it.
 */

#ifndef IVSHMEM2_SERVER_H
#define IVSHMEM2_SERVER_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/types.h>

#include "ivshmem2/shmem.h"
#include "options.h"
#include "shm.h"

typedef struct Ivshmem2Msg Ivshmem2Msg;

typedef struct Ivshmem2Peer {
    TAILQ_ENTRY(Ivshmem2Peer) next;     /* in connection order */
    int sock;
    uint32_t id;
    uint32_t generation;                /* tells stale epoll events apart */
    int *eventfds;                      /* one per vector */
    TAILQ_HEAD(Ivshmem2MsgQueue, Ivshmem2Msg) queue; /* outgoing */
    uint32_t queued;
    Ivshmem2Msg **first_about;          /* per peer ID: its queued EVENT_FDs */
    bool want_writable;                 /* EPOLLOUT registered */
    bool gone;                          /* to be removed by the reaper */
    char gone_reason[96];
} Ivshmem2Peer;

typedef TAILQ_HEAD(Ivshmem2PeerList, Ivshmem2Peer) Ivshmem2PeerList;

typedef struct Ivshmem2Server {
    const Ivshmem2ServerArgs *args;
    struct ivshmem2_layout layout;
    Ivshmem2Shm *shm;
    uint32_t queue_limit;

    int listen_fd;
    bool listen_paused;                 /* out of fds: accept later */
    dev_t socket_dev;                   /* the socket file we created */
    ino_t socket_ino;
    int info_fd;                        /* -I listening socket, or -1 */
    int info_shm_fd;                    /* the memory, opened read-only */
    dev_t info_dev;                     /* the info socket file we created */
    ino_t info_ino;
    int epoll_fd;
    int signal_fd;
    int wake_fd;                        /* ivshmem2_server_stop() */

    Ivshmem2PeerList peers;
    Ivshmem2Peer **peer_by_id;          /* max_peers entries */
    uint64_t *freed_at;                 /* per ID: when freed (ns), 0: never */
    uint32_t num_peers;
    uint32_t generation;
    uint64_t accepted;                  /* connections taken and dealt with */
} Ivshmem2Server;

/*
 * Prepare @s for the group described by @args and @layout, whose memory
 * @shm is already created. No socket yet. Returns 0 or -1 (out of memory).
 */
int ivshmem2_server_init(Ivshmem2Server *s, const Ivshmem2ServerArgs *args,
                         const struct ivshmem2_layout *layout,
                         Ivshmem2Shm *shm);

/*
 * Listen on args->socket_path, and on args->info_socket_path if set.
 * Refuses if a live server answers there or the path is not a socket;
 * replaces a stale socket file. Returns 0 or -1 with one line in @err.
 */
int ivshmem2_server_start(Ivshmem2Server *s, char *err, size_t errlen);

/*
 * Serve until one of @quit_signals arrives (they must be blocked in every
 * thread; NULL: none) or ivshmem2_server_stop() is called.
 * Returns 0, or -1 after logging a fatal error.
 */
int ivshmem2_server_run(Ivshmem2Server *s, const sigset_t *quit_signals);

/* Make ivshmem2_server_run() return; async-signal- and thread-safe. */
void ivshmem2_server_stop(Ivshmem2Server *s);

/* Disconnect every peer, close the socket and remove its file. */
void ivshmem2_server_close(Ivshmem2Server *s);

#endif /* IVSHMEM2_SERVER_H */

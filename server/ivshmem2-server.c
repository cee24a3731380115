/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ivshmem2/wire.h"
#include "ivshmem2-server.h"
#include "log.h"

/* epoll tags: peers carry (generation << 32 | id) with generation >= 1. */
#define TAG_LISTEN  0
#define TAG_SIGNAL  1
#define TAG_WAKE    2
#define TAG_INFO    3
#define PEER_TAG(p) (((uint64_t)(p)->generation << 32) | (p)->id)

#define EPOLL_BATCH 64

struct Ivshmem2Msg {
    TAILQ_ENTRY(Ivshmem2Msg) next;
    int fd;             /* borrowed; -1 once sent with the first byte */
    uint32_t type;
    uint32_t about;     /* peer ID the message is about */
    uint16_t len;
    uint16_t sent;
    uint8_t data[sizeof(struct ivshmem2_msg_init)];     /* the largest */
};

_Static_assert(sizeof(struct ivshmem2_msg_event_fd) <=
               sizeof(struct ivshmem2_msg_init), "EVENT_FD fits");
_Static_assert(sizeof(struct ivshmem2_msg_peer_gone) <=
               sizeof(struct ivshmem2_msg_init), "PEER_GONE fits");

/* Never 0 (0 means "never freed" in freed_at[]). */
static uint64_t monotonic_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec + 1;
}

static void peer_mark_gone(Ivshmem2Peer *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void peer_mark_gone(Ivshmem2Peer *p, const char *fmt, ...)
{
    va_list ap;

    if (p->gone) {
        return;
    }
    p->gone = true;
    va_start(ap, fmt);
    vsnprintf(p->gone_reason, sizeof(p->gone_reason), fmt, ap);
    va_end(ap);
}

/*
 * Queue a message for @p. A @limited message (news about the group for an
 * existing member) finds out whether @p fell too far behind; a newcomer's
 * own setup burst is not limited (it is at most max_peers * vectors + 1).
 */
static Ivshmem2Msg *peer_enqueue(Ivshmem2Server *s, Ivshmem2Peer *p,
                                 bool limited, uint32_t type, uint32_t about,
                                 const void *data, size_t len, int fd)
{
    Ivshmem2Msg *m;

    if (p->gone) {
        return NULL;
    }
    if (limited && p->queued >= s->queue_limit) {
        peer_mark_gone(p, "fell behind: %u messages unsent (--queue-limit)",
                       p->queued);
        return NULL;
    }
    m = malloc(sizeof(*m));
    if (!m) {
        peer_mark_gone(p, "out of memory for its message queue");
        return NULL;
    }
    m->fd = fd;
    m->type = type;
    m->about = about;
    m->len = (uint16_t)len;
    m->sent = 0;
    memcpy(m->data, data, len);
    TAILQ_INSERT_TAIL(&p->queue, m, next);
    p->queued++;
    return m;
}

static void enqueue_init(Ivshmem2Server *s, Ivshmem2Peer *p)
{
    const Ivshmem2ServerArgs *a = s->args;
    struct ivshmem2_msg_init msg = {
        .header.type = htole32(IVSHMEM2_MSG_INIT),
        .header.len = htole32(sizeof(msg)),
        .version = htole32(IVSHMEM2_PROTOCOL_VERSION),
        .compatible_version = htole32(IVSHMEM2_PROTOCOL_VERSION),
        .id = htole32(p->id),
        .max_peers = htole32(a->max_peers),
        .vectors = htole32(a->vectors),
        .protocol = htole32(ivshmem2_protocol_for_peer(a->protocol, p->id)),
        .output_section_size = htole64(s->layout.output_section_size),
    };

    peer_enqueue(s, p, false, IVSHMEM2_MSG_INIT, p->id, &msg, sizeof(msg),
                 s->shm->fd);
}

/*
 * Tell @to about every vector of @about. The messages are consecutive in
 * @to's queue, and to->first_about[] finds them if @about leaves first.
 */
static void enqueue_event_fds(Ivshmem2Server *s, Ivshmem2Peer *to,
                              const Ivshmem2Peer *about, bool limited)
{
    Ivshmem2Msg *m;
    uint32_t v;

    for (v = 0; v < s->args->vectors; v++) {
        struct ivshmem2_msg_event_fd msg = {
            .header.type = htole32(IVSHMEM2_MSG_EVENT_FD),
            .header.len = htole32(sizeof(msg)),
            .id = htole32(about->id),
            .vector = htole32(v),
        };

        m = peer_enqueue(s, to, limited, IVSHMEM2_MSG_EVENT_FD, about->id,
                         &msg, sizeof(msg), about->eventfds[v]);
        if (v == 0) {
            to->first_about[about->id] = m;
        }
    }
}

/* Take @m out of @p's queue, keeping first_about[] current. */
static void msg_unlink(Ivshmem2Peer *p, Ivshmem2Msg *m)
{
    Ivshmem2Msg *next = TAILQ_NEXT(m, next);

    if (m->type == IVSHMEM2_MSG_EVENT_FD && p->first_about[m->about] == m) {
        p->first_about[m->about] = next && next->type == IVSHMEM2_MSG_EVENT_FD
                                   && next->about == m->about ? next : NULL;
    }
    TAILQ_REMOVE(&p->queue, m, next);
    p->queued--;
}

static void peer_want_writable(Ivshmem2Server *s, Ivshmem2Peer *p, bool want)
{
    struct epoll_event ev = {
        .events = EPOLLIN | EPOLLRDHUP | (want ? EPOLLOUT : 0),
        .data.u64 = PEER_TAG(p),
    };

    if (p->want_writable == want) {
        return;
    }
    if (epoll_ctl(s->epoll_fd, EPOLL_CTL_MOD, p->sock, &ev) < 0) {
        peer_mark_gone(p, "epoll_ctl: %s", strerror(errno));
        return;
    }
    p->want_writable = want;
}

/* Send queued messages until the socket is full or the queue empty. */
static void peer_flush(Ivshmem2Server *s, Ivshmem2Peer *p)
{
    Ivshmem2Msg *m;

    while (!p->gone && (m = TAILQ_FIRST(&p->queue)) != NULL) {
        union {
            struct cmsghdr align;
            char buf[CMSG_SPACE(sizeof(int))];
        } ctl;
        struct iovec iov = {
            .iov_base = m->data + m->sent,
            .iov_len = (size_t)(m->len - m->sent),
        };
        struct msghdr mh = {
            .msg_iov = &iov,
            .msg_iovlen = 1,
        };
        ssize_t n;

        if (m->fd >= 0) {
            struct cmsghdr *c;

            memset(&ctl, 0, sizeof(ctl));
            mh.msg_control = ctl.buf;
            mh.msg_controllen = sizeof(ctl.buf);
            c = CMSG_FIRSTHDR(&mh);
            c->cmsg_level = SOL_SOCKET;
            c->cmsg_type = SCM_RIGHTS;
            c->cmsg_len = CMSG_LEN(sizeof(int));
            memcpy(CMSG_DATA(c), &m->fd, sizeof(int));
        }
        n = sendmsg(p->sock, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                if (!p->want_writable) {
                    IVSHMEM2_DEBUG("peer %u: socket full, %u messages wait",
                                   p->id, p->queued);
                }
                peer_want_writable(s, p, true);
                return;
            }
            peer_mark_gone(p, "send failed: %s", strerror(errno));
            return;
        }
        /* The fd travels with the first byte; a rest goes without it. */
        m->fd = -1;
        m->sent += (uint16_t)n;
        if (m->sent < m->len) {
            continue;
        }
        msg_unlink(p, m);
        free(m);
    }
    if (!p->gone) {
        peer_want_writable(s, p, false);
    }
}

/*
 * Drop the unsent EVENT_FDs about @id from @p's queue (their fds are about
 * to be closed). Returns how many were dropped.
 */
static uint32_t peer_drop_event_fds(Ivshmem2Server *s, Ivshmem2Peer *p,
                                    uint32_t id)
{
    Ivshmem2Msg *m = p->first_about[id], *next;
    uint32_t dropped = 0, seen;

    for (seen = 0; m && seen < s->args->vectors; seen++, m = next) {
        next = TAILQ_NEXT(m, next);
        if (m->type != IVSHMEM2_MSG_EVENT_FD || m->about != id) {
            break;
        }
        if (m->sent == 0) {
            msg_unlink(p, m);
            free(m);
            dropped++;
        }
    }
    p->first_about[id] = NULL;
    return dropped;
}

static void peer_free(Ivshmem2Server *s, Ivshmem2Peer *p)
{
    Ivshmem2Msg *m;
    uint32_t v;

    while ((m = TAILQ_FIRST(&p->queue)) != NULL) {
        TAILQ_REMOVE(&p->queue, m, next);
        free(m);
    }
    free(p->first_about);
    if (p->eventfds) {
        for (v = 0; v < s->args->vectors; v++) {
            if (p->eventfds[v] >= 0) {
                close(p->eventfds[v]);
            }
        }
        free(p->eventfds);
    }
    if (p->sock >= 0) {
        close(p->sock);
    }
    free(p);
}

/* Stop or resume polling the listening sockets (out of fds). */
static void listen_pause(Ivshmem2Server *s, bool pause)
{
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = TAG_LISTEN };
    struct epoll_event info_ev = { .events = EPOLLIN, .data.u64 = TAG_INFO };
    int op = pause ? EPOLL_CTL_DEL : EPOLL_CTL_ADD;

    if (s->listen_paused == pause) {
        return;
    }
    if (epoll_ctl(s->epoll_fd, op, s->listen_fd, &ev) == 0) {
        s->listen_paused = pause;
        if (s->info_fd >= 0) {
            epoll_ctl(s->epoll_fd, op, s->info_fd, &info_ev);
        }
    }
}

/* Remove one departed peer: spec section 6, "Disconnect". */
static void peer_remove(Ivshmem2Server *s, Ivshmem2Peer *p)
{
    volatile uint32_t *state = (volatile uint32_t *)s->shm->base;
    struct ivshmem2_msg_peer_gone msg = {
        .header.type = htole32(IVSHMEM2_MSG_PEER_GONE),
        .header.len = htole32(sizeof(msg)),
        .id = htole32(p->id),
    };
    Ivshmem2Peer *o;

    epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, p->sock, NULL);
    close(p->sock);
    p->sock = -1;
    TAILQ_REMOVE(&s->peers, p, next);
    s->peer_by_id[p->id] = NULL;
    s->freed_at[p->id] = monotonic_ns();
    s->num_peers--;

    /* Its entry reads zero before anyone hears that it left. */
    __atomic_store_n(&state[p->id], htole32(IVSHMEM2_STATE_RESET),
                     __ATOMIC_RELEASE);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);

    TAILQ_FOREACH(o, &s->peers, next) {
        /* A peer that never got any of its eventfds never knew it. */
        if (peer_drop_event_fds(s, o, p->id) == s->args->vectors) {
            continue;
        }
        peer_enqueue(s, o, true, IVSHMEM2_MSG_PEER_GONE, p->id, &msg,
                     sizeof(msg), -1);
        peer_flush(s, o);
    }
    IVSHMEM2_INFO("peer %u left: %s (%u connected)", p->id, p->gone_reason,
                  s->num_peers);
    peer_free(s, p);
    listen_pause(s, false);
}

/* Remove departed peers; a removal may make others fail in turn. */
static void server_reap(Ivshmem2Server *s)
{
    Ivshmem2Peer *p;
    bool again = true;

    while (again) {
        again = false;
        TAILQ_FOREACH(p, &s->peers, next) {
            if (p->gone) {
                peer_remove(s, p);
                again = true;
                break;
            }
        }
    }
}

/*
 * The ID for a newcomer: the lowest free one that is not quarantined. A
 * departed peer may still be alive (dropped by the server, or it closed the
 * socket but not its mapping) and write the output section of its ID for a
 * while, so a freed ID waits --id-quarantine seconds. When only quarantined
 * IDs are free, the one free the longest is taken: a full group still admits
 * a newcomer; then *@quarantined is set and *@waited says how long that ID
 * was free (ms).
 */
static int pick_free_id(const Ivshmem2Server *s, bool *quarantined,
                        uint64_t *waited)
{
    uint64_t now = monotonic_ns();
    uint64_t quarantine = (uint64_t)s->args->id_quarantine * 1000000000;
    uint64_t oldest_at = UINT64_MAX;
    int oldest = -1;
    uint32_t id;

    *quarantined = false;
    *waited = 0;
    for (id = 0; id < s->args->max_peers; id++) {
        uint64_t at = s->freed_at[id];

        if (s->peer_by_id[id]) {
            continue;
        }
        if (!at || now - at >= quarantine) {
            return (int)id;
        }
        if (at < oldest_at) {
            oldest_at = at;
            oldest = (int)id;
        }
    }
    if (oldest >= 0) {
        *quarantined = true;
        *waited = (now - oldest_at) / 1000000;
    }
    return oldest;
}

static Ivshmem2Peer *peer_new(Ivshmem2Server *s, int sock, uint32_t id)
{
    Ivshmem2Peer *p = calloc(1, sizeof(*p));
    uint32_t v;

    if (!p) {
        return NULL;
    }
    p->sock = sock;
    p->id = id;
    p->generation = ++s->generation ? s->generation : ++s->generation;
    TAILQ_INIT(&p->queue);
    p->first_about = calloc(s->args->max_peers, sizeof(*p->first_about));
    p->eventfds = malloc(sizeof(int) * s->args->vectors);
    if (!p->first_about || !p->eventfds) {
        goto fail;
    }
    for (v = 0; v < s->args->vectors; v++) {
        p->eventfds[v] = -1;
    }
    for (v = 0; v < s->args->vectors; v++) {
        p->eventfds[v] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (p->eventfds[v] < 0) {
            goto fail;
        }
    }
    return p;

fail:
    p->sock = -1;   /* the caller still owns it */
    peer_free(s, p);
    return NULL;
}

/* A new connection: spec section 5, "Order of messages". */
static void peer_join(Ivshmem2Server *s, int sock)
{
    struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP };
    Ivshmem2Peer *p, *o;
    bool quarantined;
    uint64_t waited;
    int id;

    id = pick_free_id(s, &quarantined, &waited);
    if (id < 0) {
        IVSHMEM2_WARNING("group full (%u peers): new connection refused",
                         s->args->max_peers);
        close(sock);
        return;
    }
    p = peer_new(s, sock, (uint32_t)id);
    if (!p) {
        IVSHMEM2_ERROR("cannot set up peer %d (eventfds: %s): connection "
                       "refused", id, strerror(errno));
        close(sock);
        return;
    }
    ev.data.u64 = PEER_TAG(p);
    if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, sock, &ev) < 0) {
        IVSHMEM2_ERROR("epoll_ctl: %s: connection refused", strerror(errno));
        peer_free(s, p);
        return;
    }

    /* 1. INIT with the memory to the newcomer. */
    enqueue_init(s, p);
    /* 2. The newcomer's vectors to everyone else. */
    TAILQ_FOREACH(o, &s->peers, next) {
        enqueue_event_fds(s, o, p, true);
    }
    /* 3. Everyone's vectors, in connection order, to the newcomer. */
    TAILQ_FOREACH(o, &s->peers, next) {
        enqueue_event_fds(s, p, o, false);
    }
    /* 4. Its own vectors. */
    enqueue_event_fds(s, p, p, false);

    /* Only now is it a member of the group. */
    TAILQ_INSERT_TAIL(&s->peers, p, next);
    s->peer_by_id[p->id] = p;
    s->num_peers++;
    if (quarantined) {
        IVSHMEM2_INFO("peer %u joined (%u connected); its ID was free for "
                      "only %" PRIu64 " ms (--id-quarantine %u s), no other "
                      "was free", p->id, s->num_peers, waited,
                      s->args->id_quarantine);
    } else {
        IVSHMEM2_INFO("peer %u joined (%u connected)", p->id, s->num_peers);
    }
    IVSHMEM2_DEBUG("peer %u: INIT and %u EVENT_FDs queued, %u EVENT_FDs to "
                   "each of %u others", p->id, p->queued - 1,
                   s->args->vectors, s->num_peers - 1);

    TAILQ_FOREACH(o, &s->peers, next) {
        peer_flush(s, o);
    }
}

/* The next connection on @listen_fd, or -1 (out of fds: listening paused). */
static int server_take(Ivshmem2Server *s, int listen_fd, const char *what)
{
    int sock;

    sock = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (sock < 0) {
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
            errno == ENOMEM) {
            /* Stop polling the listener until a peer leaves. */
            IVSHMEM2_WARNING("cannot accept %s: %s; not accepting until a "
                             "peer leaves", what, strerror(errno));
            listen_pause(s, true);
        } else if (errno != EAGAIN && errno != EINTR &&
                   errno != ECONNABORTED) {
            IVSHMEM2_WARNING("cannot accept %s: %s", what, strerror(errno));
        }
    }
    return sock;
}

static void server_accept(Ivshmem2Server *s)
{
    int sock = server_take(s, s->listen_fd, "a connection");

    if (sock < 0) {
        return;
    }
    peer_join(s, sock);
    /* Released after the join: a reader of the count also sees the peer. */
    __atomic_store_n(&s->accepted, s->accepted + 1, __ATOMIC_RELEASE);
}

/*
 * An info client: one INFO with the read-only memory fd, then goodbye.
 * It never enters the peer list, so no peer hears of it.
 */
static void info_accept(Ivshmem2Server *s)
{
    const Ivshmem2ServerArgs *a = s->args;
    union {
        struct ivshmem2_msg_info msg;
        uint8_t buf[IVSHMEM2_MSG_INFO_MAX_LEN];
    } u;
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int))];
    } ctl;
    struct iovec iov = { .iov_base = u.buf };
    struct msghdr mh = {
        .msg_iov = &iov,
        .msg_iovlen = 1,
        .msg_control = ctl.buf,
        .msg_controllen = sizeof(ctl.buf),
    };
    struct cmsghdr *c;
    const Ivshmem2Peer *p;
    uint32_t *ids = (uint32_t *)(u.buf + sizeof(u.msg));
    size_t len = sizeof(u.msg) + s->num_peers * sizeof(uint32_t);
    ssize_t n;
    int sock;

    sock = server_take(s, s->info_fd, "an info client");
    if (sock < 0) {
        return;
    }
    u.msg = (struct ivshmem2_msg_info) {
        .header.type = htole32(IVSHMEM2_MSG_INFO),
        .header.len = htole32((uint32_t)len),
        .version = htole32(IVSHMEM2_PROTOCOL_VERSION),
        .compatible_version = htole32(IVSHMEM2_PROTOCOL_VERSION),
        .max_peers = htole32(a->max_peers),
        .vectors = htole32(a->vectors),
        .protocol = htole32(a->protocol),
        .backend = htole32(a->backend == IVSHMEM2_SHM_POSIX ?
                           IVSHMEM2_INFO_BACKEND_POSIX :
                           a->backend == IVSHMEM2_SHM_DIR ?
                           IVSHMEM2_INFO_BACKEND_DIR :
                           IVSHMEM2_INFO_BACKEND_MEMFD),
        .shm_size = htole64(s->layout.shm_size),
        .output_section_size = htole64(s->layout.output_section_size),
        .page_size = htole64(s->shm->page_size),
        .num_peers = htole32(s->num_peers),
        .numa_node = htole32(s->shm->numa_node < 0 ?
                             IVSHMEM2_INFO_NO_NUMA_NODE :
                             (uint32_t)s->shm->numa_node),
    };
    TAILQ_FOREACH(p, &s->peers, next) {
        *ids++ = htole32(p->id);
    }
    iov.iov_len = len;
    memset(&ctl, 0, sizeof(ctl));
    c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &s->info_shm_fd, sizeof(int));
    /* One datagram; a fresh socket's buffer takes its few KiB at once. */
    n = sendmsg(sock, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n != (ssize_t)len) {
        IVSHMEM2_WARNING("info client: %s", n < 0 ? strerror(errno) :
                         "message cut short");
    } else {
        IVSHMEM2_DEBUG("info client served (%u peers connected)",
                       s->num_peers);
    }
    close(sock);
}

static Ivshmem2Peer *peer_from_tag(Ivshmem2Server *s, uint64_t tag)
{
    uint32_t id = (uint32_t)tag;
    Ivshmem2Peer *p;

    if (id >= s->args->max_peers) {
        return NULL;
    }
    p = s->peer_by_id[id];
    /* An event for a closed connection whose ID is already reused. */
    if (!p || p->generation != (uint32_t)(tag >> 32)) {
        return NULL;
    }
    return p;
}

static void peer_event(Ivshmem2Server *s, Ivshmem2Peer *p, uint32_t events)
{
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
        /* Peers never send: any data or EOF means it left. */
        peer_mark_gone(p, events & EPOLLIN && !(events & EPOLLRDHUP) ?
                       "sent data or closed (peers must not send)" :
                       "disconnected");
        return;
    }
    if (events & EPOLLOUT) {
        peer_flush(s, p);
    }
}

int ivshmem2_server_init(Ivshmem2Server *s, const Ivshmem2ServerArgs *args,
                         const struct ivshmem2_layout *layout,
                         Ivshmem2Shm *shm)
{
    memset(s, 0, sizeof(*s));
    s->args = args;
    s->layout = *layout;
    s->shm = shm;
    s->queue_limit = ivshmem2_options_queue_limit(args);
    s->listen_fd = -1;
    s->info_fd = -1;
    s->info_shm_fd = -1;
    s->epoll_fd = -1;
    s->signal_fd = -1;
    TAILQ_INIT(&s->peers);
    s->peer_by_id = calloc(args->max_peers, sizeof(*s->peer_by_id));
    s->freed_at = calloc(args->max_peers, sizeof(*s->freed_at));
    s->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (!s->peer_by_id || !s->freed_at || s->wake_fd < 0) {
        free(s->peer_by_id);
        s->peer_by_id = NULL;
        free(s->freed_at);
        s->freed_at = NULL;
        if (s->wake_fd >= 0) {
            close(s->wake_fd);
        }
        s->wake_fd = -1;
        return -1;
    }
    return 0;
}

/*
 * Does /proc/net/unix list a listening socket bound to @path? Answers
 * without connecting, which would briefly make us a peer of that group.
 */
static bool socket_listed_as_listening(const char *path)
{
    char line[PATH_MAX + 128];
    bool found = false;
    FILE *f = fopen("/proc/net/unix", "re");

    if (!f) {
        return false;
    }
    while (!found && fgets(line, sizeof(line), f)) {
        unsigned long flags;
        int pos = 0;
        size_t len;

        /* Num RefCount Protocol Flags Type St Inode Path */
        if (sscanf(line, "%*s %*s %*s %lx %*s %*s %*s %n", &flags, &pos) < 1 ||
            pos == 0) {
            continue;
        }
        len = strcspn(line + pos, "\n");
        found = (flags & 0x10000) && len == strlen(path) &&
                strncmp(line + pos, path, len) == 0;   /* __SO_ACCEPTCON */
    }
    fclose(f);
    return found;
}

/*
 * Is a server answering on @path, a socket of @type? 1 yes, 0 no (stale),
 * -1 error.
 */
static int socket_is_live(const char *path, int type, char *err,
                          size_t errlen)
{
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    int fd, ret;

    if (socket_listed_as_listening(path)) {
        return 1;
    }

    fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    strncpy(sun.sun_path, path, sizeof(sun.sun_path) - 1);
    ret = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
    close(fd);
    if (ret == 0) {
        return 1;
    }
    if (errno == ECONNREFUSED) {
        return 0;
    }
    snprintf(err, errlen, "socket %s: cannot tell whether a server uses it: "
             "%s", path, strerror(errno));
    return -1;
}

/*
 * Listen on @path with a socket of @type: refuse a live server's socket or
 * a non-socket, replace a stale socket file. Returns the socket (and the
 * file's identity in @dev, @ino) or -1 with one line in @err.
 */
static int listen_socket(const char *path, int type, dev_t *dev, ino_t *ino,
                         char *err, size_t errlen)
{
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    struct stat st;
    int fd, live;

    if (strlen(path) >= sizeof(sun.sun_path)) {
        snprintf(err, errlen, "socket path %s: longer than %zu bytes", path,
                 sizeof(sun.sun_path) - 1);
        return -1;
    }
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            snprintf(err, errlen, "socket path %s exists and is not a socket",
                     path);
            return -1;
        }
        live = socket_is_live(path, type, err, errlen);
        if (live < 0) {
            return -1;
        }
        if (live) {
            snprintf(err, errlen, "another server is already listening on %s",
                     path);
            return -1;
        }
        if (unlink(path) < 0) {
            snprintf(err, errlen, "cannot remove stale socket %s: %s", path,
                     strerror(errno));
            return -1;
        }
        IVSHMEM2_INFO("removed stale socket %s", path);
    }
    strncpy(sun.sun_path, path, sizeof(sun.sun_path) - 1);
    fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
        snprintf(err, errlen, "cannot bind %s: %s", path, strerror(errno));
        goto fail;
    }
    if (stat(path, &st) == 0) {
        *dev = st.st_dev;
        *ino = st.st_ino;
    }
    if (listen(fd, SOMAXCONN) < 0) {
        snprintf(err, errlen, "cannot listen on %s: %s", path,
                 strerror(errno));
        unlink(path);
        goto fail;
    }
    return fd;

fail:
    close(fd);
    return -1;
}

/* Close a socket of listen_socket() and remove its file if still ours. */
static void close_socket(int *fd, const char *path, dev_t dev, ino_t ino)
{
    struct stat st;

    if (*fd < 0) {
        return;
    }
    close(*fd);
    *fd = -1;
    /* Remove the file only if it is still ours, not a successor's. */
    if (stat(path, &st) == 0 && st.st_dev == dev && st.st_ino == ino) {
        unlink(path);
    }
}

/*
 * The info socket and the fd it hands out: the memory reopened read-only
 * through /proc (works for every backend, an unlinked file included), so
 * an info client can map it PROT_READ only. The socket is SOCK_SEQPACKET:
 * a stream client (a peer given the wrong path) cannot connect to it, and
 * an info client given the peer socket cannot connect there either, so
 * neither mistake ever makes anyone a peer.
 */
static int info_start(Ivshmem2Server *s, char *err, size_t errlen)
{
    const char *path = s->args->info_socket_path;
    char proc[64];

    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", s->shm->fd);
    s->info_shm_fd = open(proc, O_RDONLY | O_CLOEXEC);
    if (s->info_shm_fd < 0) {
        snprintf(err, errlen, "-I/--info-socket: cannot reopen the memory "
                 "read-only (%s): %s", proc, strerror(errno));
        return -1;
    }
    s->info_fd = listen_socket(path, SOCK_SEQPACKET, &s->info_dev,
                               &s->info_ino, err, errlen);
    return s->info_fd < 0 ? -1 : 0;
}

int ivshmem2_server_start(Ivshmem2Server *s, char *err, size_t errlen)
{
    const char *info = s->args->info_socket_path;

    /* The info socket first: whoever sees the peer socket finds it too. */
    if (info && info_start(s, err, errlen) < 0) {
        goto fail;
    }
    s->listen_fd = listen_socket(s->args->socket_path, SOCK_STREAM,
                                 &s->socket_dev, &s->socket_ino, err, errlen);
    if (s->listen_fd < 0) {
        goto fail;
    }
    return 0;

fail:
    if (info) {
        close_socket(&s->info_fd, info, s->info_dev, s->info_ino);
    }
    if (s->info_shm_fd >= 0) {
        close(s->info_shm_fd);
        s->info_shm_fd = -1;
    }
    return -1;
}

static int epoll_add(Ivshmem2Server *s, int fd, uint64_t tag)
{
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };

    return epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, fd, &ev);
}

int ivshmem2_server_run(Ivshmem2Server *s, const sigset_t *quit_signals)
{
    struct epoll_event events[EPOLL_BATCH];
    int i, n;

    s->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (s->epoll_fd < 0) {
        IVSHMEM2_ERROR("epoll_create1: %s", strerror(errno));
        return -1;
    }
    if (quit_signals) {
        s->signal_fd = signalfd(-1, quit_signals, SFD_NONBLOCK | SFD_CLOEXEC);
        if (s->signal_fd < 0 || epoll_add(s, s->signal_fd, TAG_SIGNAL) < 0) {
            IVSHMEM2_ERROR("signalfd: %s", strerror(errno));
            return -1;
        }
    }
    if (epoll_add(s, s->wake_fd, TAG_WAKE) < 0 ||
        epoll_add(s, s->listen_fd, TAG_LISTEN) < 0 ||
        (s->info_fd >= 0 && epoll_add(s, s->info_fd, TAG_INFO) < 0)) {
        IVSHMEM2_ERROR("epoll_ctl: %s", strerror(errno));
        return -1;
    }
    IVSHMEM2_INFO("listening on %s", s->args->socket_path);
    if (s->info_fd >= 0) {
        IVSHMEM2_INFO("info socket (read-only inspection) on %s",
                      s->args->info_socket_path);
    }

    for (;;) {
        n = epoll_wait(s->epoll_fd, events, EPOLL_BATCH, -1);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            IVSHMEM2_ERROR("epoll_wait: %s", strerror(errno));
            return -1;
        }
        for (i = 0; i < n; i++) {
            uint64_t tag = events[i].data.u64;
            Ivshmem2Peer *p;

            if (tag == TAG_SIGNAL) {
                struct signalfd_siginfo si;

                if (read(s->signal_fd, &si, sizeof(si)) == sizeof(si)) {
                    IVSHMEM2_INFO("signal %u: shutting down", si.ssi_signo);
                    return 0;
                }
            } else if (tag == TAG_WAKE) {
                IVSHMEM2_INFO("stop requested: shutting down");
                return 0;
            } else if (tag == TAG_LISTEN) {
                server_accept(s);
            } else if (tag == TAG_INFO) {
                info_accept(s);
            } else if ((p = peer_from_tag(s, tag)) != NULL) {
                peer_event(s, p, events[i].events);
            }
            server_reap(s);
        }
    }
}

void ivshmem2_server_stop(Ivshmem2Server *s)
{
    uint64_t one = 1;
    ssize_t ret;

    ret = write(s->wake_fd, &one, sizeof(one));
    (void)ret;
}

void ivshmem2_server_close(Ivshmem2Server *s)
{
    Ivshmem2Peer *p;

    while ((p = TAILQ_FIRST(&s->peers)) != NULL) {
        TAILQ_REMOVE(&s->peers, p, next);
        peer_free(s, p);
    }
    free(s->peer_by_id);
    s->peer_by_id = NULL;
    free(s->freed_at);
    s->freed_at = NULL;
    s->num_peers = 0;
    close_socket(&s->listen_fd, s->args->socket_path, s->socket_dev,
                 s->socket_ino);
    close_socket(&s->info_fd, s->args->info_socket_path, s->info_dev,
                 s->info_ino);
    if (s->info_shm_fd >= 0) {
        close(s->info_shm_fd);
        s->info_shm_fd = -1;
    }
    if (s->signal_fd >= 0) {
        close(s->signal_fd);
        s->signal_fd = -1;
    }
    if (s->epoll_fd >= 0) {
        close(s->epoll_fd);
        s->epoll_fd = -1;
    }
    if (s->wake_fd >= 0) {
        close(s->wake_fd);
        s->wake_fd = -1;
    }
}

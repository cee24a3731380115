/*
 * Inter-VM shared memory device, version 2 (PCI 110a:4106)
 *
 * A peer of an IVSHMEM v2 group: the memory, the peer ID and one eventfd per
 * (peer, vector) come from ivshmem2-server over a UNIX socket chardev. The
 * guest sees BAR0 registers, BAR1 MSI-X and BAR2 shared memory laid out as
 * state table | R/W section | output sections. Behaviour and the choices made
 * where the specification is ambiguous: device/README.md.
 *
 * Copyright (c) 2026 The ivshmem2 authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <sys/ioctl.h>
#include "qemu/cutils.h"
#include "qemu/error-report.h"
#include "qemu/event_notifier.h"
#include "qemu/log.h"
#include "qemu/main-loop.h"
#include "qemu/module.h"
#include "qapi/error.h"
#include "hw/pci/pci.h"
#include "hw/pci/msix.h"
#include "hw/qdev-properties.h"
#include "hw/qdev-properties-system.h"
#include "chardev/char-fe.h"
#include "chardev/char-socket.h"
#include "io/channel-socket.h"
#include "migration/blocker.h"
#include "qom/object.h"

#include "ivshmem2/regs.h"
#include "ivshmem2/shmem.h"
#include "ivshmem2/wire.h"

#define TYPE_IVSHMEM2 "ivshmem2"
OBJECT_DECLARE_SIMPLE_TYPE(IVShmem2State, IVSHMEM2)

/* The seed's spelling, kept for existing command lines. */
#define TYPE_IVSHMEM2_SEED_NAME "ivshmem"

/* How long realize waits for each setup message of the server. */
#define IVSHMEM2_SETUP_TIMEOUT_MS   10000

/*
 * Doorbells beyond this many (peer, vector) pairs use the MMIO path: KVM
 * limits ioeventfds per bus and aborts QEMU when the limit is hit.
 */
#define IVSHMEM2_IOEVENTFD_BUDGET   256

typedef struct IVShmem2Peer {
    uint32_t nb_eventfds;       /* vectors 0..nb_eventfds-1 are known */
    uint32_t nb_ioeventfds;     /* the first ones are also ioeventfds */
    EventNotifier *eventfds;    /* [vectors], allocated on first use */
} IVShmem2Peer;

typedef struct IVShmem2Vector {
    IVShmem2State *s;
    uint32_t index;
} IVShmem2Vector;

struct IVShmem2State {
    PCIDevice parent_obj;

    /* properties */
    CharBackend server_chr;
    bool ioeventfd;
    OnOffAuto master;

    /* from the server's INIT message */
    uint32_t id;
    uint32_t max_peers;
    uint32_t vectors;
    uint16_t protocol;
    struct ivshmem2_layout layout;

    /* registers */
    uint32_t intctrl;
    uint32_t state;
    uint8_t cap_offset;         /* of the vendor capability */

    MemoryRegion regs;          /* BAR0 */
    MemoryRegion shm;           /* the server's memory, never mapped itself */
    MemoryRegion shm_bar;       /* BAR2: a container of the views below */
    MemoryRegion state_table;   /* read-only */
    MemoryRegion rw_section;
    MemoryRegion input_sections;    /* every output section, read-only */
    MemoryRegion output_section;    /* the own one, writable, on top */
    uint8_t *shm_ptr;

    IVShmem2Peer *peers;        /* [max_peers] */
    IVShmem2Vector *msi_vectors;    /* [vectors] */
    uint32_t nb_ioeventfds;
    bool msix_ready;
    bool bars_ready;

    /* message being received from the server after realize */
    uint8_t msg_buf[IVSHMEM2_MSG_MAX_LEN];
    uint32_t msg_len;
    uint32_t msg_total;
    int msg_fd;
    bool server_lost;

    Error *migration_blocker;
};

/* Interrupts */

static bool ivshmem2_oneshot(IVShmem2State *s)
{
    PCIDevice *pdev = PCI_DEVICE(s);

    return pdev->config[s->cap_offset + IVSHMEM2_CAP_OFF_PRIV_CTRL] &
           IVSHMEM2_PRIV_CTRL_ONESHOT;
}

/*
 * Deliver @vector to the guest if it enabled interrupts. There is no INTx:
 * without MSI-X enabled the event is dropped (it lives in shared memory).
 */
static void ivshmem2_raise(IVShmem2State *s, uint32_t vector)
{
    PCIDevice *pdev = PCI_DEVICE(s);

    if (!(s->intctrl & IVSHMEM2_INT_CONTROL_ENABLE) || !msix_enabled(pdev)) {
        return;
    }
    if (ivshmem2_oneshot(s)) {
        s->intctrl &= ~IVSHMEM2_INT_CONTROL_ENABLE;
    }
    msix_notify(pdev, vector);
}

static void ivshmem2_vector_notify(void *opaque)
{
    IVShmem2Vector *v = opaque;
    IVShmem2State *s = v->s;

    if (event_notifier_test_and_clear(&s->peers[s->id].eventfds[v->index])) {
        ivshmem2_raise(s, v->index);
    }
}

static void ivshmem2_msix_vector_use(IVShmem2State *s)
{
    uint32_t i;

    for (i = 0; i < s->vectors; i++) {
        msix_vector_use(PCI_DEVICE(s), i);
    }
}

/* Peers and their eventfds */

static bool ivshmem2_peer_active(IVShmem2State *s, uint32_t id)
{
    return id < s->max_peers && s->peers[id].nb_eventfds > 0;
}

static void ivshmem2_signal(IVShmem2State *s, uint32_t id, uint32_t vector)
{
    if (ivshmem2_peer_active(s, id) && vector < s->peers[id].nb_eventfds) {
        event_notifier_set(&s->peers[id].eventfds[vector]);
    }
}

static void ivshmem2_ioeventfd_update(IVShmem2State *s, uint32_t id,
                                      uint32_t vector, bool add)
{
    EventNotifier *e = &s->peers[id].eventfds[vector];
    uint32_t match = IVSHMEM2_DOORBELL(id, vector);

    if (add) {
        memory_region_add_eventfd(&s->regs, IVSHMEM2_REG_DOORBELL, 4, true,
                                  match, e);
    } else {
        memory_region_del_eventfd(&s->regs, IVSHMEM2_REG_DOORBELL, 4, true,
                                  match, e);
    }
}

static void ivshmem2_remove_peer(IVShmem2State *s, uint32_t id)
{
    IVShmem2Peer *peer = &s->peers[id];
    uint32_t i;

    memory_region_transaction_begin();
    for (i = 0; i < peer->nb_ioeventfds; i++) {
        ivshmem2_ioeventfd_update(s, id, i, false);
    }
    memory_region_transaction_commit();
    s->nb_ioeventfds -= peer->nb_ioeventfds;
    peer->nb_ioeventfds = 0;

    for (i = 0; i < peer->nb_eventfds; i++) {
        if (id == s->id) {
            qemu_set_fd_handler(event_notifier_get_fd(&peer->eventfds[i]),
                                NULL, NULL, NULL);
        }
        event_notifier_cleanup(&peer->eventfds[i]);
    }
    peer->nb_eventfds = 0;
    g_free(peer->eventfds);
    peer->eventfds = NULL;
}

static bool ivshmem2_fd_is_eventfd(int fd)
{
    g_autofree char *link = g_strdup_printf("/proc/self/fd/%d", fd);
    g_autofree char *target = g_file_read_link(link, NULL);

    /* Without /proc the check is skipped rather than failing every peer. */
    return !target || strcmp(target, "anon_inode:[eventfd]") == 0;
}

/* Takes ownership of @fd. */
static void ivshmem2_add_peer_vector(IVShmem2State *s, uint32_t id,
                                     uint32_t vector, int fd, Error **errp)
{
    IVShmem2Peer *peer;
    EventNotifier *e;

    if (id >= s->max_peers) {
        error_setg(errp, "eventfd for peer %" PRIu32 ", but the group has "
                   "%" PRIu32 " peers", id, s->max_peers);
        goto fail;
    }
    peer = &s->peers[id];
    if (vector != peer->nb_eventfds || vector >= s->vectors) {
        error_setg(errp, "eventfd for vector %" PRIu32 " of peer %" PRIu32
                   " out of order (expected vector %" PRIu32 " of %" PRIu32
                   ")", vector, id, peer->nb_eventfds, s->vectors);
        goto fail;
    }
    if (!ivshmem2_fd_is_eventfd(fd)) {
        error_setg(errp, "fd for vector %" PRIu32 " of peer %" PRIu32
                   " is not an eventfd", vector, id);
        goto fail;
    }
    /* Signalling a peer must never block QEMU. */
    if (!g_unix_set_fd_nonblocking(fd, true, NULL)) {
        error_setg_errno(errp, errno, "cannot make eventfd non-blocking");
        goto fail;
    }

    if (!peer->eventfds) {
        peer->eventfds = g_new0(EventNotifier, s->vectors);
    }
    e = &peer->eventfds[vector];
    event_notifier_init_fd(e, fd);
    peer->nb_eventfds++;

    if (id == s->id) {
        qemu_set_fd_handler(fd, ivshmem2_vector_notify, NULL,
                            &s->msi_vectors[vector]);
    }
    /* ioeventfds stay a prefix of the peer's vectors. */
    if (s->ioeventfd && peer->nb_ioeventfds == vector &&
        s->nb_ioeventfds < IVSHMEM2_IOEVENTFD_BUDGET) {
        ivshmem2_ioeventfd_update(s, id, vector, true);
        peer->nb_ioeventfds++;
        s->nb_ioeventfds++;
    }
    return;

fail:
    close(fd);
}

/* Registers (BAR0) */

static void ivshmem2_set_state(IVShmem2State *s, uint32_t val)
{
    uint32_t old = s->state;
    uint32_t i;

    s->state = val;
    stl_le_p(s->shm_ptr + (uint64_t)s->id * IVSHMEM2_STATE_ENTRY_SIZE, val);
    /* The new entry is visible before any peer takes the interrupt. */
    smp_mb();
    if (val == old) {
        return;
    }
    for (i = 0; i < s->max_peers; i++) {
        if (i != s->id) {
            ivshmem2_signal(s, i, IVSHMEM2_VECTOR_STATE);
        }
    }
}

/* Doorbells that no ioeventfd matched. The vector has all 16 bits. */
static void ivshmem2_ring(IVShmem2State *s, uint32_t val)
{
    uint32_t id = IVSHMEM2_DOORBELL_PEER(val);
    uint32_t vector = IVSHMEM2_DOORBELL_VECTOR(val);

    if (id >= s->max_peers || vector >= s->vectors) {
        qemu_log_mask(LOG_GUEST_ERROR, "ivshmem2: doorbell to peer %" PRIu32
                      " vector %" PRIu32 " outside the group (%" PRIu32
                      " peers, %" PRIu32 " vectors)\n", id, vector,
                      s->max_peers, s->vectors);
        return;
    }
    /* A peer that is gone (or not yet there) silently drops it. */
    ivshmem2_signal(s, id, vector);
}

static uint64_t ivshmem2_regs_read(void *opaque, hwaddr addr, unsigned size)
{
    IVShmem2State *s = opaque;

    switch (addr) {
    case IVSHMEM2_REG_ID:
        return s->id;
    case IVSHMEM2_REG_MAX_PEERS:
        return s->max_peers;
    case IVSHMEM2_REG_INT_CONTROL:
        return s->intctrl;
    case IVSHMEM2_REG_STATE:
        return s->state;
    default:
        /* DOORBELL is write-only; holes read as zero. */
        return 0;
    }
}

static void ivshmem2_regs_write(void *opaque, hwaddr addr, uint64_t val,
                                unsigned size)
{
    IVShmem2State *s = opaque;

    switch (addr) {
    case IVSHMEM2_REG_INT_CONTROL:
        s->intctrl = val & IVSHMEM2_INT_CONTROL_ENABLE;
        break;
    case IVSHMEM2_REG_DOORBELL:
        ivshmem2_ring(s, val);
        break;
    case IVSHMEM2_REG_STATE:
        ivshmem2_set_state(s, val);
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR, "ivshmem2: write of 0x%" PRIx64
                      " to read-only or unknown register 0x%" HWADDR_PRIx
                      " ignored\n", val, addr);
        break;
    }
}

static const MemoryRegionOps ivshmem2_regs_ops = {
    .read = ivshmem2_regs_read,
    .write = ivshmem2_regs_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    /* Only aligned 32-bit accesses exist; others are rejected. */
    .valid = {
        .min_access_size = 4,
        .max_access_size = 4,
    },
    .impl = {
        .min_access_size = 4,
        .max_access_size = 4,
    },
};

/* Messages from the server */

static void ivshmem2_peer_gone(IVShmem2State *s, uint32_t id, Error **errp)
{
    if (id == s->id) {
        error_setg(errp, "server says this peer (%" PRIu32 ") is gone", id);
        return;
    }
    if (!ivshmem2_peer_active(s, id)) {
        error_setg(errp, "server says unknown peer %" PRIu32 " is gone", id);
        return;
    }
    ivshmem2_remove_peer(s, id);
    /* The server already cleared its state entry: tell the guest. */
    ivshmem2_raise(s, IVSHMEM2_VECTOR_STATE);
}

/* Handles one complete message after INIT. Takes ownership of @fd. */
static void ivshmem2_process_msg(IVShmem2State *s, const uint8_t *buf,
                                 uint32_t len, int fd, Error **errp)
{
    uint32_t type = ldl_le_p(buf + offsetof(struct ivshmem2_msg_header, type));

    switch (type) {
    case IVSHMEM2_MSG_EVENT_FD:
        if (len < sizeof(struct ivshmem2_msg_event_fd)) {
            error_setg(errp, "EVENT_FD message of %" PRIu32 " bytes is too "
                       "short", len);
            break;
        }
        if (fd < 0) {
            error_setg(errp, "EVENT_FD message without an eventfd");
            break;
        }
        ivshmem2_add_peer_vector(s,
            ldl_le_p(buf + offsetof(struct ivshmem2_msg_event_fd, id)),
            ldl_le_p(buf + offsetof(struct ivshmem2_msg_event_fd, vector)),
            fd, errp);
        return;
    case IVSHMEM2_MSG_PEER_GONE:
        if (len < sizeof(struct ivshmem2_msg_peer_gone)) {
            error_setg(errp, "PEER_GONE message of %" PRIu32 " bytes is too "
                       "short", len);
            break;
        }
        ivshmem2_peer_gone(s,
            ldl_le_p(buf + offsetof(struct ivshmem2_msg_peer_gone, id)),
            errp);
        break;
    case IVSHMEM2_MSG_INIT:
        error_setg(errp, "unexpected second INIT message");
        break;
    default:
        /* Unknown types are skipped: room for extensions. */
        warn_report("ivshmem2: ignoring server message of unknown type %"
                    PRIu32, type);
        break;
    }
    if (fd >= 0) {
        close(fd);
    }
}

/* Length of the message whose header is in @buf, or 0 if it is invalid. */
static uint32_t ivshmem2_msg_length(const uint8_t *buf, Error **errp)
{
    uint32_t len = ldl_le_p(buf + offsetof(struct ivshmem2_msg_header, len));

    if (len < sizeof(struct ivshmem2_msg_header)) {
        error_setg(errp, "server message of %" PRIu32 " bytes is shorter than "
                   "its header", len);
        return 0;
    }
    if (len > IVSHMEM2_MSG_MAX_LEN) {
        error_setg(errp, "server message of %" PRIu32 " bytes exceeds %u",
                   len, IVSHMEM2_MSG_MAX_LEN);
        return 0;
    }
    return len;
}

/* Keeps the fd that came with the message being received (at most one). */
static void ivshmem2_take_msgfd(IVShmem2State *s, int *msg_fd)
{
    int fd = qemu_chr_fe_get_msgfd(&s->server_chr);

    if (fd < 0) {
        return;
    }
    if (*msg_fd >= 0) {
        warn_report("ivshmem2: server sent two fds with one message");
        close(fd);
        return;
    }
    *msg_fd = fd;
}

static void ivshmem2_server_lost(IVShmem2State *s, const char *why)
{
    if (s->server_lost) {
        return;
    }
    s->server_lost = true;
    if (s->msg_fd >= 0) {
        close(s->msg_fd);
        s->msg_fd = -1;
    }
    /* Known peers stay reachable; nobody reports their departure now. */
    warn_report("ivshmem2: %s; ignoring the server from now on", why);
}

static int ivshmem2_can_receive(void *opaque)
{
    IVShmem2State *s = opaque;

    if (s->server_lost) {
        return 0;
    }
    if (s->msg_len < sizeof(struct ivshmem2_msg_header)) {
        return sizeof(struct ivshmem2_msg_header) - s->msg_len;
    }
    return s->msg_total - s->msg_len;
}

static void ivshmem2_receive(void *opaque, const uint8_t *buf, int size)
{
    IVShmem2State *s = opaque;
    Error *err = NULL;
    int fd;

    if (s->server_lost || size > ivshmem2_can_receive(s)) {
        ivshmem2_server_lost(s, "server message framing lost");
        return;
    }
    memcpy(s->msg_buf + s->msg_len, buf, size);
    s->msg_len += size;
    ivshmem2_take_msgfd(s, &s->msg_fd);

    if (s->msg_len == sizeof(struct ivshmem2_msg_header)) {
        s->msg_total = ivshmem2_msg_length(s->msg_buf, &err);
        if (!s->msg_total) {
            error_report_err(err);
            ivshmem2_server_lost(s, "invalid server message");
            return;
        }
    }
    if (s->msg_len < sizeof(struct ivshmem2_msg_header) ||
        s->msg_len < s->msg_total) {
        return;
    }

    fd = s->msg_fd;
    s->msg_fd = -1;
    s->msg_len = 0;
    ivshmem2_process_msg(s, s->msg_buf, s->msg_total, fd, &err);
    if (err) {
        error_prepend(&err, "ivshmem2: message ignored: ");
        error_report_err(err);
    }
}

static void ivshmem2_chr_event(void *opaque, QEMUChrEvent event)
{
    IVShmem2State *s = opaque;

    if (event == CHR_EVENT_CLOSED) {
        ivshmem2_server_lost(s, "connection to the server lost");
    }
}

/* Synchronous setup in realize */

/*
 * Waits until the server sent something; returns how many bytes are queued
 * (0 at end of file) or -1. A server that stalls cannot hang realize.
 */
static int ivshmem2_wait_readable(IVShmem2State *s, Error **errp)
{
    SocketChardev *sc = SOCKET_CHARDEV(qemu_chr_fe_get_driver(&s->server_chr));
    GPollFD pfd = { .fd = sc->sioc->fd, .events = G_IO_IN };
    int ret, avail = 0;

    do {
        ret = g_poll(&pfd, 1, IVSHMEM2_SETUP_TIMEOUT_MS);
    } while (ret < 0 && errno == EINTR);
    if (ret < 0) {
        error_setg_errno(errp, errno, "waiting for the server failed");
        return -1;
    }
    if (ret == 0) {
        error_setg(errp, "server sent nothing for %d ms",
                   IVSHMEM2_SETUP_TIMEOUT_MS);
        return -1;
    }
    if (ioctl(pfd.fd, FIONREAD, &avail) < 0) {
        error_setg_errno(errp, errno, "cannot query the server socket");
        return -1;
    }
    return avail;
}

static bool ivshmem2_read_sync(IVShmem2State *s, uint8_t *buf, uint32_t len,
                               int *fd, Error **errp)
{
    int avail, ret;

    while (len) {
        avail = ivshmem2_wait_readable(s, errp);
        if (avail < 0) {
            return false;
        }
        if (avail == 0) {
            error_setg(errp, "server closed the connection during setup");
            return false;
        }
        ret = qemu_chr_fe_read_all(&s->server_chr, buf, MIN(len, avail));
        if (ret <= 0) {
            error_setg(errp, "reading from the server failed during setup");
            return false;
        }
        ivshmem2_take_msgfd(s, fd);
        buf += ret;
        len -= ret;
    }
    return true;
}

/* Receives one whole message into @buf; returns its length or 0. */
static uint32_t ivshmem2_recv_sync(IVShmem2State *s, uint8_t *buf, int *fd,
                                   Error **errp)
{
    const uint32_t hdr = sizeof(struct ivshmem2_msg_header);
    uint32_t len;

    *fd = -1;
    if (!ivshmem2_read_sync(s, buf, hdr, fd, errp)) {
        goto fail;
    }
    len = ivshmem2_msg_length(buf, errp);
    if (!len || !ivshmem2_read_sync(s, buf + hdr, len - hdr, fd, errp)) {
        goto fail;
    }
    return len;

fail:
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
    return 0;
}

/* Decodes INIT (little-endian on the wire) into host byte order. */
static void ivshmem2_decode_init(struct ivshmem2_msg_init *m,
                                 const uint8_t *buf, uint32_t len)
{
    memset(m, 0, sizeof(*m));
    memcpy(m, buf, MIN(len, sizeof(*m)));
    le32_to_cpus(&m->header.type);
    le32_to_cpus(&m->header.len);
    le32_to_cpus(&m->version);
    le32_to_cpus(&m->compatible_version);
    le32_to_cpus(&m->id);
    le32_to_cpus(&m->max_peers);
    le32_to_cpus(&m->vectors);
    le32_to_cpus(&m->protocol);
    le64_to_cpus(&m->output_section_size);
}

/* Checks INIT with the rule every receiver shares (wire.h). */
static bool ivshmem2_check_init(IVShmem2State *s,
                                const struct ivshmem2_msg_init *m,
                                uint32_t len, int fd, Error **errp)
{
    enum ivshmem2_msg_init_error err;

    err = ivshmem2_msg_init_check(m, len, IVSHMEM2_MAX_VECTORS);
    if (err == IVSHMEM2_MSG_INIT_NOT_INIT) {
        error_setg(errp, "server sent message type %" PRIu32 " before INIT",
                   m->header.type);
        return false;
    }
    if (err == IVSHMEM2_MSG_INIT_NO_HEADER ||
        err == IVSHMEM2_MSG_INIT_LEN_MISMATCH ||
        err == IVSHMEM2_MSG_INIT_TOO_SHORT ||
        err == IVSHMEM2_MSG_INIT_TOO_LONG) {
        error_setg(errp, "INIT message of %" PRIu32 " bytes: %s", len,
                   ivshmem2_msg_init_strerror(err));
        return false;
    }
    if (err != IVSHMEM2_MSG_INIT_OK) {
        error_setg(errp, "invalid INIT: %s (version %" PRIu32
                   ", compatible_version %" PRIu32 ", ID %" PRIu32 ", %" PRIu32
                   " peers, %" PRIu32 " vectors, protocol 0x%" PRIx32
                   "; this device speaks version %u and supports up to %u "
                   "vectors)", ivshmem2_msg_init_strerror(err), m->version,
                   m->compatible_version, m->id, m->max_peers, m->vectors,
                   m->protocol, IVSHMEM2_PROTOCOL_VERSION,
                   IVSHMEM2_MAX_VECTORS);
        return false;
    }
    if (fd < 0) {
        error_setg(errp, "INIT message without a shared-memory fd");
        return false;
    }
    s->id = m->id;
    s->max_peers = m->max_peers;
    s->vectors = m->vectors;
    s->protocol = m->protocol;
    return true;
}

/* Maps the memory and computes its layout. Takes ownership of @fd. */
static bool ivshmem2_map_shm(IVShmem2State *s, int fd, uint64_t out_size,
                             Error **errp)
{
    ERRP_GUARD();
    enum ivshmem2_layout_error lerr;
    struct stat st;

    if (fstat(fd, &st) < 0) {
        error_setg_errno(errp, errno, "cannot stat the shared memory");
        goto fail;
    }
    if (!S_ISREG(st.st_mode)) {
        error_setg(errp, "shared-memory fd is not a memory file");
        goto fail;
    }
    if (st.st_size <= 0 || (uint64_t)st.st_size > IVSHMEM2_MAX_SHM_SIZE) {
        error_setg(errp, "shared memory of %" PRId64 " bytes (must be 1 to "
                   "%llu)", (int64_t)st.st_size, IVSHMEM2_MAX_SHM_SIZE);
        goto fail;
    }
    lerr = ivshmem2_layout_compute(&s->layout, st.st_size, s->max_peers,
                                   out_size, qemu_real_host_page_size());
    if (lerr != IVSHMEM2_LAYOUT_OK) {
        error_setg(errp, "bad layout (memory %" PRId64 " bytes, %" PRIu32
                   " peers, output sections %" PRIu64 " bytes): %s",
                   (int64_t)st.st_size, s->max_peers, out_size,
                   ivshmem2_layout_strerror(lerr));
        goto fail;
    }
    memory_region_init_ram_from_fd(&s->shm, OBJECT(s), "ivshmem2.shm",
                                   st.st_size, RAM_SHARED, fd, 0, errp);
    if (*errp) {
        error_prepend(errp, "cannot map the shared memory: ");
        goto fail;
    }
    /* From here the RAM block owns fd and the mapping. */
    s->shm_ptr = memory_region_get_ram_ptr(&s->shm);
    return true;

fail:
    close(fd);
    return false;
}

static bool ivshmem2_recv_init(IVShmem2State *s, Error **errp)
{
    uint8_t buf[IVSHMEM2_MSG_MAX_LEN];
    struct ivshmem2_msg_init m;
    uint32_t len;
    int fd;

    len = ivshmem2_recv_sync(s, buf, &fd, errp);
    if (!len) {
        return false;
    }
    ivshmem2_decode_init(&m, buf, len);
    if (!ivshmem2_check_init(s, &m, len, fd, errp)) {
        if (fd >= 0) {
            close(fd);
        }
        return false;
    }
    return ivshmem2_map_shm(s, fd, m.output_section_size, errp);
}

/* The server sends the other peers' vectors, then our own, right away. */
static bool ivshmem2_recv_own_vectors(IVShmem2State *s, Error **errp)
{
    ERRP_GUARD();
    uint8_t buf[IVSHMEM2_MSG_MAX_LEN];
    uint32_t len;
    int fd;

    while (s->peers[s->id].nb_eventfds < s->vectors) {
        len = ivshmem2_recv_sync(s, buf, &fd, errp);
        if (!len) {
            return false;
        }
        ivshmem2_process_msg(s, buf, len, fd, errp);
        if (*errp) {
            return false;
        }
    }
    return true;
}

/* Realize and exit */

static void ivshmem2_init_bars(IVShmem2State *s)
{
    const struct ivshmem2_layout *l = &s->layout;
    Object *obj = OBJECT(s);
    uint64_t outputs = l->output_section_size * l->max_peers;

    memory_region_init(&s->shm_bar, obj, "ivshmem2.bar2",
                       pow2ceil(l->shm_size));

    memory_region_init_ram_ptr(&s->state_table, obj, "ivshmem2.state-table",
                               l->state_table_size, s->shm_ptr);
    memory_region_set_readonly(&s->state_table, true);
    memory_region_add_subregion(&s->shm_bar, 0, &s->state_table);

    if (l->rw_section_size) {
        memory_region_init_alias(&s->rw_section, obj, "ivshmem2.rw-section",
                                 &s->shm, l->rw_section_offset,
                                 l->rw_section_size);
        memory_region_add_subregion(&s->shm_bar, l->rw_section_offset,
                                    &s->rw_section);
    }

    if (outputs) {
        memory_region_init_ram_ptr(&s->input_sections, obj,
                                   "ivshmem2.input-sections", outputs,
                                   s->shm_ptr + l->output_section_offset);
        memory_region_set_readonly(&s->input_sections, true);
        memory_region_add_subregion(&s->shm_bar, l->output_section_offset,
                                    &s->input_sections);

        memory_region_init_alias(&s->output_section, obj,
                                 "ivshmem2.output-section", &s->shm,
                                 ivshmem2_layout_output_offset(l, s->id),
                                 l->output_section_size);
        memory_region_add_subregion_overlap(&s->shm_bar,
            ivshmem2_layout_output_offset(l, s->id), &s->output_section, 1);
    }
}

/* Subregions hold references on their owner, this device: drop them. */
static void ivshmem2_uninit_bars(IVShmem2State *s)
{
    const struct ivshmem2_layout *l = &s->layout;

    memory_region_del_subregion(&s->shm_bar, &s->state_table);
    if (l->rw_section_size) {
        memory_region_del_subregion(&s->shm_bar, &s->rw_section);
    }
    if (l->output_section_size) {
        memory_region_del_subregion(&s->shm_bar, &s->input_sections);
        memory_region_del_subregion(&s->shm_bar, &s->output_section);
    }
}

static bool ivshmem2_init_config(IVShmem2State *s, Error **errp)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    uint8_t *conf = pdev->config;
    int off;

    pci_config_set_class(conf, (IVSHMEM2_PCI_BASE_CLASS << 8) |
                               (s->protocol >> 8));
    pci_config_set_prog_interface(conf, s->protocol & 0xff);

    if (msix_init_exclusive_bar(pdev, s->vectors, IVSHMEM2_BAR_MSIX, errp)) {
        error_prepend(errp, "cannot set up %" PRIu32 " MSI-X vectors: ",
                      s->vectors);
        return false;
    }
    s->msix_ready = true;
    ivshmem2_msix_vector_use(s);

    off = pci_add_capability(pdev, PCI_CAP_ID_VNDR, 0, IVSHMEM2_CAP_LEN, errp);
    if (off < 0) {
        return false;
    }
    s->cap_offset = off;
    conf[off + IVSHMEM2_CAP_OFF_LEN] = IVSHMEM2_CAP_LEN;
    conf[off + IVSHMEM2_CAP_OFF_PRIV_CTRL] = 0;
    pdev->wmask[off + IVSHMEM2_CAP_OFF_PRIV_CTRL] = IVSHMEM2_PRIV_CTRL_ONESHOT;
    pci_set_long(conf + off + IVSHMEM2_CAP_OFF_STATE_TAB_SZ,
                 s->layout.state_table_size);
    pci_set_quad(conf + off + IVSHMEM2_CAP_OFF_RW_SECTION_SZ,
                 s->layout.rw_section_size);
    pci_set_quad(conf + off + IVSHMEM2_CAP_OFF_OUTPUT_SECTION_SZ,
                 s->layout.output_section_size);
    return true;
}

static bool ivshmem2_check_chardev(IVShmem2State *s, Error **errp)
{
    Chardev *chr = qemu_chr_fe_get_driver(&s->server_chr);

    if (!chr) {
        error_setg(errp, "property 'chardev' is required");
        return false;
    }
    if (!object_dynamic_cast(OBJECT(chr), TYPE_CHARDEV_SOCKET) ||
        !qemu_chr_has_feature(chr, QEMU_CHAR_FEATURE_FD_PASS)) {
        error_setg(errp, "chardev '%s' must be a UNIX socket", chr->label);
        return false;
    }
    if (!qemu_chr_fe_backend_connected(&s->server_chr) ||
        !SOCKET_CHARDEV(chr)->sioc) {
        error_setg(errp, "chardev '%s' is not connected to the server",
                   chr->label);
        return false;
    }
    return true;
}

/* Undoes realize, also a partial one. */
static void ivshmem2_teardown(IVShmem2State *s)
{
    uint32_t i;

    qemu_chr_fe_set_handlers(&s->server_chr, NULL, NULL, NULL, NULL, NULL,
                             NULL, false);
    if (s->msg_fd >= 0) {
        close(s->msg_fd);
        s->msg_fd = -1;
    }
    if (s->migration_blocker) {
        migrate_del_blocker(s->migration_blocker);
        error_free(s->migration_blocker);
        s->migration_blocker = NULL;
    }
    if (s->peers) {
        for (i = 0; i < s->max_peers; i++) {
            ivshmem2_remove_peer(s, i);
        }
        g_free(s->peers);
        s->peers = NULL;
    }
    if (s->bars_ready) {
        ivshmem2_uninit_bars(s);
        s->bars_ready = false;
    }
    if (s->msix_ready) {
        msix_uninit_exclusive_bar(PCI_DEVICE(s));
        s->msix_ready = false;
    }
    g_free(s->msi_vectors);
    s->msi_vectors = NULL;
    /* The memory regions, with the mapping, go with the object. */
}

static void ivshmem2_realize(PCIDevice *pdev, Error **errp)
{
    ERRP_GUARD();
    IVShmem2State *s = IVSHMEM2(pdev);
    uint32_t i;

    s->msg_fd = -1;
    if (!ivshmem2_check_chardev(s, errp)) {
        return;
    }
    if (!ivshmem2_recv_init(s, errp)) {
        error_prepend(errp, "ivshmem2 server setup: ");
        return;
    }
    if (s->master == ON_OFF_AUTO_ON && s->id != 0) {
        error_setg(errp, "master=on, but the server assigned ID %" PRIu32
                   " (the master must connect first)", s->id);
        return;
    }
    if (s->master == ON_OFF_AUTO_AUTO) {
        s->master = s->id == 0 ? ON_OFF_AUTO_ON : ON_OFF_AUTO_OFF;
    }

    memory_region_init_io(&s->regs, OBJECT(s), &ivshmem2_regs_ops, s,
                          "ivshmem2.regs", IVSHMEM2_REGS_BAR_SIZE);
    s->peers = g_new0(IVShmem2Peer, s->max_peers);
    s->msi_vectors = g_new0(IVShmem2Vector, s->vectors);
    for (i = 0; i < s->vectors; i++) {
        s->msi_vectors[i] = (IVShmem2Vector) { .s = s, .index = i };
    }

    if (!ivshmem2_init_config(s, errp)) {
        goto fail;
    }
    if (!ivshmem2_recv_own_vectors(s, errp)) {
        error_prepend(errp, "ivshmem2 server setup: ");
        goto fail;
    }

    /* A peer's ID and eventfds exist only on this host's server. */
    error_setg(&s->migration_blocker, "ivshmem2 device '%s' cannot migrate: "
               "its shared memory, peer ID and eventfds belong to the "
               "ivshmem2-server on this host",
               DEVICE(s)->id ? DEVICE(s)->id : "(no id)");
    if (migrate_add_blocker(s->migration_blocker, errp) < 0) {
        error_free(s->migration_blocker);
        s->migration_blocker = NULL;
        goto fail;
    }

    ivshmem2_init_bars(s);
    s->bars_ready = true;
    pci_register_bar(pdev, IVSHMEM2_BAR_REGS, PCI_BASE_ADDRESS_SPACE_MEMORY,
                     &s->regs);
    pci_register_bar(pdev, IVSHMEM2_BAR_SHMEM,
                     PCI_BASE_ADDRESS_SPACE_MEMORY |
                     PCI_BASE_ADDRESS_MEM_PREFETCH |
                     PCI_BASE_ADDRESS_MEM_TYPE_64, &s->shm_bar);

    qemu_chr_fe_set_handlers(&s->server_chr, ivshmem2_can_receive,
                             ivshmem2_receive, ivshmem2_chr_event, NULL, s,
                             NULL, true);
    return;

fail:
    ivshmem2_teardown(s);
}

static void ivshmem2_exit(PCIDevice *pdev)
{
    ivshmem2_teardown(IVSHMEM2(pdev));
}

static void ivshmem2_reset(DeviceState *dev)
{
    IVShmem2State *s = IVSHMEM2(dev);
    PCIDevice *pdev = PCI_DEVICE(dev);

    s->intctrl = 0;
    ivshmem2_set_state(s, IVSHMEM2_STATE_RESET);
    /* One-shot mode does not survive a reset either. */
    pdev->config[s->cap_offset + IVSHMEM2_CAP_OFF_PRIV_CTRL] = 0;
    ivshmem2_msix_vector_use(s);
}

static Property ivshmem2_properties[] = {
    DEFINE_PROP_CHR("chardev", IVShmem2State, server_chr),
    DEFINE_PROP_BOOL("ioeventfd", IVShmem2State, ioeventfd, true),
    DEFINE_PROP_ON_OFF_AUTO("master", IVShmem2State, master, ON_OFF_AUTO_OFF),
    DEFINE_PROP_END_OF_LIST(),
};

static void ivshmem2_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);

    k->realize = ivshmem2_realize;
    k->exit = ivshmem2_exit;
    k->vendor_id = IVSHMEM2_PCI_VENDOR_ID;
    k->device_id = IVSHMEM2_PCI_DEVICE_ID;
    k->revision = IVSHMEM2_PCI_REVISION;
    k->class_id = IVSHMEM2_PCI_BASE_CLASS << 8;

    dc->reset = ivshmem2_reset;
    device_class_set_props(dc, ivshmem2_properties);
    dc->desc = "Inter-VM shared memory v2";
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
}

static void ivshmem2_seed_name_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);

    dc->desc = "Inter-VM shared memory v2 (alias of ivshmem2)";
}

static const TypeInfo ivshmem2_info = {
    .name          = TYPE_IVSHMEM2,
    .parent        = TYPE_PCI_DEVICE,
    .instance_size = sizeof(IVShmem2State),
    .class_init    = ivshmem2_class_init,
    .interfaces = (InterfaceInfo[]) {
        { INTERFACE_CONVENTIONAL_PCI_DEVICE },
        { },
    },
};

static const TypeInfo ivshmem2_seed_name_info = {
    .name          = TYPE_IVSHMEM2_SEED_NAME,
    .parent        = TYPE_IVSHMEM2,
    .class_init    = ivshmem2_seed_name_class_init,
};

static void ivshmem2_register_types(void)
{
    type_register_static(&ivshmem2_info);
    type_register_static(&ivshmem2_seed_name_info);
}

type_init(ivshmem2_register_types)

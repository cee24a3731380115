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
#include <sys/uio.h>
#include "qemu/bitmap.h"
#include "qemu/cutils.h"
#include "qemu/error-report.h"
#include "qemu/event_notifier.h"
#include "qemu/log.h"
#include "qemu/main-loop.h"
#include "qemu/memfd.h"
#include "qemu/module.h"
#include "qemu/thread.h"
#include "qemu/timer.h"
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
#include "ivshmem2-compat.h"    /* system/kvm.h; QEMU 7.2 compatibility */

#include "ivshmem2/regs.h"
#include "ivshmem2/shmem.h"
#include "ivshmem2/wire.h"
#include "trace.h"

#define TYPE_IVSHMEM2 "ivshmem2"
OBJECT_DECLARE_SIMPLE_TYPE(IVShmem2State, IVSHMEM2)

/* The seed's spelling, kept for existing command lines. */
#define TYPE_IVSHMEM2_SEED_NAME "ivshmem"

/*
 * How long realize waits for the server's whole setup (INIT and the own
 * vectors), default of the x-setup-timeout-ms property: a silent, dripping
 * or flooding server fails realize instead of holding QEMU.
 */
#define IVSHMEM2_SETUP_TIMEOUT_MS   10000

/*
 * Bad or unknown server messages reported (each is traced); a server that
 * keeps sending them must not flood the log.
 */
#define IVSHMEM2_MSG_WARN_MAX       16

/*
 * Doorbells beyond this many (peer, vector) pairs use the MMIO path: KVM
 * limits ioeventfds per bus and aborts QEMU when the limit is hit.
 */
#define IVSHMEM2_IOEVENTFD_BUDGET   256

/*
 * The watchdog of the signalling thread looks this often; a write that
 * spans a whole tick on a full counter hangs.
 */
#define IVSHMEM2_SIGNAL_TICK_MS     20

typedef struct IVShmem2Peer {
    uint32_t nb_eventfds;       /* vectors 0..nb_eventfds-1 are known */
    uint32_t nb_ioeventfds;     /* the first ones are also ioeventfds */
    EventNotifier *eventfds;    /* [vectors], allocated on first use */
} IVShmem2Peer;

typedef struct IVShmem2Vector {
    IVShmem2State *s;
    uint32_t index;
} IVShmem2Vector;

/*
 * Every peer holds the same open file for every (peer, vector) eventfd, and
 * O_NONBLOCK belongs to that file: any peer can make it blocking and fill
 * the counter (a write blocks) or empty it under a woken reader (a read
 * blocks). So no thread that holds the BQL writes or reads them blocking:
 * signals are posted to a thread of the device that alone writes the other
 * peers' eventfds, and own vectors are read with RWF_NOWAIT.
 *
 * The thread skips a full counter (the peer has a wakeup pending, or is
 * hostile). Between that check and the write another holder can still fill
 * the counter; a watchdog in the main loop then empties it (the stuck write
 * completes) and that eventfd is not rung again until the server replaces
 * it. Slots are peer * vectors + vector.
 */
typedef struct IVShmem2Signaller {
    QemuThread thread;
    QemuMutex lock;
    QemuCond cond;              /* work posted, stop, thread gone */
    uint32_t nb_slots;

    /* under lock */
    int *fds;                   /* [nb_slots] the device's eventfds or -1 */
    unsigned long *pending;     /* slots to ring */
    unsigned long *hung;        /* slots whose write hung: not rung again */
    uint32_t nb_pending;
    uint32_t cursor;            /* where the next scan starts */
    int busy_fd;                /* the thread's dup() being written, or -1 */
    uint32_t busy_slot;
    uint64_t busy_seq;          /* writes started so far */
    bool stop;
    bool running;

    /* main loop only */
    QEMUTimer *watchdog;
    uint64_t seen_seq;
    bool started;
} IVShmem2Signaller;

struct IVShmem2State {
    PCIDevice parent_obj;

    /* properties */
    CharBackend server_chr;
    bool ioeventfd;
    OnOffAuto master;
    uint32_t setup_timeout_ms;

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
    IVShmem2Signaller sig;
    uint32_t nb_ioeventfds;
    bool msix_ready;
    bool bars_ready;

    /* message being received from the server after realize */
    uint8_t msg_buf[IVSHMEM2_MSG_MAX_LEN];
    uint32_t msg_len;
    uint32_t msg_total;
    int msg_fd;
    bool server_lost;
    uint32_t msg_warnings;      /* bad or unknown messages reported */

    /* realize's synchronous setup */
    int64_t setup_deadline;     /* g_get_monotonic_time(), microseconds */
    uint32_t setup_msgs;

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

    bool oneshot;

    if (!(s->intctrl & IVSHMEM2_INT_CONTROL_ENABLE) || !msix_enabled(pdev)) {
        trace_ivshmem2_interrupt_dropped(vector, s->intctrl,
                                         msix_enabled(pdev));
        return;
    }
    oneshot = ivshmem2_oneshot(s);
    if (oneshot) {
        s->intctrl &= ~IVSHMEM2_INT_CONTROL_ENABLE;
    }
    trace_ivshmem2_interrupt(vector, oneshot);
    msix_notify(pdev, vector);
}

/*
 * Empties a shared eventfd's counter without ever blocking, whatever
 * O_NONBLOCK says: another holder may have made the file blocking and taken
 * the count between our wakeup and this read. Returns whether it counted.
 */
static bool ivshmem2_eventfd_take(int fd)
{
    uint64_t count;
    ssize_t ret;
#ifdef RWF_NOWAIT
    struct iovec iov = { .iov_base = &count, .iov_len = sizeof(count) };

    do {
        ret = preadv2(fd, &iov, 1, -1, RWF_NOWAIT);
    } while (ret < 0 && errno == EINTR);
    if (ret >= 0 || (errno != EOPNOTSUPP && errno != ENOSYS)) {
        return ret == sizeof(count);
    }
#endif
    /* Kernels before 5.12: this narrows the window, it cannot close it. */
    g_unix_set_fd_nonblocking(fd, true, NULL);
    do {
        ret = read(fd, &count, sizeof(count));
    } while (ret < 0 && errno == EINTR);
    return ret == sizeof(count);
}

/* Is there room for one more count (a write of 1 would not block)? */
static bool ivshmem2_eventfd_has_room(int fd)
{
    GPollFD pfd = { .fd = fd, .events = G_IO_OUT };

    return g_poll(&pfd, 1, 0) == 1 && (pfd.revents & G_IO_OUT);
}

static void ivshmem2_vector_notify(void *opaque)
{
    IVShmem2Vector *v = opaque;
    IVShmem2State *s = v->s;
    int fd = event_notifier_get_fd(&s->peers[s->id].eventfds[v->index]);

    if (ivshmem2_eventfd_take(fd)) {
        trace_ivshmem2_vector_fired(v->index);
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

/* The signalling thread */

static void *ivshmem2_signal_thread(void *opaque)
{
    IVShmem2State *s = opaque;
    IVShmem2Signaller *sig = &s->sig;
    static const uint64_t one = 1;
    uint32_t slot, id, vector;
    bool rung;
    int fd;

    qemu_mutex_lock(&sig->lock);
    while (!sig->stop) {
        if (!sig->nb_pending) {
            qemu_cond_wait(&sig->cond, &sig->lock);
            continue;
        }
        slot = find_next_bit(sig->pending, sig->nb_slots, sig->cursor);
        if (slot >= sig->nb_slots) {
            slot = find_first_bit(sig->pending, sig->nb_slots);
        }
        clear_bit(slot, sig->pending);
        sig->nb_pending--;
        sig->cursor = slot + 1;
        if (sig->fds[slot] < 0 || test_bit(slot, sig->hung)) {
            continue;
        }
        /* Our own reference: the main loop may close the device's copy. */
        fd = fcntl(sig->fds[slot], F_DUPFD_CLOEXEC, 0);
        if (fd < 0) {
            continue;
        }
        sig->busy_fd = fd;
        sig->busy_slot = slot;
        sig->busy_seq++;
        qemu_mutex_unlock(&sig->lock);

        id = slot / s->vectors;
        vector = slot % s->vectors;
        rung = ivshmem2_eventfd_has_room(fd) &&
               write(fd, &one, sizeof(one)) == sizeof(one);
        trace_ivshmem2_signal(id, vector, rung);

        qemu_mutex_lock(&sig->lock);
        sig->busy_fd = -1;
        close(fd);
    }
    sig->running = false;
    qemu_cond_broadcast(&sig->cond);
    qemu_mutex_unlock(&sig->lock);
    return NULL;
}

/*
 * Called with sig->lock held. A write that has not finished since the last
 * tick and sits on a full counter is stuck: take the count so that it
 * completes, and do not ring that eventfd again.
 */
static bool ivshmem2_signal_unstick(IVShmem2State *s)
{
    IVShmem2Signaller *sig = &s->sig;

    if (sig->busy_fd < 0 || sig->busy_seq != sig->seen_seq ||
        ivshmem2_eventfd_has_room(sig->busy_fd)) {
        sig->seen_seq = sig->busy_seq;
        return false;
    }
    ivshmem2_eventfd_take(sig->busy_fd);
    if (!test_and_set_bit(sig->busy_slot, sig->hung)) {
        trace_ivshmem2_signal_hung(sig->busy_slot / s->vectors,
                                   sig->busy_slot % s->vectors);
        warn_report("ivshmem2: doorbell to peer %" PRIu32 " vector %" PRIu32
                    " hung: another holder of its eventfd made it blocking "
                    "and filled it; not ringing it again until the server "
                    "replaces it", sig->busy_slot / s->vectors,
                    sig->busy_slot % s->vectors);
    }
    return true;
}

static void ivshmem2_signal_watchdog(void *opaque)
{
    IVShmem2State *s = opaque;
    IVShmem2Signaller *sig = &s->sig;
    bool again;

    qemu_mutex_lock(&sig->lock);
    ivshmem2_signal_unstick(s);
    again = sig->busy_fd >= 0 || sig->nb_pending;
    qemu_mutex_unlock(&sig->lock);
    if (again) {
        timer_mod(sig->watchdog, qemu_clock_get_ms(QEMU_CLOCK_REALTIME) +
                  IVSHMEM2_SIGNAL_TICK_MS);
    }
}

static void ivshmem2_signal_init(IVShmem2State *s)
{
    IVShmem2Signaller *sig = &s->sig;
    uint32_t i;

    sig->nb_slots = s->max_peers * s->vectors;
    sig->fds = g_new(int, sig->nb_slots);
    for (i = 0; i < sig->nb_slots; i++) {
        sig->fds[i] = -1;
    }
    sig->pending = bitmap_new(sig->nb_slots);
    sig->hung = bitmap_new(sig->nb_slots);
    sig->busy_fd = -1;
    qemu_mutex_init(&sig->lock);
    qemu_cond_init(&sig->cond);
    sig->watchdog = timer_new_ms(QEMU_CLOCK_REALTIME,
                                 ivshmem2_signal_watchdog, s);
    sig->running = true;
    sig->started = true;
    qemu_thread_create(&sig->thread, "ivshmem2-signal",
                       ivshmem2_signal_thread, s, QEMU_THREAD_JOINABLE);
}

/* Stops the thread, unsticking a write that hangs, and frees it all. */
static void ivshmem2_signal_cleanup(IVShmem2State *s)
{
    IVShmem2Signaller *sig = &s->sig;

    if (!sig->started) {
        return;
    }
    qemu_mutex_lock(&sig->lock);
    sig->stop = true;
    qemu_cond_broadcast(&sig->cond);
    while (sig->running) {
        ivshmem2_signal_unstick(s);
        qemu_cond_timedwait(&sig->cond, &sig->lock, IVSHMEM2_SIGNAL_TICK_MS);
    }
    qemu_mutex_unlock(&sig->lock);
    qemu_thread_join(&sig->thread);

    timer_free(sig->watchdog);
    qemu_cond_destroy(&sig->cond);
    qemu_mutex_destroy(&sig->lock);
    g_free(sig->fds);
    g_free(sig->pending);
    g_free(sig->hung);
    memset(sig, 0, sizeof(*sig));
}

/* @fd (or -1) is now the eventfd of (@id, @vector): a hang is forgotten. */
static void ivshmem2_signal_set_fd(IVShmem2State *s, uint32_t id,
                                   uint32_t vector, int fd)
{
    IVShmem2Signaller *sig = &s->sig;
    uint32_t slot = id * s->vectors + vector;

    if (!sig->started) {
        return;
    }
    qemu_mutex_lock(&sig->lock);
    sig->fds[slot] = fd;
    clear_bit(slot, sig->hung);
    if (fd < 0 && test_and_clear_bit(slot, sig->pending)) {
        sig->nb_pending--;
    }
    qemu_mutex_unlock(&sig->lock);
}

/* Rings (@id, @vector) without blocking: the signalling thread writes. */
static void ivshmem2_signal(IVShmem2State *s, uint32_t id, uint32_t vector)
{
    IVShmem2Signaller *sig = &s->sig;
    uint32_t slot;

    if (!ivshmem2_peer_active(s, id) || vector >= s->peers[id].nb_eventfds) {
        trace_ivshmem2_doorbell_dropped(id, vector);
        return;
    }
    slot = id * s->vectors + vector;
    qemu_mutex_lock(&sig->lock);
    if (!test_and_set_bit(slot, sig->pending)) {
        if (!sig->nb_pending++) {
            qemu_cond_signal(&sig->cond);
        }
    }
    qemu_mutex_unlock(&sig->lock);
    if (!timer_pending(sig->watchdog)) {
        timer_mod(sig->watchdog, qemu_clock_get_ms(QEMU_CLOCK_REALTIME) +
                  IVSHMEM2_SIGNAL_TICK_MS);
    }
}

static void ivshmem2_ioeventfd_update(IVShmem2State *s, uint32_t id,
                                      uint32_t vector, bool add)
{
    EventNotifier *e = &s->peers[id].eventfds[vector];
    uint32_t match = IVSHMEM2_DOORBELL(id, vector);

    trace_ivshmem2_ioeventfd(id, vector, add);
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

    if (peer->nb_eventfds) {
        trace_ivshmem2_peer_removed(id, peer->nb_eventfds);
    }
    memory_region_transaction_begin();
    for (i = 0; i < peer->nb_ioeventfds; i++) {
        ivshmem2_ioeventfd_update(s, id, i, false);
    }
    memory_region_transaction_commit();
    s->nb_ioeventfds -= peer->nb_ioeventfds;
    peer->nb_ioeventfds = 0;

    for (i = 0; i < peer->nb_eventfds; i++) {
        ivshmem2_signal_set_fd(s, id, i, -1);
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

static bool ivshmem2_use_ioeventfd(IVShmem2State *s)
{
    return s->ioeventfd && kvm_enabled();
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
    /*
     * The chardev made the shared file blocking; well-behaved holders may
     * expect it non-blocking. The device itself never relies on it.
     */
    if (!g_unix_set_fd_nonblocking(fd, true, NULL)) {
        error_setg_errno(errp, errno, "cannot make eventfd non-blocking");
        goto fail;
    }

    if (!peer->eventfds) {
        peer->eventfds = g_new0(EventNotifier, s->vectors);
    }
    e = &peer->eventfds[vector];
    event_notifier_init_fd(e, fd);
    trace_ivshmem2_peer_vector(id, vector, fd);
    peer->nb_eventfds++;
    ivshmem2_signal_set_fd(s, id, vector, fd);

    if (id == s->id) {
        qemu_set_fd_handler(fd, ivshmem2_vector_notify, NULL,
                            &s->msi_vectors[vector]);
    }
    /*
     * ioeventfds stay a prefix of the peer's vectors. Only KVM's: without
     * it the memory core would write the shared eventfd itself, in the
     * vCPU thread, and could block.
     */
    if (ivshmem2_use_ioeventfd(s) && peer->nb_ioeventfds == vector &&
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

    trace_ivshmem2_state(s->id, old, val);
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
    trace_ivshmem2_doorbell(id, vector);
    ivshmem2_signal(s, id, vector);
}

static uint64_t ivshmem2_regs_read(void *opaque, hwaddr addr, unsigned size)
{
    IVShmem2State *s = opaque;
    uint64_t val;

    switch (addr) {
    case IVSHMEM2_REG_ID:
        val = s->id;
        break;
    case IVSHMEM2_REG_MAX_PEERS:
        val = s->max_peers;
        break;
    case IVSHMEM2_REG_INT_CONTROL:
        val = s->intctrl;
        break;
    case IVSHMEM2_REG_STATE:
        val = s->state;
        break;
    default:
        /* DOORBELL is write-only; holes read as zero. */
        val = 0;
        break;
    }
    trace_ivshmem2_reg_read(addr, val);
    return val;
}

static void ivshmem2_regs_write(void *opaque, hwaddr addr, uint64_t val,
                                unsigned size)
{
    IVShmem2State *s = opaque;

    trace_ivshmem2_reg_write(addr, val);
    switch (addr) {
    case IVSHMEM2_REG_INT_CONTROL:
        s->intctrl = val & IVSHMEM2_INT_CONTROL_ENABLE;
        trace_ivshmem2_int_control(s->intctrl);
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

/*
 * Whether to report one more bad or unknown server message; after
 * IVSHMEM2_MSG_WARN_MAX of them, says once that the rest only go to the
 * trace.
 */
static bool ivshmem2_msg_report(IVShmem2State *s)
{
    if (s->msg_warnings < IVSHMEM2_MSG_WARN_MAX) {
        s->msg_warnings++;
        return true;
    }
    if (s->msg_warnings++ == IVSHMEM2_MSG_WARN_MAX) {
        warn_report("ivshmem2: %d bad or unknown server messages reported; "
                    "further ones only show in the trace "
                    "(-trace 'ivshmem2_msg_*')", IVSHMEM2_MSG_WARN_MAX);
    }
    return false;
}

/* Handles one complete message after INIT. Takes ownership of @fd. */
static void ivshmem2_process_msg(IVShmem2State *s, const uint8_t *buf,
                                 uint32_t len, int fd, Error **errp)
{
    uint32_t type = ldl_le_p(buf + offsetof(struct ivshmem2_msg_header, type));
    uint32_t id, vector;

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
        id = ldl_le_p(buf + offsetof(struct ivshmem2_msg_event_fd, id));
        vector = ldl_le_p(buf + offsetof(struct ivshmem2_msg_event_fd, vector));
        trace_ivshmem2_msg_event_fd(id, vector, fd);
        ivshmem2_add_peer_vector(s, id, vector, fd, errp);
        return;
    case IVSHMEM2_MSG_PEER_GONE:
        if (len < sizeof(struct ivshmem2_msg_peer_gone)) {
            error_setg(errp, "PEER_GONE message of %" PRIu32 " bytes is too "
                       "short", len);
            break;
        }
        id = ldl_le_p(buf + offsetof(struct ivshmem2_msg_peer_gone, id));
        trace_ivshmem2_msg_peer_gone(id);
        ivshmem2_peer_gone(s, id, errp);
        break;
    case IVSHMEM2_MSG_INIT:
        error_setg(errp, "unexpected second INIT message");
        break;
    default:
        /* Unknown types are skipped: room for extensions. */
        trace_ivshmem2_msg_unknown(type, len);
        if (ivshmem2_msg_report(s)) {
            warn_report("ivshmem2: ignoring server message of unknown type %"
                        PRIu32, type);
        }
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
        if (ivshmem2_msg_report(s)) {
            warn_report("ivshmem2: server sent two fds with one message");
        }
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
    trace_ivshmem2_server_lost(why);
    if (s->msg_fd >= 0) {
        close(s->msg_fd);
        s->msg_fd = -1;
    }
    /* Known peers stay reachable; nobody reports their departure now. */
    warn_report("ivshmem2: %s; ignoring the server from now on", why);
}

/*
 * Never more than the rest of the message being received: each callback
 * handles at most one message, so a server that floods valid messages
 * costs main loop iterations, it does not hold the main loop.
 */
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
            trace_ivshmem2_msg_error(error_get_pretty(err));
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
        trace_ivshmem2_msg_error(error_get_pretty(err));
        if (ivshmem2_msg_report(s)) {
            error_prepend(&err, "ivshmem2: message ignored: ");
            error_report_err(err);
        } else {
            error_free(err);
        }
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

/* What the server sent so far, for an error message. */
static char *ivshmem2_setup_progress(IVShmem2State *s)
{
    if (!s->peers) {
        return g_strdup_printf("%" PRIu32 " messages received", s->setup_msgs);
    }
    return g_strdup_printf("%" PRIu32 " messages received, %" PRIu32 " of %"
                           PRIu32 " own vectors", s->setup_msgs,
                           s->peers[s->id].nb_eventfds, s->vectors);
}

/*
 * Waits until the server sent something; returns how many bytes are queued
 * (0 at end of file) or -1. Every wait counts against one deadline for the
 * whole setup: a server that stalls, drips or floods cannot hang realize.
 */
static int ivshmem2_wait_readable(IVShmem2State *s, Error **errp)
{
    SocketChardev *sc = SOCKET_CHARDEV(qemu_chr_fe_get_driver(&s->server_chr));
    GPollFD pfd = { .fd = sc->sioc->fd, .events = G_IO_IN };
    int64_t left;
    int ret, avail = 0;

    do {
        left = (s->setup_deadline - g_get_monotonic_time() + 999) / 1000;
        if (left <= 0) {
            g_autofree char *progress = ivshmem2_setup_progress(s);

            error_setg(errp, "server setup not finished within %" PRIu32
                       " ms (x-setup-timeout-ms; %s)", s->setup_timeout_ms,
                       progress);
            return -1;
        }
        ret = g_poll(&pfd, 1, left);
    } while (ret < 0 && errno == EINTR);
    if (ret < 0) {
        error_setg_errno(errp, errno, "waiting for the server failed");
        return -1;
    }
    if (ret == 0) {
        g_autofree char *progress = ivshmem2_setup_progress(s);

        error_setg(errp, "server setup not finished within %" PRIu32
                   " ms (x-setup-timeout-ms; %s; server sent nothing for the "
                   "last %" PRId64 " ms)", s->setup_timeout_ms, progress,
                   left);
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
    s->setup_msgs++;
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

/*
 * Every peer maps the memory read/write: unless its size is sealed, any of
 * them can shrink it and the others, this QEMU included, die of SIGBUS. A
 * memfd without the seals is refused; memory that cannot be sealed (POSIX
 * shm, a file on hugetlbfs or elsewhere) is taken with a warning.
 */
static bool ivshmem2_check_seals(int fd, Error **errp)
{
    const int need = F_SEAL_SHRINK | F_SEAL_GROW;
    g_autofree char *link = g_strdup_printf("/proc/self/fd/%d", fd);
    g_autofree char *target = g_file_read_link(link, NULL);
    int seals = fcntl(fd, F_GET_SEALS);

    if (seals >= 0 && (seals & need) == need) {
        return true;
    }
    if (target && g_str_has_prefix(target, "/memfd:")) {
        error_setg(errp, "the server's memfd is not sealed against resizing "
                   "(seals 0x%x, need 0x%x): any peer could shrink it under "
                   "this guest", seals < 0 ? 0 : seals, need);
        return false;
    }
    warn_report("ivshmem2: the shared memory (%s) cannot be sealed: any peer "
                "can resize it, and shrinking it would kill QEMU with SIGBUS; "
                "prefer the server's default memfd or -m on hugetlbfs",
                target ? target : "unknown file");
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
    if (!ivshmem2_check_seals(fd, errp)) {
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
    ERRP_GUARD();
    uint8_t buf[IVSHMEM2_MSG_MAX_LEN];
    struct ivshmem2_msg_init m;
    uint32_t len;
    int fd;

    len = ivshmem2_recv_sync(s, buf, &fd, errp);
    if (!len) {
        return false;
    }
    ivshmem2_decode_init(&m, buf, len);
    trace_ivshmem2_msg_init(len, m.version, m.compatible_version, m.id,
                            m.max_peers, m.vectors, m.protocol,
                            m.output_section_size, fd);
    if (!ivshmem2_check_init(s, &m, len, fd, errp)) {
        trace_ivshmem2_msg_error(error_get_pretty(*errp));
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
            trace_ivshmem2_msg_error(error_get_pretty(*errp));
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
    migrate_del_blocker(&s->migration_blocker);
    if (s->peers) {
        for (i = 0; i < s->max_peers; i++) {
            ivshmem2_remove_peer(s, i);
        }
        g_free(s->peers);
        s->peers = NULL;
    }
    ivshmem2_signal_cleanup(s);
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
    if (!s->setup_timeout_ms) {
        error_setg(errp, "x-setup-timeout-ms must be at least 1");
        return;
    }
    if (!ivshmem2_check_chardev(s, errp)) {
        return;
    }
    s->setup_deadline = g_get_monotonic_time() +
                        (int64_t)s->setup_timeout_ms * 1000;
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
    ivshmem2_signal_init(s);
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
    if (migrate_add_blocker(&s->migration_blocker, errp) < 0) {
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
    trace_ivshmem2_realize(s->id, s->max_peers, s->vectors, s->protocol,
                           ivshmem2_use_ioeventfd(s));
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

    trace_ivshmem2_reset(s->id);
    s->intctrl = 0;
    ivshmem2_set_state(s, IVSHMEM2_STATE_RESET);
    /* One-shot mode does not survive a reset either. */
    pdev->config[s->cap_offset + IVSHMEM2_CAP_OFF_PRIV_CTRL] = 0;
    ivshmem2_msix_vector_use(s);
}

static const Property ivshmem2_properties[] = {
    DEFINE_PROP_CHR("chardev", IVShmem2State, server_chr),
    DEFINE_PROP_BOOL("ioeventfd", IVShmem2State, ioeventfd, true),
    DEFINE_PROP_ON_OFF_AUTO("master", IVShmem2State, master, ON_OFF_AUTO_OFF),
    DEFINE_PROP_UINT32("x-setup-timeout-ms", IVShmem2State, setup_timeout_ms,
                       IVSHMEM2_SETUP_TIMEOUT_MS),
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

    device_class_set_legacy_reset(dc, ivshmem2_reset);
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

/*
 * QTest testcase for the ivshmem2 PCI device
 *
 * A small server thread plays ivshmem2-server for peer 0 (the device) and a
 * host-side peer 1: it hands out a memfd and eventfds, so the test can watch
 * the device's doorbells and ring its vectors. Multi-process scenarios with
 * the real server live in tests/device/ (pytest).
 *
 * Copyright (c) 2026 The ivshmem2 authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "qemu/bswap.h"
#include "qemu/units.h"
#include "standard-headers/linux/pci_regs.h"
#include "libqtest.h"
#include "libqos/libqos-pc.h"
#include "libqos/pci.h"

#include "ivshmem2/regs.h"
#include "ivshmem2/shmem.h"
#include "ivshmem2/wire.h"

#define TEST_SLOT       4
#define TEST_SHM_SIZE   (64 * KiB)
#define TEST_OUT_SIZE   (16 * KiB)
#define TEST_PEERS      2
#define TEST_VECTORS    2
#define TEST_PROTOCOL   0x1234
#define TEST_HOST_PEER  1

typedef struct TestServer {
    char *dir;
    char *path;
    int listen_fd;
    int conn_fd;
    int shm_fd;
    uint8_t *shm;
    int eventfds[TEST_PEERS][TEST_VECTORS];
    GThread *thread;
} TestServer;

typedef struct IVState {
    QOSState *qs;
    QPCIDevice *dev;
    QPCIBar regs;
    QPCIBar mem;
    uint64_t regs_size;
    uint64_t mem_size;
    struct ivshmem2_layout layout;
    TestServer srv;
} IVState;

static void send_msg(TestServer *srv, const void *msg, size_t len, int fd)
{
    struct iovec iov = { .iov_base = (void *)msg, .iov_len = len };
    char control[CMSG_SPACE(sizeof(int))] = { 0 };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
    struct cmsghdr *cmsg;

    if (fd >= 0) {
        mh.msg_control = control;
        mh.msg_controllen = sizeof(control);
        cmsg = CMSG_FIRSTHDR(&mh);
        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
    }
    g_assert_cmpint(sendmsg(srv->conn_fd, &mh, 0), ==, len);
}

static void send_event_fd(TestServer *srv, uint32_t id, uint32_t vector)
{
    struct ivshmem2_msg_event_fd msg = {
        .header = { .type = cpu_to_le32(IVSHMEM2_MSG_EVENT_FD),
                    .len = cpu_to_le32(sizeof(msg)) },
        .id = cpu_to_le32(id),
        .vector = cpu_to_le32(vector),
    };

    send_msg(srv, &msg, sizeof(msg), srv->eventfds[id][vector]);
}

/* What ivshmem2-server sends to a new peer 0 when peer 1 is already there. */
static gpointer server_thread(gpointer opaque)
{
    TestServer *srv = opaque;
    struct ivshmem2_msg_init init = {
        .header = { .type = cpu_to_le32(IVSHMEM2_MSG_INIT),
                    .len = cpu_to_le32(sizeof(init)) },
        .version = cpu_to_le32(IVSHMEM2_PROTOCOL_VERSION),
        .compatible_version = cpu_to_le32(IVSHMEM2_PROTOCOL_VERSION),
        .id = cpu_to_le32(0),
        .max_peers = cpu_to_le32(TEST_PEERS),
        .vectors = cpu_to_le32(TEST_VECTORS),
        .protocol = cpu_to_le32(TEST_PROTOCOL),
        .output_section_size = cpu_to_le64(TEST_OUT_SIZE),
    };
    int v;

    srv->conn_fd = accept(srv->listen_fd, NULL, NULL);
    g_assert_cmpint(srv->conn_fd, >=, 0);
    send_msg(srv, &init, sizeof(init), srv->shm_fd);
    for (v = 0; v < TEST_VECTORS; v++) {
        send_event_fd(srv, TEST_HOST_PEER, v);
    }
    for (v = 0; v < TEST_VECTORS; v++) {
        send_event_fd(srv, 0, v);
    }
    return NULL;
}

static void server_start(TestServer *srv)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    int p, v;

    srv->dir = g_dir_make_tmp("ivshmem2-test-XXXXXX", NULL);
    g_assert(srv->dir);
    srv->path = g_strdup_printf("%s/sock", srv->dir);
    g_assert_cmpuint(strlen(srv->path), <, sizeof(addr.sun_path));
    strcpy(addr.sun_path, srv->path);

    /* The device refuses a memfd whose size is not sealed. */
    srv->shm_fd = memfd_create("ivshmem2-test",
                               MFD_CLOEXEC | MFD_ALLOW_SEALING);
    g_assert_cmpint(srv->shm_fd, >=, 0);
    g_assert_cmpint(ftruncate(srv->shm_fd, TEST_SHM_SIZE), ==, 0);
    g_assert_cmpint(fcntl(srv->shm_fd, F_ADD_SEALS,
                          F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL), ==, 0);
    srv->shm = mmap(NULL, TEST_SHM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
                    srv->shm_fd, 0);
    g_assert(srv->shm != MAP_FAILED);
    for (p = 0; p < TEST_PEERS; p++) {
        for (v = 0; v < TEST_VECTORS; v++) {
            srv->eventfds[p][v] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
            g_assert_cmpint(srv->eventfds[p][v], >=, 0);
        }
    }

    srv->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    g_assert_cmpint(srv->listen_fd, >=, 0);
    g_assert_cmpint(bind(srv->listen_fd, (struct sockaddr *)&addr,
                         sizeof(addr)), ==, 0);
    g_assert_cmpint(listen(srv->listen_fd, 1), ==, 0);
    srv->thread = g_thread_new("ivshmem2-test-server", server_thread, srv);
}

static void server_stop(TestServer *srv)
{
    int p, v;

    if (srv->thread) {
        g_thread_join(srv->thread);
    }
    close(srv->conn_fd);
    close(srv->listen_fd);
    for (p = 0; p < TEST_PEERS; p++) {
        for (v = 0; v < TEST_VECTORS; v++) {
            close(srv->eventfds[p][v]);
        }
    }
    munmap(srv->shm, TEST_SHM_SIZE);
    close(srv->shm_fd);
    unlink(srv->path);
    rmdir(srv->dir);
    g_free(srv->path);
    g_free(srv->dir);
}

static void map_device(IVState *s)
{
    s->dev = qpci_device_find(s->qs->pcibus, QPCI_DEVFN(TEST_SLOT, 0));
    g_assert(s->dev);
    s->regs = qpci_iomap(s->dev, IVSHMEM2_BAR_REGS, &s->regs_size);
    s->mem = qpci_iomap(s->dev, IVSHMEM2_BAR_SHMEM, &s->mem_size);
    qpci_device_enable(s->dev);
}

static void boot(IVState *s, const char *device)
{
    memset(s, 0, sizeof(*s));
    g_assert_cmpint(ivshmem2_layout_compute(&s->layout, TEST_SHM_SIZE,
                                            TEST_PEERS, TEST_OUT_SIZE, 4096),
                    ==, IVSHMEM2_LAYOUT_OK);
    server_start(&s->srv);
    s->qs = qtest_pc_boot("-nodefaults -chardev socket,path=%s,id=ivs %s",
                          s->srv.path, device);
}

static void setup(IVState *s)
{
    g_autofree char *device =
        g_strdup_printf("-device ivshmem2,chardev=ivs,addr=%x.0", TEST_SLOT);

    boot(s, device);
    map_device(s);
}

static void teardown(IVState *s)
{
    g_free(s->dev);
    qtest_shutdown(s->qs);
    server_stop(&s->srv);
}

static uint32_t reg_read(IVState *s, uint64_t reg)
{
    return qpci_io_readl(s->dev, s->regs, reg);
}

static void reg_write(IVState *s, uint64_t reg, uint32_t val)
{
    qpci_io_writel(s->dev, s->regs, reg, val);
}

/*
 * Polls first: O_NONBLOCK belongs to the open file, which QEMU shares and
 * briefly switches to blocking whenever its chardev receives the fd.
 */
static uint64_t eventfd_count(int fd)
{
    GPollFD pfd = { .fd = fd, .events = G_IO_IN };
    uint64_t count = 0;

    if (g_poll(&pfd, 1, 0) != 1 ||
        read(fd, &count, sizeof(count)) != sizeof(count)) {
        return 0;
    }
    return count;
}

/* Waits for an eventfd the device signals from QEMU's main loop. */
static uint64_t eventfd_wait(int fd)
{
    int i;
    uint64_t count;

    for (i = 0; i < 5000; i++) {
        count = eventfd_count(fd);
        if (count) {
            return count;
        }
        g_usleep(1000);
    }
    return 0;
}

static bool msix_wait_pending(IVState *s, uint16_t vector)
{
    int i;

    for (i = 0; i < 5000; i++) {
        if (qpci_msix_pending(s->dev, vector)) {
            return true;
        }
        g_usleep(1000);
    }
    return false;
}

static void test_ivshmem2_identity(void)
{
    IVState state, *s = &state;
    uint8_t cap;

    setup(s);
    g_assert_cmphex(qpci_config_readw(s->dev, PCI_VENDOR_ID), ==,
                    IVSHMEM2_PCI_VENDOR_ID);
    g_assert_cmphex(qpci_config_readw(s->dev, PCI_DEVICE_ID), ==,
                    IVSHMEM2_PCI_DEVICE_ID);
    g_assert_cmphex(qpci_config_readl(s->dev, PCI_CLASS_REVISION), ==,
                    ((0xff0000u | TEST_PROTOCOL) << 8) | IVSHMEM2_PCI_REVISION);
    g_assert_cmphex(qpci_config_readb(s->dev, PCI_INTERRUPT_PIN), ==, 0);

    g_assert_cmpuint(s->regs_size, ==, IVSHMEM2_REGS_BAR_SIZE);
    g_assert_cmpuint(s->mem_size, ==, TEST_SHM_SIZE);

    cap = qpci_find_capability(s->dev, IVSHMEM2_CAP_ID, 0);
    g_assert_cmphex(cap, !=, 0);
    g_assert_cmphex(qpci_config_readb(s->dev, cap + IVSHMEM2_CAP_OFF_LEN), ==,
                    IVSHMEM2_CAP_LEN);
    g_assert_cmphex(qpci_config_readl(s->dev,
                                      cap + IVSHMEM2_CAP_OFF_STATE_TAB_SZ),
                    ==, IVSHMEM2_STATE_TABLE_SIZE);
    g_assert_cmphex(qpci_config_readl(s->dev,
                                      cap + IVSHMEM2_CAP_OFF_RW_SECTION_SZ),
                    ==, s->layout.rw_section_size);
    g_assert_cmphex(qpci_config_readl(s->dev,
                                      cap + IVSHMEM2_CAP_OFF_OUTPUT_SECTION_SZ),
                    ==, TEST_OUT_SIZE);

    qpci_config_writeb(s->dev, cap + IVSHMEM2_CAP_OFF_PRIV_CTRL, 0xff);
    g_assert_cmphex(qpci_config_readb(s->dev, cap + IVSHMEM2_CAP_OFF_PRIV_CTRL),
                    ==, IVSHMEM2_PRIV_CTRL_ONESHOT);
    qpci_config_writel(s->dev, cap + IVSHMEM2_CAP_OFF_STATE_TAB_SZ, 0);
    g_assert_cmphex(qpci_config_readl(s->dev,
                                      cap + IVSHMEM2_CAP_OFF_STATE_TAB_SZ),
                    ==, IVSHMEM2_STATE_TABLE_SIZE);

    qpci_msix_enable(s->dev);
    g_assert_cmpuint(qpci_msix_table_size(s->dev), ==, TEST_VECTORS);
    teardown(s);
}

static void test_ivshmem2_registers(void)
{
    IVState state, *s = &state;

    setup(s);
    g_assert_cmpuint(reg_read(s, IVSHMEM2_REG_ID), ==, 0);
    g_assert_cmpuint(reg_read(s, IVSHMEM2_REG_MAX_PEERS), ==, TEST_PEERS);
    g_assert_cmpuint(reg_read(s, IVSHMEM2_REG_INT_CONTROL), ==, 0);
    g_assert_cmpuint(reg_read(s, IVSHMEM2_REG_DOORBELL), ==, 0);
    g_assert_cmpuint(reg_read(s, IVSHMEM2_REG_STATE), ==, 0);

    reg_write(s, IVSHMEM2_REG_INT_CONTROL, 0xffffffff);
    g_assert_cmpuint(reg_read(s, IVSHMEM2_REG_INT_CONTROL), ==,
                     IVSHMEM2_INT_CONTROL_ENABLE);
    reg_write(s, IVSHMEM2_REG_ID, 5);
    reg_write(s, IVSHMEM2_REG_MAX_PEERS, 5);
    g_assert_cmpuint(reg_read(s, IVSHMEM2_REG_ID), ==, 0);
    g_assert_cmpuint(reg_read(s, IVSHMEM2_REG_MAX_PEERS), ==, TEST_PEERS);

    /* STATE lands in the table and rings vector 0 of the other peer */
    reg_write(s, IVSHMEM2_REG_STATE, 0xcafe);
    g_assert_cmpuint(reg_read(s, IVSHMEM2_REG_STATE), ==, 0xcafe);
    g_assert_cmphex(ldl_le_p(s->srv.shm), ==, 0xcafe);
    g_assert_cmpuint(eventfd_wait(s->srv.eventfds[TEST_HOST_PEER][0]), ==, 1);
    reg_write(s, IVSHMEM2_REG_STATE, 0xcafe);
    g_assert_cmpuint(eventfd_count(s->srv.eventfds[TEST_HOST_PEER][0]), ==, 0);
    teardown(s);
}

static void test_ivshmem2_sections(void)
{
    IVState state, *s = &state;
    const struct ivshmem2_layout *l = &s->layout;
    uint64_t own, other;
    uint32_t val;

    setup(s);
    own = ivshmem2_layout_output_offset(l, 0);
    other = ivshmem2_layout_output_offset(l, TEST_HOST_PEER);

    /* the state table is read-only for the guest */
    stl_le_p(s->srv.shm + 4, 0x22);
    qpci_io_writel(s->dev, s->mem, 4, 0x33);
    g_assert_cmphex(qpci_io_readl(s->dev, s->mem, 4), ==, 0x22);

    /* R/W section and own output section are writable */
    qpci_io_writel(s->dev, s->mem, l->rw_section_offset, 0x44);
    g_assert_cmphex(ldl_le_p(s->srv.shm + l->rw_section_offset), ==, 0x44);
    qpci_io_writel(s->dev, s->mem, own + 8, 0x55);
    g_assert_cmphex(ldl_le_p(s->srv.shm + own + 8), ==, 0x55);

    /* the other peer's output section is read-only */
    stl_le_p(s->srv.shm + other, 0x66);
    qpci_io_writel(s->dev, s->mem, other, 0x77);
    val = qpci_io_readl(s->dev, s->mem, other);
    g_assert_cmphex(val, ==, 0x66);
    g_assert_cmphex(ldl_le_p(s->srv.shm + other), ==, 0x66);
    teardown(s);
}

static void test_ivshmem2_doorbell(void)
{
    IVState state, *s = &state;
    int v;

    setup(s);
    for (v = 0; v < TEST_VECTORS; v++) {
        reg_write(s, IVSHMEM2_REG_DOORBELL,
                  IVSHMEM2_DOORBELL(TEST_HOST_PEER, v));
        g_assert_cmpuint(eventfd_wait(s->srv.eventfds[TEST_HOST_PEER][v]),
                         ==, 1);
    }
    /* outside the group: dropped */
    reg_write(s, IVSHMEM2_REG_DOORBELL, IVSHMEM2_DOORBELL(TEST_PEERS, 0));
    reg_write(s, IVSHMEM2_REG_DOORBELL,
              IVSHMEM2_DOORBELL(TEST_HOST_PEER, TEST_VECTORS));
    reg_write(s, IVSHMEM2_REG_DOORBELL,
              IVSHMEM2_DOORBELL(TEST_HOST_PEER, 256));
    g_usleep(100 * 1000);
    for (v = 0; v < TEST_VECTORS; v++) {
        g_assert_cmpuint(eventfd_count(s->srv.eventfds[TEST_HOST_PEER][v]),
                         ==, 0);
    }
    teardown(s);
}

static void test_ivshmem2_interrupts(void)
{
    IVState state, *s = &state;
    const uint64_t one = 1;
    struct ivshmem2_msg_peer_gone gone = {
        .header = { .type = cpu_to_le32(IVSHMEM2_MSG_PEER_GONE),
                    .len = cpu_to_le32(sizeof(gone)) },
        .id = cpu_to_le32(TEST_HOST_PEER),
    };

    setup(s);
    /* libqos leaves the vectors masked: delivery shows up in the PBA */
    qpci_msix_enable(s->dev);

    g_assert_cmpint(write(s->srv.eventfds[0][1], &one, sizeof(one)), ==, 8);
    g_usleep(100 * 1000);
    g_assert_false(qpci_msix_pending(s->dev, 1));   /* INT_CONTROL is 0 */

    reg_write(s, IVSHMEM2_REG_INT_CONTROL, IVSHMEM2_INT_CONTROL_ENABLE);
    g_assert_cmpint(write(s->srv.eventfds[0][1], &one, sizeof(one)), ==, 8);
    g_assert_true(msix_wait_pending(s, 1));

    /* a peer that leaves raises vector 0; doorbells to it are dropped */
    g_thread_join(s->srv.thread);
    s->srv.thread = NULL;
    send_msg(&s->srv, &gone, sizeof(gone), -1);
    g_assert_true(msix_wait_pending(s, 0));
    reg_write(s, IVSHMEM2_REG_DOORBELL, IVSHMEM2_DOORBELL(TEST_HOST_PEER, 1));
    g_usleep(100 * 1000);
    g_assert_cmpuint(eventfd_count(s->srv.eventfds[TEST_HOST_PEER][1]), ==, 0);
    teardown(s);
}

/* device_add reads the server's setup at runtime; unplug undoes it. */
static void test_ivshmem2_hotplug(void)
{
    IVState state, *s = &state;
    g_autofree char *addr = g_strdup_printf("%x.0", TEST_SLOT);
    QTestState *qts;

    boot(s, "");
    qts = s->qs->qts;
    qtest_qmp_device_add(qts, "ivshmem2", "iv0",
                         "{'chardev': 'ivs', 'addr': %s}", addr);
    map_device(s);
    g_assert_cmpuint(reg_read(s, IVSHMEM2_REG_MAX_PEERS), ==, TEST_PEERS);
    reg_write(s, IVSHMEM2_REG_DOORBELL, IVSHMEM2_DOORBELL(TEST_HOST_PEER, 1));
    g_assert_cmpuint(eventfd_wait(s->srv.eventfds[TEST_HOST_PEER][1]), ==, 1);

    qpci_unplug_acpi_device_test(qts, "iv0", TEST_SLOT);
    g_assert_cmphex(qpci_config_readw(s->dev, PCI_VENDOR_ID), ==, 0xffff);
    teardown(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/ivshmem2/identity", test_ivshmem2_identity);
    qtest_add_func("/ivshmem2/registers", test_ivshmem2_registers);
    qtest_add_func("/ivshmem2/sections", test_ivshmem2_sections);
    qtest_add_func("/ivshmem2/doorbell", test_ivshmem2_doorbell);
    qtest_add_func("/ivshmem2/interrupts", test_ivshmem2_interrupts);
    qtest_add_func("/ivshmem2/hotplug", test_ivshmem2_hotplug);
    return g_test_run();
}

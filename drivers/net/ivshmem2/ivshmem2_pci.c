/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/*
 * PCI attachment: inside a guest, the ivshmem2 device (110a:4106, class
 * FF0000h | IVSHMEM2_NET_PROTOCOL) bound to vfio-pci or uio_pci_generic.
 * The device does what the vdev attachment does by hand: BAR2 is the whole
 * shared memory (foreign sections read-only in hardware), DOORBELL rings a
 * peer, a STATE write updates the state table and raises vector 0 at every
 * other peer. The ring code runs unchanged on top.
 *
 * Interrupts (vfio-pci only: the device has no INTx pin when MSI-X exists):
 * every MSI-X vector is wired once at probe; vector 0 runs the link check
 * on the EAL interrupt thread, vectors 1.. are handed to the ports' rx
 * queues. An alarm re-checks the link in any case, so uio_pci_generic
 * (no interrupts) works in polling mode.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bus_pci_driver.h>
#include <ethdev_driver.h>
#include <ethdev_pci.h>
#include <rte_alarm.h>
#include <rte_interrupts.h>
#include <rte_io.h>
#include <rte_malloc.h>

#include <ivshmem2/regs.h>

#include "ivshmem2_attach.h"
#include "ivshmem2_devargs.h"
#include "ivshmem2_link.h"
#include "ivshmem2_logs.h"

#define IVSHMEM2_PCI_POLL_US		(IVSHMEM2_NET_HEARTBEAT_MS * 1000) /* heartbeat, link */
#define IVSHMEM2_PCI_CLASS		((IVSHMEM2_PCI_BASE_CLASS << 16) | IVSHMEM2_NET_PROTOCOL)
#define PCI_CAP_LIST_PTR		0x34
#define PCI_CAP_ID_MSIX			0x11
#define PCI_MSIX_FLAGS			2
#define PCI_MSIX_TABLE_SIZE_MASK	0x07ffu
#define PCI_CFG_SPACE_SIZE		256

struct ivshmem2_pci_dev {
	struct ivshmem2_hw hw;		/* first: container_of by cast */
	struct rte_pci_device *pci;
	uint8_t *regs;			/* BAR0 */
	bool msix;			/* vectors wired through vfio-pci */
	bool closing;
};

#define PCI_DEV(hw)	((struct ivshmem2_pci_dev *)(hw))

/* What the vendor capability says (spec section 1). */
struct ivshmem2_pci_cap {
	uint32_t state_table_size;
	uint64_t rw_section_size;
	uint64_t output_section_size;
};

/* ---- ops ---- */

/* Own vector @vector's eventfd, wired through vfio-pci MSI-X; -1 without MSI-X. */
static int
pci_vector_fd(struct ivshmem2_hw *hw, uint32_t vector)
{
	struct ivshmem2_pci_dev *pd = PCI_DEV(hw);
	struct rte_intr_handle *h = pd->pci->intr_handle;

	if (!pd->msix || vector >= hw->vectors)
		return -1;
	if (vector == IVSHMEM2_VECTOR_STATE)
		return rte_intr_fd_get(h);
	if (vector > (uint32_t)rte_intr_nb_efd_get(h))
		return -1;
	return rte_intr_efds_index_get(h, vector - 1);
}

static void
pci_notify(struct ivshmem2_hw *hw, uint32_t peer, uint32_t vector)
{
	struct ivshmem2_pci_dev *pd = PCI_DEV(hw);
	static const uint64_t one = 1;
	int fd;

	if (peer >= hw->max_peers || vector >= hw->vectors)
		return;
	if (peer != hw->id) {
		/* rte_write32 orders the ring writes before the doorbell. */
		rte_write32(IVSHMEM2_DOORBELL(peer, vector), pd->regs + IVSHMEM2_REG_DOORBELL);
		return;
	}
	/* Self-kick of an rx queue: straight to its eventfd, no device round trip. */
	if (vector == IVSHMEM2_VECTOR_STATE)
		return;
	fd = pci_vector_fd(hw, vector);
	if (fd >= 0 && write(fd, &one, sizeof(one)) < 0) {
		/* Counter saturated: the queue is being woken anyway. */
	}
}

static void
pci_set_state(struct ivshmem2_hw *hw, uint32_t state)
{
	struct ivshmem2_pci_dev *pd = PCI_DEV(hw);

	/* The device stores it in the state table and raises vector 0 elsewhere. */
	rte_write32(state, pd->regs + IVSHMEM2_REG_STATE);
}

static void pci_close(struct ivshmem2_hw *hw);

static const struct ivshmem2_hw_ops ivshmem2_pci_ops = {
	.notify = pci_notify,
	.set_state = pci_set_state,
	.vector_fd = pci_vector_fd,
	.close = pci_close,
};

/* ---- interrupts and link ---- */

static void
pci_state_cb(void *arg)
{
	/* The EAL already drained the vector-0 eventfd (VFIO_MSIX handle). */
	ivshmem2_link_check(&((struct ivshmem2_pci_dev *)arg)->hw);
}

static void
pci_alarm_cb(void *arg)
{
	struct ivshmem2_pci_dev *pd = arg;

	if (pd->closing)
		return;
	ivshmem2_link_tick(&pd->hw);
	rte_eal_alarm_set(IVSHMEM2_PCI_POLL_US, pci_alarm_cb, pd);
}

/* Wire every MSI-X vector: 0 to the link check, 1.. to eventfds for rx queues. */
static void
pci_setup_intr(struct ivshmem2_pci_dev *pd)
{
	struct rte_intr_handle *h = pd->pci->intr_handle;
	uint32_t nb_efd = RTE_MIN(pd->hw.vectors - 1, (uint32_t)RTE_MAX_RXTX_INTR_VEC_ID);

	if (rte_intr_type_get(h) != RTE_INTR_HANDLE_VFIO_MSIX) {
		IVSHMEM2_LOG(NOTICE, "%s: no MSI-X through vfio-pci: link by polling, "
			     "no rx interrupts", pd->pci->device.name);
		return;
	}
	if (rte_intr_efd_enable(h, nb_efd) != 0 ||
	    rte_intr_callback_register(h, pci_state_cb, pd) != 0) {
		IVSHMEM2_LOG(WARNING, "%s: cannot set up MSI-X eventfds: link by polling",
			     pd->pci->device.name);
		rte_intr_efd_disable(h);
		return;
	}
	if (rte_intr_enable(h) != 0) {
		IVSHMEM2_LOG(WARNING, "%s: cannot enable MSI-X: link by polling",
			     pd->pci->device.name);
		rte_intr_callback_unregister_sync(h, pci_state_cb, pd);
		rte_intr_efd_disable(h);
		return;
	}
	pd->msix = true;
	rte_write32(IVSHMEM2_INT_CONTROL_ENABLE, pd->regs + IVSHMEM2_REG_INT_CONTROL);
}

static void
pci_close(struct ivshmem2_hw *hw)
{
	struct ivshmem2_pci_dev *pd = PCI_DEV(hw);
	struct rte_intr_handle *h = pd->pci->intr_handle;

	pd->closing = true;
	rte_eal_alarm_cancel(pci_alarm_cb, pd);
	if (pd->regs != NULL) {
		rte_write32(0, pd->regs + IVSHMEM2_REG_INT_CONTROL);
		rte_write32(IVSHMEM2_STATE_RESET, pd->regs + IVSHMEM2_REG_STATE);
	}
	if (pd->msix) {
		rte_intr_disable(h);
		rte_intr_callback_unregister_sync(h, pci_state_cb, pd);
		rte_intr_efd_disable(h);
	}
	if (hw->extmem_registered)
		rte_extmem_unregister(hw->base, hw->shm.shm_size);
	free(hw->port_of_peer);
	free(pd);
}

/* ---- configuration space ---- */

/* Offset of capability @id, or 0. The list is walked at most 48 steps. */
static uint8_t
pci_find_cap(const uint8_t *cfg, uint8_t id)
{
	uint8_t pos = cfg[PCI_CAP_LIST_PTR] & ~3u;
	int steps;

	for (steps = 0; pos >= 0x40 && steps < 48; steps++) {
		if (cfg[pos] == id)
			return pos;
		pos = cfg[pos + 1] & ~3u;
	}
	return 0;
}

static int
pci_read_caps(struct ivshmem2_pci_dev *pd, struct ivshmem2_pci_cap *cap)
{
	const char *name = pd->pci->device.name;
	uint8_t cfg[PCI_CFG_SPACE_SIZE];
	uint16_t msix_flags;
	uint8_t pos;

	if (rte_pci_read_config(pd->pci, cfg, sizeof(cfg), 0) != (int)sizeof(cfg)) {
		IVSHMEM2_LOG(ERR, "%s: cannot read the configuration space", name);
		return -EIO;
	}
	pos = pci_find_cap(cfg, IVSHMEM2_CAP_ID);
	/* pos <= 0xff - 0x18 keeps every field below inside cfg. */
	if (pos == 0 || pos > sizeof(cfg) - IVSHMEM2_CAP_LEN) {
		IVSHMEM2_LOG(ERR, "%s: no ivshmem2 vendor capability", name);
		return -ENODEV;
	}
	if (cfg[pos + IVSHMEM2_CAP_OFF_LEN] != IVSHMEM2_CAP_LEN) {
		IVSHMEM2_LOG(ERR, "%s: vendor capability of length 0x%x: only devices with the "
			     "shared memory in BAR2 (length 0x%x) are supported", name,
			     cfg[pos + IVSHMEM2_CAP_OFF_LEN], IVSHMEM2_CAP_LEN);
		return -ENOTSUP;
	}
	memcpy(&cap->state_table_size, &cfg[pos + IVSHMEM2_CAP_OFF_STATE_TAB_SZ], 4);
	memcpy(&cap->rw_section_size, &cfg[pos + IVSHMEM2_CAP_OFF_RW_SECTION_SZ], 8);
	memcpy(&cap->output_section_size, &cfg[pos + IVSHMEM2_CAP_OFF_OUTPUT_SECTION_SZ], 8);
	cap->state_table_size = rte_le_to_cpu_32(cap->state_table_size);
	cap->rw_section_size = rte_le_to_cpu_64(cap->rw_section_size);
	cap->output_section_size = rte_le_to_cpu_64(cap->output_section_size);

	pos = pci_find_cap(cfg, PCI_CAP_ID_MSIX);
	if (pos != 0 && pos <= sizeof(cfg) - 4) {
		memcpy(&msix_flags, &cfg[pos + PCI_MSIX_FLAGS], 2);
		pd->hw.vectors = (rte_le_to_cpu_16(msix_flags) & PCI_MSIX_TABLE_SIZE_MASK) + 1;
	} else {
		pd->hw.vectors = 1;	/* INTx: one vector */
	}
	return 0;
}

/* Check the device's view against the layout both sides derive. */
static int
pci_setup_layout(struct ivshmem2_pci_dev *pd, const struct ivshmem2_pci_cap *cap)
{
	struct ivshmem2_hw *hw = &pd->hw;
	const struct rte_mem_resource *bar2 = &pd->pci->mem_resource[IVSHMEM2_BAR_SHMEM];
	const char *name = pd->pci->device.name;
	uint64_t shm_size;

	if (cap->state_table_size != IVSHMEM2_STATE_TABLE_SIZE ||
	    cap->output_section_size > (UINT64_MAX - IVSHMEM2_STATE_TABLE_SIZE -
					cap->rw_section_size) / hw->max_peers) {
		IVSHMEM2_LOG(ERR, "%s: unsupported sizes: state table %u, R/W %" PRIu64
			     ", output %" PRIu64, name, cap->state_table_size,
			     cap->rw_section_size, cap->output_section_size);
		return -ENOTSUP;
	}
	shm_size = IVSHMEM2_STATE_TABLE_SIZE + cap->rw_section_size +
		   (uint64_t)hw->max_peers * cap->output_section_size;
	if (bar2->addr == NULL || bar2->len < shm_size) {
		IVSHMEM2_LOG(ERR, "%s: BAR2 of %" PRIu64 " bytes cannot hold the %" PRIu64
			     " bytes the capability describes", name, bar2->len, shm_size);
		return -EINVAL;
	}
	if (ivshmem2_attach_layout(hw, shm_size, hw->max_peers, cap->output_section_size,
				   (size_t)sysconf(_SC_PAGESIZE), name) != 0)
		return -EINVAL;
	hw->base = bar2->addr;
	return 0;
}

/* ---- probe / remove ---- */

static int
pci_attach(struct ivshmem2_pci_dev *pd)
{
	const struct rte_mem_resource *bar0 = &pd->pci->mem_resource[IVSHMEM2_BAR_REGS];
	const char *name = pd->pci->device.name;
	struct ivshmem2_hw *hw = &pd->hw;
	struct ivshmem2_pci_cap cap;
	int ret;

	if (pd->pci->id.class_id != IVSHMEM2_PCI_CLASS) {
		IVSHMEM2_LOG(ERR, "%s: protocol 0x%04x, net_ivshmem2 needs 0x%04x (start the "
			     "server with -P 0x%04x)", name, pd->pci->id.class_id & 0xffffu,
			     IVSHMEM2_NET_PROTOCOL, IVSHMEM2_NET_PROTOCOL);
		return -ENOTSUP;
	}
	if (bar0->addr == NULL || bar0->len < IVSHMEM2_REG_STATE + sizeof(uint32_t)) {
		IVSHMEM2_LOG(ERR, "%s: BAR0 (registers) not mapped", name);
		return -ENODEV;
	}
	pd->regs = bar0->addr;
	ret = pci_read_caps(pd, &cap);
	if (ret != 0)
		return ret;
	hw->id = rte_read32(pd->regs + IVSHMEM2_REG_ID);
	hw->max_peers = rte_read32(pd->regs + IVSHMEM2_REG_MAX_PEERS);
	if (hw->max_peers < IVSHMEM2_MIN_PEERS ||
	    hw->max_peers > IVSHMEM2_STATE_TABLE_MAX_PEERS || hw->id >= hw->max_peers) {
		IVSHMEM2_LOG(ERR, "%s: bad registers: ID %u, MAX_PEERS %u", name, hw->id,
			     hw->max_peers);
		return -EINVAL;
	}
	ret = pci_setup_layout(pd, &cap);
	if (ret != 0)
		return ret;
	ret = ivshmem2_attach_port_table_alloc(hw);
	if (ret != 0)
		return ret;
	hw->numa_node = pd->pci->device.numa_node < 0 ? SOCKET_ID_ANY :
			pd->pci->device.numa_node;

	/*
	 * A previous instance killed in this guest left the device's state at
	 * RUN and its section as it was: say "gone" first, so that peers end
	 * that pairing before the section is re-initialised for a new handshake.
	 */
	pci_set_state(hw, IVSHMEM2_STATE_RESET);
	pci_setup_intr(pd);
	ivshmem2_link_attached(hw);
	IVSHMEM2_LOG(INFO, "%s: peer %u of %u, %u vectors%s, %u queue pair(s) of %u slots "
		     "per peer", name, hw->id, hw->max_peers, hw->vectors,
		     pd->msix ? " (MSI-X)" : " (polling)", hw->net.queues, hw->net.ring_size);
	return 0;
}

static struct rte_eth_dev *
pci_alloc_first(struct rte_device *device, size_t private_size)
{
	return rte_eth_dev_pci_allocate(RTE_DEV_TO_PCI(device), private_size);
}

static int
ivshmem2_pci_probe(struct rte_pci_driver *drv __rte_unused, struct rte_pci_device *pci)
{
	const char *name = pci->device.name;
	struct ivshmem2_pci_dev *pd;
	struct ivshmem2_args args;
	int ret;

	if (rte_eal_process_type() != RTE_PROC_PRIMARY) {
		IVSHMEM2_LOG(ERR, "%s: PCI attachment: secondary processes are not supported",
			     name);
		return -ENOTSUP;
	}
	ret = ivshmem2_args_parse(pci->device.devargs != NULL ? pci->device.devargs->args : NULL,
				  IVSHMEM2_ARGS_PCI, name, &args);
	if (ret != 0)
		return ret;
	pd = calloc(1, sizeof(*pd));
	if (pd == NULL)
		return -ENOMEM;
	pd->pci = pci;
	pd->hw.ops = &ivshmem2_pci_ops;
	pd->hw.numa_node = SOCKET_ID_ANY;
	rte_spinlock_init(&pd->hw.lock);
	ret = pci_attach(pd);
	if (ret != 0)
		goto err;

	ret = ivshmem2_attach_create_ports(&pd->hw, &pci->device, pci_alloc_first, &args);
	if (ret != 0 && pd->hw.nb_ports == 0)
		goto err;
	rte_eal_alarm_set(IVSHMEM2_PCI_POLL_US, pci_alarm_cb, pd);
	return ret;
err:
	if (pd->hw.nb_ports == 0)
		pci_close(&pd->hw);
	return ret;
}

static int
ivshmem2_pci_remove(struct rte_pci_device *pci)
{
	return ivshmem2_attach_remove(&pci->device);
}

static const struct rte_pci_id ivshmem2_pci_id_table[] = {
	{
		/* Any protocol: a foreign one gets a clear error at probe. */
		.class_id = RTE_CLASS_ANY_ID,
		.vendor_id = IVSHMEM2_PCI_VENDOR_ID,
		.device_id = IVSHMEM2_PCI_DEVICE_ID,
		.subsystem_vendor_id = RTE_PCI_ANY_ID,
		.subsystem_device_id = RTE_PCI_ANY_ID,
	},
	{ .vendor_id = 0, },
};

static struct rte_pci_driver ivshmem2_pci_drv = {
	.id_table = ivshmem2_pci_id_table,
	.drv_flags = RTE_PCI_DRV_NEED_MAPPING,
	.probe = ivshmem2_pci_probe,
	.remove = ivshmem2_pci_remove,
};

RTE_PMD_REGISTER_PCI(net_ivshmem2_pci, ivshmem2_pci_drv);
RTE_PMD_REGISTER_PCI_TABLE(net_ivshmem2_pci, ivshmem2_pci_id_table);
RTE_PMD_REGISTER_KMOD_DEP(net_ivshmem2_pci, "* vfio-pci | uio_pci_generic");
RTE_PMD_REGISTER_PARAM_STRING(net_ivshmem2_pci, ETH_IVSHMEM2_COMMON_PARAMS);

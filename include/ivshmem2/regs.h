/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The ivshmem2 authors
 */

/*
 * IVSHMEM v2 PCI device: identity, BAR0 registers, vendor capability and
 * protocol classes (spec sections 1 and 2). All registers are 32-bit,
 * little-endian, and accessed aligned.
 */

#ifndef IVSHMEM2_REGS_H
#define IVSHMEM2_REGS_H

#include <stdint.h>

#define IVSHMEM2_PCI_VENDOR_ID		0x110a	/* Siemens */
#define IVSHMEM2_PCI_DEVICE_ID		0x4106
#define IVSHMEM2_PCI_REVISION		0x00
#define IVSHMEM2_PCI_BASE_CLASS		0xff	/* class = 0xff0000 | protocol */

#define IVSHMEM2_BAR_REGS		0
#define IVSHMEM2_BAR_MSIX		1
#define IVSHMEM2_BAR_SHMEM		2
#define IVSHMEM2_REGS_BAR_SIZE		0x1000u

/* BAR0 register offsets. */
#define IVSHMEM2_REG_ID			0x00	/* RO: own peer ID */
#define IVSHMEM2_REG_MAX_PEERS		0x04	/* RO: peers in the group, self included */
#define IVSHMEM2_REG_INT_CONTROL	0x08	/* RW: bit 0 enables interrupts */
#define IVSHMEM2_REG_DOORBELL		0x0c	/* WO: (target ID << 16) | vector */
#define IVSHMEM2_REG_STATE		0x10	/* RW: own state-table entry */

#define IVSHMEM2_INT_CONTROL_ENABLE	0x1u

#define IVSHMEM2_DOORBELL(peer, vector) \
	((((uint32_t)(peer) & 0xffffu) << 16) | ((uint32_t)(vector) & 0xffffu))
#define IVSHMEM2_DOORBELL_PEER(val)	(((uint32_t)(val) >> 16) & 0xffffu)
#define IVSHMEM2_DOORBELL_VECTOR(val)	((uint32_t)(val) & 0xffffu)

/* Vector 0 is raised by the device on state changes of other peers. */
#define IVSHMEM2_VECTOR_STATE		0

/* Vendor-specific capability (PCI cap ID 09h): byte offsets inside it. */
#define IVSHMEM2_CAP_ID			0x09
#define IVSHMEM2_CAP_OFF_LEN		0x02
#define IVSHMEM2_CAP_OFF_PRIV_CTRL	0x03
#define IVSHMEM2_CAP_OFF_STATE_TAB_SZ	0x04	/* 32-bit */
#define IVSHMEM2_CAP_OFF_RW_SECTION_SZ	0x08	/* 64-bit */
#define IVSHMEM2_CAP_OFF_OUTPUT_SECTION_SZ 0x10	/* 64-bit */
#define IVSHMEM2_CAP_OFF_BASE_ADDR	0x18	/* 64-bit, only without BAR2 */
#define IVSHMEM2_CAP_LEN		0x18	/* with BAR2 */
#define IVSHMEM2_CAP_LEN_WITH_BASE	0x20	/* without BAR2 */

#define IVSHMEM2_PRIV_CTRL_ONESHOT	0x01	/* device clears INT_CONTROL on delivery */

/* Protocol numbers (low 16 bits of the class code). */
#define IVSHMEM2_PROTO_UNDEFINED	0x0000
#define IVSHMEM2_PROTO_ETHERNET		0x0001	/* ivshmem-net (virtio-ring based) */
#define IVSHMEM2_PROTO_USER_MIN		0x4000
#define IVSHMEM2_PROTO_USER_MAX		0x7fff
#define IVSHMEM2_PROTO_VIRTIO_MIN	0x8000
#define IVSHMEM2_PROTO_VIRTIO_BACKEND	0x4000	/* bit 14 within the virtio range */
#define IVSHMEM2_PROTO_MAX		0xffff	/* protocols are 16-bit */

/* Limits of the spec and of this implementation. */
#define IVSHMEM2_MIN_PEERS		2u
#define IVSHMEM2_MAX_VECTORS		1024u	/* device side */
#define IVSHMEM2_SERVER_MAX_VECTORS	64u	/* server side, as the seed */
#define IVSHMEM2_MAX_PEER_ID		65535u
#define IVSHMEM2_VIRTIO_MAX_PEERS	2u	/* a virtio back-end and one front-end */

#endif /* IVSHMEM2_REGS_H */

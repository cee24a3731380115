/*
 * Inter-VM shared memory v2 device: compatibility with older QEMU
 *
 * Copyright (c) 2026 The ivshmem2 authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The device is written against the QEMU 10.0 API (Debian 13). This header
 * maps the few calls that differ onto QEMU 7.2 (Debian 12), so that
 * ivshmem2.c itself carries no version checks. Include it after QEMU's own
 * headers. With QEMU 10.0 it only includes headers.
 */

#ifndef HW_IVSHMEM2_COMPAT_H
#define HW_IVSHMEM2_COMPAT_H

#include "hw/qdev-core.h"
#include "migration/blocker.h"

#define IVSHMEM2_QEMU_BEFORE(major, minor) \
    (QEMU_VERSION_MAJOR < (major) || \
     (QEMU_VERSION_MAJOR == (major) && QEMU_VERSION_MINOR < (minor)))

/* 10.0 renamed include/sysemu to include/system. */
#if IVSHMEM2_QEMU_BEFORE(10, 0)
#include "sysemu/kvm.h"
#else
#include "system/kvm.h"
#endif

/* 8.0 moved PCIDevice out of hw/pci/pci.h. */
#if !IVSHMEM2_QEMU_BEFORE(8, 0)
#include "hw/pci/pci_device.h"
#endif

/* 8.2: the blocker calls take the caller's pointer, and free and clear it. */
#if IVSHMEM2_QEMU_BEFORE(8, 2)
static inline int ivshmem2_compat_migrate_add_blocker(Error **reasonp,
                                                      Error **errp)
{
    int ret = migrate_add_blocker(*reasonp, errp);

    if (ret < 0) {
        error_free(*reasonp);
        *reasonp = NULL;
    }
    return ret;
}
#define migrate_add_blocker ivshmem2_compat_migrate_add_blocker

static inline void ivshmem2_compat_migrate_del_blocker(Error **reasonp)
{
    if (*reasonp) {
        migrate_del_blocker(*reasonp);
        error_free(*reasonp);
        *reasonp = NULL;
    }
}
#define migrate_del_blocker ivshmem2_compat_migrate_del_blocker
#endif

/* 9.2: DeviceClass::reset became legacy_reset, set through a function. */
#if IVSHMEM2_QEMU_BEFORE(9, 2)
static inline void device_class_set_legacy_reset(DeviceClass *dc,
                                                 DeviceReset fn)
{
    dc->reset = fn;
}
#endif

/*
 * 10.0: property arrays are const and counted (no DEFINE_PROP_END_OF_LIST).
 * Before, QEMU walks a writable array up to an empty entry: give it a
 * terminated copy, which lives as long as the class does.
 */
#if IVSHMEM2_QEMU_BEFORE(10, 0)
static inline void ivshmem2_compat_set_props(DeviceClass *dc,
                                             const Property *props, size_t n)
{
    Property *terminated = g_new0(Property, n + 1);

    memcpy(terminated, props, n * sizeof(*props));
    (device_class_set_props)(dc, terminated);
}
#define device_class_set_props(dc, props) \
    ivshmem2_compat_set_props((dc), (props), ARRAY_SIZE(props))
#endif

#endif /* HW_IVSHMEM2_COMPAT_H */

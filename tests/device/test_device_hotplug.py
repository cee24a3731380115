# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""device_add / device_del with the real server: realize at run time, and an
unplug that gives everything back (mapping, eventfds, the server's slot)."""

import os

import pytest

import ivshmem2_wire as w
from device_harness import SLOT, GroupConfig, wait_until
from device_qtest import PciFunction

pytestmark = pytest.mark.qemu

ACPI_PCIHP_EJECT = 0xAE08  # piix4 ACPI PCI hotplug: eject slot bitmap


def shm_mapped(qt, group) -> bool:
    with open(f"/proc/{qt.proc.pid}/maps") as maps:
        return group.shm_name in maps.read()


def eventfds(qt) -> int:
    fd_dir = f"/proc/{qt.proc.pid}/fd"
    count = 0
    for fd in os.listdir(fd_dir):
        try:
            if os.readlink(f"{fd_dir}/{fd}") == "anon_inode:[eventfd]":
                count += 1
        except FileNotFoundError:
            pass
    return count


def test_hotplug_and_unplug(start_group, start_qemu):
    group = start_group(GroupConfig(peers=2, vectors=4, size="1M", output="64K"))
    qt = start_qemu(["-chardev", f"socket,path={group.socket},id=ivs"], machine="pc")
    qmp = qt.qmp()
    baseline = eventfds(qt)
    assert not shm_mapped(qt, group)

    reply = qmp.execute("device_add", driver="ivshmem2", id="iv0", chardev="ivs",
                        addr=f"{SLOT:x}.0")
    assert reply == {"return": {}}, reply
    pci = PciFunction(qt, SLOT)
    bar0 = pci.map_bars()[0]
    assert qt.readl(bar0 + w.REG_ID) == 0
    assert shm_mapped(qt, group)
    assert eventfds(qt) >= baseline + 4

    assert qmp.execute("device_del", id="iv0") == {"return": {}}
    qt.outl(ACPI_PCIHP_EJECT, 1 << SLOT)
    assert wait_until(lambda: pci.cfg_read16(0) == 0xFFFF), "device not removed"
    assert wait_until(lambda: not shm_mapped(qt, group)), "shared memory still mapped"
    assert wait_until(lambda: eventfds(qt) == baseline), "eventfds leaked"
    assert qt.alive()

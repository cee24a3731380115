#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Doorbells and MSI-X of an ivshmem2 device through vfio-pci, in a guest.

Binds the device to vfio-pci (driver_override), maps BAR0 through VFIO,
sets Bus Master (vfio-pci leaves it off and MSI-X is then dropped
silently), wires one eventfd per MSI-X vector with VFIO_DEVICE_SET_IRQS
and enables INT_CONTROL. Then, with exactly one other peer:

  peer with the lower ID  rings the other on vector 1 and waits for the
                          answer, --rounds times; then waits for the
                          other's STATE change (vector 0)
  the other peer          answers each doorbell, then changes its STATE
                          and waits for the first peer's STATE (vector 0)

Prints JSON: own ID, doorbell round trips (us), vector-0 interrupts seen.
Needs the guest's vIOMMU (intel_iommu=on) for vfio-pci.
"""

import argparse
import ctypes
import fcntl
import json
import mmap
import os
import select
import statistics
import struct
import sys
import time
from pathlib import Path

import iv2pci  # beside this file: on sys.path when run as a script, in the guest too

# <linux/vfio.h>: _IO(VFIO_TYPE, VFIO_BASE + n)
VFIO_TYPE, VFIO_BASE = ord(";"), 100
VFIO_GET_API_VERSION = (VFIO_TYPE << 8) | (VFIO_BASE + 0)
VFIO_SET_IOMMU = (VFIO_TYPE << 8) | (VFIO_BASE + 2)
VFIO_GROUP_GET_STATUS = (VFIO_TYPE << 8) | (VFIO_BASE + 3)
VFIO_GROUP_SET_CONTAINER = (VFIO_TYPE << 8) | (VFIO_BASE + 4)
VFIO_GROUP_GET_DEVICE_FD = (VFIO_TYPE << 8) | (VFIO_BASE + 6)
VFIO_DEVICE_GET_REGION_INFO = (VFIO_TYPE << 8) | (VFIO_BASE + 8)
VFIO_DEVICE_GET_IRQ_INFO = (VFIO_TYPE << 8) | (VFIO_BASE + 9)
VFIO_DEVICE_SET_IRQS = (VFIO_TYPE << 8) | (VFIO_BASE + 10)
VFIO_TYPE1_IOMMU = 1
VFIO_GROUP_FLAGS_VIABLE = 1
VFIO_REGION_INFO_FLAG_MMAP = 1 << 2
VFIO_PCI_CONFIG_REGION_INDEX = 7
VFIO_PCI_MSIX_IRQ_INDEX = 2
VFIO_IRQ_SET_DATA_EVENTFD = 1 << 2
VFIO_IRQ_SET_ACTION_TRIGGER = 1 << 5

DOORBELL_VECTOR = 1
STATE_READY, STATE_DONE, STATE_SEEN = 1, 2, 3


def die(msg):
    sys.exit(f"iv2vfio: {msg}")


def bind_vfio(dev: Path):
    """Hand the device to vfio-pci; return its IOMMU group number."""
    driver = dev / "driver"
    if driver.exists() and driver.resolve().name == "vfio-pci":
        return int(os.readlink(dev / "iommu_group").rsplit("/", 1)[1])
    if not (dev / "iommu_group").exists():
        die(f"{dev.name} has no IOMMU group: boot with a vIOMMU and intel_iommu=on")
    (dev / "driver_override").write_text("vfio-pci")
    if driver.exists():
        (driver / "unbind").write_text(dev.name)
    Path("/sys/bus/pci/drivers_probe").write_text(dev.name)
    if not driver.exists() or driver.resolve().name != "vfio-pci":
        die(f"{dev.name}: vfio-pci did not bind (modules loaded?)")
    return int(os.readlink(dev / "iommu_group").rsplit("/", 1)[1])


class VfioDevice:
    def __init__(self, dev: Path):
        group = bind_vfio(dev)
        self.container = os.open("/dev/vfio/vfio", os.O_RDWR)
        if fcntl.ioctl(self.container, VFIO_GET_API_VERSION) != 0:
            die("unexpected VFIO API version")
        self.group = os.open(f"/dev/vfio/{group}", os.O_RDWR)
        status = bytearray(struct.pack("<II", 8, 0))
        fcntl.ioctl(self.group, VFIO_GROUP_GET_STATUS, status)
        if not struct.unpack("<II", status)[1] & VFIO_GROUP_FLAGS_VIABLE:
            die(f"IOMMU group {group} is not viable (other devices in it bound?)")
        fcntl.ioctl(self.group, VFIO_GROUP_SET_CONTAINER, struct.pack("<i", self.container))
        fcntl.ioctl(self.container, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU)
        self.fd = fcntl.ioctl(self.group, VFIO_GROUP_GET_DEVICE_FD,
                              ctypes.create_string_buffer(dev.name.encode()))

    def region(self, index):
        info = bytearray(struct.pack("<IIIIQQ", 32, 0, index, 0, 0, 0))
        fcntl.ioctl(self.fd, VFIO_DEVICE_GET_REGION_INFO, info)
        _, flags, _, _, size, offset = struct.unpack("<IIIIQQ", info)
        return flags, size, offset

    def map_bar(self, bar):
        flags, size, offset = self.region(bar)
        if not flags & VFIO_REGION_INFO_FLAG_MMAP or size == 0:
            die(f"BAR{bar} cannot be mmap'ed through VFIO (flags {flags:#x})")
        return mmap.mmap(self.fd, size, mmap.MAP_SHARED,
                         mmap.PROT_READ | mmap.PROT_WRITE, offset=offset)

    def set_bus_master(self):
        _, _, cfg = self.region(VFIO_PCI_CONFIG_REGION_INDEX)
        cmd = struct.unpack("<H", os.pread(self.fd, 2, cfg + iv2pci.PCI_COMMAND))[0]
        os.pwrite(self.fd, struct.pack("<H", cmd | iv2pci.CMD_MASTER | iv2pci.CMD_MEMORY),
                  cfg + iv2pci.PCI_COMMAND)

    def msix_count(self):
        info = bytearray(struct.pack("<IIII", 16, 0, VFIO_PCI_MSIX_IRQ_INDEX, 0))
        fcntl.ioctl(self.fd, VFIO_DEVICE_GET_IRQ_INFO, info)
        return struct.unpack("<IIII", info)[3]

    def wire_msix(self, count):
        efds = [os.eventfd(0, os.EFD_NONBLOCK) for _ in range(count)]
        hdr = struct.pack("<IIIII", 20 + 4 * count,
                          VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
                          VFIO_PCI_MSIX_IRQ_INDEX, 0, count)
        fcntl.ioctl(self.fd, VFIO_DEVICE_SET_IRQS, hdr + struct.pack(f"<{count}i", *efds))
        return efds


def wait_event(efd, timeout, what):
    r, _, _ = select.select([efd], [], [], timeout)
    if not r:
        die(f"no interrupt within {timeout} s: {what}")
    return struct.unpack("<Q", os.read(efd, 8))[0]


def drain(efd):
    try:
        return struct.unpack("<Q", os.read(efd, 8))[0]
    except BlockingIOError:
        return 0


class Peer:
    """BAR0 through VFIO, state table through sysfs resource2 (no driver needed)."""

    def __init__(self, pci: "iv2pci.Device", vfio: VfioDevice):
        self.regs = memoryview(vfio.map_bar(0)).cast("I")
        self.table = pci
        self.id = self.regs[iv2pci.REG_ID // 4]
        self.max_peers = self.regs[iv2pci.REG_MAX_PEERS // 4]

    def ring(self, peer, vector):
        self.regs[iv2pci.REG_DOORBELL // 4] = (peer << 16) | vector

    def set_state(self, value):
        self.regs[iv2pci.REG_STATE // 4] = value

    def wait_state(self, peer, ok, timeout, what):
        deadline = time.monotonic() + timeout
        while not ok(self.table.peer_state(peer)):
            if time.monotonic() > deadline:
                die(f"timeout: peer {peer} {what} (state {self.table.peer_state(peer)})")
            time.sleep(0.01)


def run(bdf, rounds, timeout):
    pci = iv2pci.pick(bdf)          # maps resource2 before vfio takes the device
    vfio = VfioDevice(pci.path)
    vfio.set_bus_master()
    vectors = vfio.msix_count()
    if vectors <= DOORBELL_VECTOR:
        die(f"{vectors} MSI-X vectors: start the server with -V 2 or more")
    efds = vfio.wire_msix(vectors)
    me = Peer(pci, vfio)
    if me.max_peers != 2:
        die(f"needs a 2-peer group, MAX_PEERS is {me.max_peers}")
    other = 1 - me.id
    me.regs[iv2pci.REG_INT_CONTROL // 4] = 1
    me.set_state(STATE_READY)
    me.wait_state(other, lambda s: s >= STATE_READY, timeout, "ready")
    time.sleep(0.2)
    drain(efds[0])
    rtts = []
    if me.id < other:
        for _ in range(rounds):
            t0 = time.monotonic()
            me.ring(other, DOORBELL_VECTOR)
            wait_event(efds[DOORBELL_VECTOR], timeout, "doorbell answer")
            rtts.append((time.monotonic() - t0) * 1e6)
        wait_event(efds[0], timeout, "peer's STATE change")
        me.wait_state(other, lambda s: s == STATE_DONE, 5, "done")
        me.set_state(STATE_SEEN)
    else:
        for _ in range(rounds):
            wait_event(efds[DOORBELL_VECTOR], timeout, "doorbell")
            me.ring(other, DOORBELL_VECTOR)
        me.set_state(STATE_DONE)
        wait_event(efds[0], timeout, "peer's STATE change")
        me.wait_state(other, lambda s: s == STATE_SEEN, 5, "seen")
    out = {"id": me.id, "driver": (pci.path / "driver").resolve().name, "vectors": vectors,
           "doorbells": rounds, "state_interrupts": 1}
    if rtts:
        out["rtt_us_median"] = round(statistics.median(rtts), 1)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("bdf", nargs="?")
    p.add_argument("--rounds", type=int, default=100)
    p.add_argument("--timeout", type=float, default=120)
    args = p.parse_args()
    print(json.dumps(run(args.bdf, args.rounds, args.timeout)))


if __name__ == "__main__":
    main()

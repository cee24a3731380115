#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Inspect and exercise ivshmem2 PCI devices from inside a guest, via sysfs.

No driver is needed: configuration space comes from
/sys/bus/pci/devices/<bdf>/config, BAR0 and BAR2 are mmap'ed from
resource0/resource2 (Memory Space is enabled when it is off). While
vfio-pci holds the device the kernel refuses these mmaps: use the tool
before binding, or iv2vfio.py.

  iv2pci.py list                  one line per device: bdf vendor device class
  iv2pci.py info [BDF]            JSON: ID, MAX_PEERS, capability sizes, BAR sizes
  iv2pci.py exchange [BDF]        write a pattern into the own output section,
                                  verify every peer's pattern, check that a
                                  peer's section is read-only; JSON result
  iv2pci.py wait-state N [BDF]    wait until every other peer's state-table
                                  entry is at least N (e.g. 3: a net_ivshmem2
                                  port is started there)
"""

import argparse
import json
import mmap
import os
import random
import struct
import sys
import time
from pathlib import Path

SYSFS = Path("/sys/bus/pci/devices")
VENDOR, DEVICE = 0x110A, 0x4106
CAP_VENDOR = 0x09
REG_ID, REG_MAX_PEERS, REG_INT_CONTROL, REG_DOORBELL, REG_STATE = 0x00, 0x04, 0x08, 0x0C, 0x10
PCI_COMMAND, CMD_MEMORY, CMD_MASTER = 0x04, 0x2, 0x4
STATE_WRITTEN, STATE_VERIFIED = 1, 2


def die(msg):
    sys.exit(f"iv2pci: {msg}")


def sysfs_int(path: Path) -> int:
    return int(path.read_text().strip(), 16)


def find_devices():
    found = []
    for dev in sorted(SYSFS.iterdir()):
        if sysfs_int(dev / "vendor") == VENDOR and sysfs_int(dev / "device") == DEVICE:
            found.append(dev)
    return found


class Device:
    def __init__(self, path: Path):
        self.path = path
        self.bdf = path.name
        self.config = (path / "config").read_bytes()
        if len(self.config) < 64:
            die(f"{self.bdf}: config space short ({len(self.config)} bytes)")
        self.cls = sysfs_int(path / "class")
        self.cap = self._vendor_cap()
        self.enable(CMD_MEMORY)
        self.regs = self._map(0)
        self.shmem = self._map(2)
        self.id = self.reg(REG_ID)
        self.max_peers = self.reg(REG_MAX_PEERS)
        need = self.cap["state_table_size"] + self.cap["rw_section_size"] + \
            self.max_peers * self.cap["output_section_size"]
        if need > len(self.shmem) or self.id >= self.max_peers:
            die(f"{self.bdf}: layout does not fit: id {self.id}/{self.max_peers} peers, "
                f"{need} bytes needed, BAR2 has {len(self.shmem)}")

    def _vendor_cap(self):
        pos, seen = self.config[0x34] & ~3, set()
        while pos and pos not in seen and pos + 0x18 <= len(self.config):
            seen.add(pos)
            cap_id, nxt, length = self.config[pos], self.config[pos + 1], self.config[pos + 2]
            if cap_id == CAP_VENDOR:
                if length not in (0x18, 0x20):
                    die(f"{self.bdf}: vendor capability length {length:#x}")
                st, rw, out = struct.unpack_from("<IQQ", self.config, pos + 4)
                return {"offset": pos, "length": length, "priv_ctrl": self.config[pos + 3],
                        "state_table_size": st, "rw_section_size": rw,
                        "output_section_size": out}
            pos = nxt & ~3
        die(f"{self.bdf}: no vendor capability")

    def enable(self, bits):
        with open(self.path / "config", "r+b", buffering=0) as f:
            f.seek(PCI_COMMAND)
            cmd = struct.unpack("<H", f.read(2))[0]
            if cmd & bits != bits:
                f.seek(PCI_COMMAND)
                f.write(struct.pack("<H", cmd | bits))

    def _map(self, bar):
        res = self.path / f"resource{bar}"
        if not res.exists():
            die(f"{self.bdf}: BAR{bar} missing")
        fd = os.open(res, os.O_RDWR | os.O_SYNC)
        try:
            return mmap.mmap(fd, os.fstat(fd).st_size, mmap.MAP_SHARED,
                             mmap.PROT_READ | mmap.PROT_WRITE)
        finally:
            os.close(fd)

    def reg(self, off):
        # memoryview casts give single aligned 32-bit accesses.
        return memoryview(self.regs).cast("I")[off // 4]

    def set_reg(self, off, value):
        memoryview(self.regs).cast("I")[off // 4] = value

    def peer_state(self, peer):
        return memoryview(self.shmem).cast("I")[peer]

    def output_offset(self, peer):
        c = self.cap
        return c["state_table_size"] + c["rw_section_size"] + peer * c["output_section_size"]

    def info(self):
        return {"bdf": self.bdf, "class": f"{self.cls:#08x}", "id": self.id,
                "max_peers": self.max_peers, "bar0_size": len(self.regs),
                "bar2_size": len(self.shmem), **self.cap}


def pattern(peer, size):
    return random.Random(f"ivshmem2-peer-{peer}").randbytes(size)


def wait_peers(dev, ok, timeout, what):
    deadline = time.monotonic() + timeout
    peers = [p for p in range(dev.max_peers) if p != dev.id]
    while True:
        states = {p: dev.peer_state(p) for p in peers}
        if all(ok(s) for s in states.values()):
            return states
        if time.monotonic() > deadline:
            die(f"timeout waiting for peers to be {what}: states {states}")
        time.sleep(0.05)


def exchange(dev, size, timeout):
    """Both directions of the shared memory plus the state table."""
    size = min(size, dev.cap["output_section_size"])
    if size == 0:
        die("no output section")
    own = dev.output_offset(dev.id)
    dev.shmem[own:own + size] = pattern(dev.id, size)
    dev.set_reg(REG_STATE, STATE_WRITTEN)
    if dev.peer_state(dev.id) != STATE_WRITTEN:
        die(f"own state-table entry is {dev.peer_state(dev.id)} after STATE write")
    wait_peers(dev, lambda s: s >= STATE_WRITTEN, timeout, "written")
    result = {"id": dev.id, "verified": [], "readonly": []}
    for peer in range(dev.max_peers):
        if peer == dev.id:
            continue
        off = dev.output_offset(peer)
        if dev.shmem[off:off + size] != pattern(peer, size):
            die(f"peer {peer}'s output section differs from its pattern")
        result["verified"].append(peer)
        before = dev.shmem[off:off + 64]
        dev.shmem[off:off + 64] = bytes(64)     # must be discarded by the device
        if dev.shmem[off:off + 64] != before:
            die(f"write into peer {peer}'s output section was not discarded")
        result["readonly"].append(peer)
    dev.set_reg(REG_STATE, STATE_VERIFIED)
    # A peer past phase 1 shows VERIFIED, or 0 once it has left.
    wait_peers(dev, lambda s: s != STATE_WRITTEN, timeout, "verified")
    return result


def pick(bdf):
    devs = find_devices()
    if bdf:
        devs = [d for d in devs if d.name == bdf]
    if not devs:
        die("no ivshmem2 PCI device" + (f" at {bdf}" if bdf else ""))
    return Device(devs[0])


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("list")
    w = sub.add_parser("wait-state")
    w.add_argument("state", type=int)
    w.add_argument("bdf", nargs="?")
    w.add_argument("--timeout", type=float, default=300)
    for name in ("info", "exchange"):
        s = sub.add_parser(name)
        s.add_argument("bdf", nargs="?")
        if name == "exchange":
            s.add_argument("--size", type=int, default=65536)
            s.add_argument("--timeout", type=float, default=300)
    args = p.parse_args()
    if args.cmd == "list":
        for d in find_devices():
            print(d.name, f"{sysfs_int(d / 'vendor'):#06x}", f"{sysfs_int(d / 'device'):#06x}",
                  f"{sysfs_int(d / 'class'):#08x}")
    elif args.cmd == "info":
        print(json.dumps(pick(args.bdf).info()))
    elif args.cmd == "wait-state":
        dev = pick(args.bdf)
        states = wait_peers(dev, lambda s: s >= args.state, args.timeout,
                            f"at state {args.state} or more")
        print(json.dumps({"id": dev.id, "peer_states": states}))
    else:
        dev = pick(args.bdf)
        print(json.dumps(exchange(dev, args.size, args.timeout)))


if __name__ == "__main__":
    main()

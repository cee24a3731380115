# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""A QEMU under the qtest accelerator, driven through qtest's text protocol.

No guest runs: the test reads and writes guest memory, I/O ports and PCI
configuration space directly. MSI-X messages are aimed at guest RAM, so an
interrupt shows up as the message data written at the message address.
"""

import os
import select
import socket
import subprocess
import time
from pathlib import Path

PCI_CFG_ADDR = 0xCF8
PCI_CFG_DATA = 0xCFC

PCI_COMMAND = 0x04
PCI_COMMAND_MEMORY = 0x2
PCI_COMMAND_MASTER = 0x4
PCI_STATUS = 0x06
PCI_CAPABILITY_LIST = 0x34
PCI_CAP_ID_VNDR = 0x09
PCI_CAP_ID_MSIX = 0x11

# Guest-physical places used by the tests (q35, -m 64M).
MMIO_BASE = 0xE0000000
MMIO_LIMIT = 0xFEC00000
MSI_ADDR_BASE = 0x100000  # RAM: MSI-X message for vector v lands at +4*v
MSI_DATA_BASE = 0x5A000000

TIMEOUT = 60.0


class QemuFailed(Exception):
    """QEMU exited before the test could talk to it."""

    def __init__(self, returncode, stderr):
        super().__init__(f"QEMU exited with {returncode}: {stderr.strip()}")
        self.returncode = returncode
        self.stderr = stderr


class QtestMachine:
    """One qemu-system-x86_64 process with -accel qtest."""

    def __init__(self, qemu: Path, workdir: Path, name: str, extra_args, memory="64M",
                 machine="q35"):
        self.workdir = Path(workdir)
        self.name = name
        self.log_path = self.workdir / f"{name}.stderr"
        qtest_path = self.workdir / f"{name}.qtest"
        self.qmp_path = self.workdir / f"{name}.qmp"
        self._buf = b""
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(str(qtest_path))
        listener.listen(1)
        args = [
            str(qemu), "-nodefaults", "-machine", machine, "-accel", "qtest",
            "-display", "none", "-m", memory,
            "-qtest", f"unix:{qtest_path}", "-qtest-log", "/dev/null",
            "-qmp", f"unix:{self.qmp_path},server=on,wait=off",
        ] + list(extra_args)
        self.args = args
        self._log = open(self.log_path, "w+")
        self.proc = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self._log
        )
        try:
            self.sock = self._accept(listener)
        finally:
            listener.close()
            os.unlink(qtest_path)

    def _accept(self, listener):
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            ready, _, _ = select.select([listener], [], [], 0.1)
            if ready:
                sock, _ = listener.accept()
                sock.settimeout(TIMEOUT)
                return sock
            if self.proc.poll() is not None:
                raise QemuFailed(self.proc.returncode, self.stderr())
        self.kill()
        raise TimeoutError(f"QEMU {self.name} did not connect to qtest")

    def wait_ready(self):
        """Return once machine creation is over (devices realized)."""
        # qtest answers only after the machine is fully created; a device
        # that fails realize makes QEMU exit instead.
        try:
            self.cmd("endianness")
        except (ConnectionError, OSError) as err:
            self.proc.wait(timeout=TIMEOUT)
            raise QemuFailed(self.proc.returncode, self.stderr()) from err
        return self

    def qmp(self) -> "Qmp":
        if not hasattr(self, "_qmp"):
            self._qmp = Qmp(self.qmp_path)
        return self._qmp

    def stderr(self) -> str:
        self._log.flush()
        return self.log_path.read_text()

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=TIMEOUT)
        self._log.close()
        if hasattr(self, "_qmp"):
            self._qmp.close()
        if hasattr(self, "sock"):
            self.sock.close()

    def wait_exit(self, timeout=TIMEOUT) -> int:
        rc = self.proc.wait(timeout=timeout)
        return rc

    # qtest text protocol

    def cmd(self, line: str) -> str:
        self.sock.sendall(line.encode() + b"\n")
        while True:
            while b"\n" not in self._buf:
                data = self.sock.recv(4096)
                if not data:
                    raise ConnectionError(f"QEMU {self.name} closed qtest: {self.stderr()}")
                self._buf += data
            reply, self._buf = self._buf.split(b"\n", 1)
            reply = reply.decode()
            if reply.startswith("IRQ"):
                continue
            if not reply.startswith("OK"):
                raise RuntimeError(f"qtest '{line}' failed: {reply}")
            return reply[2:].strip()

    def _read(self, op, addr):
        return int(self.cmd(f"{op} 0x{addr:x}"), 16)

    def readb(self, addr):
        return self._read("readb", addr)

    def readw(self, addr):
        return self._read("readw", addr)

    def readl(self, addr):
        return self._read("readl", addr)

    def readq(self, addr):
        return self._read("readq", addr)

    def writeb(self, addr, val):
        self.cmd(f"writeb 0x{addr:x} 0x{val:x}")

    def writew(self, addr, val):
        self.cmd(f"writew 0x{addr:x} 0x{val:x}")

    def writel(self, addr, val):
        self.cmd(f"writel 0x{addr:x} 0x{val:x}")

    def writeq(self, addr, val):
        self.cmd(f"writeq 0x{addr:x} 0x{val:x}")

    def memread(self, addr, size) -> bytes:
        return bytes.fromhex(self.cmd(f"read 0x{addr:x} 0x{size:x}")[2:])

    def memwrite(self, addr, data: bytes):
        self.cmd(f"write 0x{addr:x} 0x{len(data):x} 0x{data.hex()}")

    def outl(self, port, val):
        self.cmd(f"outl 0x{port:x} 0x{val:x}")

    def outw(self, port, val):
        self.cmd(f"outw 0x{port:x} 0x{val:x}")

    def outb(self, port, val):
        self.cmd(f"outb 0x{port:x} 0x{val:x}")

    def inl(self, port):
        return self._read("inl", port)

    def inw(self, port):
        return self._read("inw", port)

    def inb(self, port):
        return self._read("inb", port)


class PciFunction:
    """A PCI function on bus 0 of a QtestMachine, with BARs placed by the test."""

    def __init__(self, qt: QtestMachine, slot: int, function: int = 0):
        self.qt = qt
        self.devfn = (slot << 3) | function
        self.bars = {}
        self._next_mmio = MMIO_BASE

    def _addr(self, off):
        return 0x80000000 | (self.devfn << 8) | (off & 0xFC)

    def cfg_read32(self, off):
        self.qt.outl(PCI_CFG_ADDR, self._addr(off))
        return self.qt.inl(PCI_CFG_DATA)

    def cfg_read16(self, off):
        self.qt.outl(PCI_CFG_ADDR, self._addr(off))
        return self.qt.inw(PCI_CFG_DATA + (off & 2))

    def cfg_read8(self, off):
        self.qt.outl(PCI_CFG_ADDR, self._addr(off))
        return self.qt.inb(PCI_CFG_DATA + (off & 3))

    def cfg_write32(self, off, val):
        self.qt.outl(PCI_CFG_ADDR, self._addr(off))
        self.qt.outl(PCI_CFG_DATA, val)

    def cfg_write16(self, off, val):
        self.qt.outl(PCI_CFG_ADDR, self._addr(off))
        self.qt.outw(PCI_CFG_DATA + (off & 2), val)

    def cfg_write8(self, off, val):
        self.qt.outl(PCI_CFG_ADDR, self._addr(off))
        self.qt.outb(PCI_CFG_DATA + (off & 3), val)

    def cfg_read64(self, off):
        return self.cfg_read32(off) | (self.cfg_read32(off + 4) << 32)

    def capabilities(self):
        """[(cap_id, offset)] in list order."""
        caps = []
        off = self.cfg_read8(PCI_CAPABILITY_LIST) & 0xFC
        while off and len(caps) < 48:
            caps.append((self.cfg_read8(off), off))
            off = self.cfg_read8(off + 1) & 0xFC
        return caps

    def find_cap(self, cap_id):
        for cid, off in self.capabilities():
            if cid == cap_id:
                return off
        return None

    def probe_bar(self, bar):
        """(size, flags, is_64bit) of BAR @bar, or (0, 0, False) if absent."""
        reg = 0x10 + 4 * bar
        orig = self.cfg_read32(reg)
        self.cfg_write32(reg, 0xFFFFFFFF)
        low = self.cfg_read32(reg)
        self.cfg_write32(reg, orig)
        if low == 0:
            return 0, 0, False
        flags = low & 0xF
        is64 = (flags & 0x6) == 0x4
        mask = low & ~0xF
        if is64:
            orig_hi = self.cfg_read32(reg + 4)
            self.cfg_write32(reg + 4, 0xFFFFFFFF)
            high = self.cfg_read32(reg + 4)
            self.cfg_write32(reg + 4, orig_hi)
            mask |= high << 32
            size = ((~mask) & 0xFFFFFFFFFFFFFFFF) + 1
        else:
            size = ((~mask) & 0xFFFFFFFF) + 1
        return size, flags, is64

    def map_bars(self, bars=(0, 1, 2)):
        """Place memory BARs below 4 GiB and enable memory decoding and bus mastering."""
        for bar in bars:
            size, _, is64 = self.probe_bar(bar)
            if not size:
                continue
            addr = (self._next_mmio + size - 1) & ~(size - 1)
            assert addr + size <= MMIO_LIMIT, f"BAR{bar} of {size:#x} bytes does not fit"
            self.cfg_write32(0x10 + 4 * bar, addr & 0xFFFFFFFF)
            if is64:
                self.cfg_write32(0x14 + 4 * bar, addr >> 32)
            self.bars[bar] = addr
            self._next_mmio = addr + size
        cmd = self.cfg_read16(PCI_COMMAND)
        self.cfg_write16(PCI_COMMAND, cmd | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER)
        return self.bars


class Msix:
    """MSI-X of a PciFunction: every vector v posts MSI_DATA_BASE+v to guest RAM."""

    def __init__(self, pci: PciFunction):
        self.pci = pci
        self.qt = pci.qt
        self.cap = pci.find_cap(PCI_CAP_ID_MSIX)
        assert self.cap is not None, "no MSI-X capability"
        self.nvec = (pci.cfg_read16(self.cap + 2) & 0x7FF) + 1
        table = pci.cfg_read32(self.cap + 4)
        pba = pci.cfg_read32(self.cap + 8)
        self.table_bar, self.table_off = table & 7, table & ~7
        self.pba_bar, self.pba_off = pba & 7, pba & ~7

    def entry(self, v):
        return self.pci.bars[self.table_bar] + self.table_off + 16 * v

    def enable(self, masked=()):
        for v in range(self.nvec):
            e = self.entry(v)
            self.qt.writel(e, MSI_ADDR_BASE + 4 * v)
            self.qt.writel(e + 4, 0)
            self.qt.writel(e + 8, MSI_DATA_BASE + v)
            self.qt.writel(e + 12, 1 if v in masked else 0)
            self.qt.writel(MSI_ADDR_BASE + 4 * v, 0)
        ctrl = self.pci.cfg_read16(self.cap + 2)
        self.pci.cfg_write16(self.cap + 2, (ctrl | 0x8000) & ~0x4000)

    def set_masked(self, v, masked):
        self.qt.writel(self.entry(v) + 12, 1 if masked else 0)

    def fired(self, v) -> bool:
        """Whether vector v was delivered since the last call (clears it)."""
        addr = MSI_ADDR_BASE + 4 * v
        val = self.qt.readl(addr)
        if val == 0:
            return False
        assert val == MSI_DATA_BASE + v, f"unexpected MSI data {val:#x} for vector {v}"
        self.qt.writel(addr, 0)
        return True

    def wait_fired(self, v, timeout=10.0) -> bool:
        """Poll until vector v arrives (interrupts from other processes take a while)."""
        deadline = time.monotonic() + timeout
        while True:
            if self.fired(v):
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)

    def pending(self, v) -> bool:
        addr = self.pci.bars[self.pba_bar] + self.pba_off + 8 * (v // 64)
        return bool((self.qt.readq(addr) >> (v % 64)) & 1)


class Qmp:
    """Just enough QMP for system_reset and migrate."""

    def __init__(self, path):
        import json

        self._json = json
        deadline = time.monotonic() + TIMEOUT
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(str(path))
                break
            except (FileNotFoundError, ConnectionRefusedError):
                self.sock.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self.sock.settimeout(TIMEOUT)
        self.file = self.sock.makefile("rwb")
        self._recv()  # greeting
        self.execute("qmp_capabilities")

    def _recv(self):
        while True:
            line = self.file.readline()
            if not line:
                raise ConnectionError("QMP closed")
            msg = self._json.loads(line)
            if "event" not in msg:
                return msg

    def execute(self, command, **arguments):
        """Returns the reply: {'return': ...} or {'error': {...}}."""
        req = {"execute": command}
        if arguments:
            req["arguments"] = arguments
        self.file.write(self._json.dumps(req).encode() + b"\n")
        self.file.flush()
        return self._recv()

    def close(self):
        self.file.close()
        self.sock.close()

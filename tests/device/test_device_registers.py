# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""One QEMU peer in a group of the real ivshmem2-server, inspected through
qtest: PCI identity, capabilities, BARs, every BAR0 register, the shared-memory
views, and interrupt delivery (doorbells to the peer itself)."""

import struct

import pytest

import ivshmem2_wire as w
from device_harness import GroupConfig
from device_qtest import PCI_CAP_ID_MSIX, PCI_CAP_ID_VNDR, PCI_COMMAND, Msix, PciFunction

pytestmark = pytest.mark.qemu

CONFIGS = [
    GroupConfig(peers=2, vectors=1, size="64K", output="0"),
    GroupConfig(peers=2, vectors=4, size="1M", output="256K", protocol=0x0001),
    GroupConfig(peers=3, vectors=2, size="16K", output="4K"),  # no R/W section
    GroupConfig(peers=16, vectors=8, size="1M", output="32K", protocol=0x4001),
    GroupConfig(peers=64, vectors=64, size="4M", output="0", protocol=0x7FFF),
]


# Tests whose subject does not depend on the group's shape use the first one.
WITH_RW = [c for c in CONFIGS if c.rw_size]
WITH_OUTPUT = [c for c in CONFIGS if c.output_size]


def pytest_generate_tests(metafunc):
    if "config" in metafunc.fixturenames:
        configs = getattr(metafunc.function, "configs", CONFIGS)
        metafunc.parametrize("config", configs, ids=str)


def configs(which):
    def mark(func):
        func.configs = which
        return func
    return mark


@pytest.fixture
def group(start_group, config):
    return start_group(config)


@pytest.fixture
def peer(start_peer, group):
    """(qt, pci, bar0) for the first peer of the group (ID 0)."""
    qt, pci = start_peer(group.socket)
    return qt, pci, pci.bars[0]


def vendor_cap(pci):
    off = pci.find_cap(PCI_CAP_ID_VNDR)
    assert off is not None, "no vendor-specific capability"
    return off


def test_pci_identity(start_qemu, group, config):
    from device_harness import SLOT, device_args

    qt = start_qemu(device_args(group.socket))
    pci = PciFunction(qt, SLOT)
    assert pci.cfg_read16(0x00) == w.PCI_VENDOR_ID
    assert pci.cfg_read16(0x02) == w.PCI_DEVICE_ID
    assert pci.cfg_read8(0x08) == 0  # revision
    assert pci.cfg_read32(0x08) >> 8 == 0xFF0000 | config.protocol
    assert pci.cfg_read8(0x0E) == 0  # header type
    assert pci.cfg_read16(PCI_COMMAND) == 0, "command register must be 0 after reset"
    assert pci.cfg_read16(0x06) & 0x10, "status lacks the capability-list bit"
    assert pci.cfg_read8(0x3D) == 0, "no INTx pin with MSI-X"
    assert (pci.cfg_read16(0x2C), pci.cfg_read16(0x2E)) == (0x1AF4, 0x1100)


def test_capabilities(peer, config):
    _, pci, _ = peer
    caps = pci.capabilities()
    assert sorted(cid for cid, _ in caps) == [PCI_CAP_ID_VNDR, PCI_CAP_ID_MSIX]
    assert dict(caps) == {PCI_CAP_ID_MSIX: 0x40, PCI_CAP_ID_VNDR: 0x4C}
    cap = vendor_cap(pci)
    assert pci.cfg_read8(cap + w.CAP_OFF_LEN) == w.CAP_LEN
    assert pci.cfg_read8(cap + w.CAP_OFF_PRIV_CTRL) == 0
    assert pci.cfg_read32(cap + w.CAP_OFF_STATE_TAB_SZ) == w.STATE_TABLE_SIZE
    assert pci.cfg_read64(cap + w.CAP_OFF_RW_SECTION_SZ) == config.rw_size
    assert pci.cfg_read64(cap + w.CAP_OFF_OUTPUT_SECTION_SZ) == config.output_size
    msix = Msix(pci)
    assert msix.nvec == config.vectors
    assert (msix.table_bar, msix.pba_bar) == (1, 1)


def test_capability_is_read_only_but_oneshot(peer, config):
    _, pci, _ = peer
    cap = vendor_cap(pci)
    before = [pci.cfg_read32(cap + off) for off in range(0, w.CAP_LEN, 4)]
    for off in range(4, w.CAP_LEN, 4):
        pci.cfg_write32(cap + off, 0xFFFFFFFF)
    pci.cfg_write8(cap + w.CAP_OFF_LEN, 0x55)
    pci.cfg_write8(cap + w.CAP_OFF_PRIV_CTRL, 0xFF)
    after = [pci.cfg_read32(cap + off) for off in range(0, w.CAP_LEN, 4)]
    assert after[1:] == before[1:]
    assert after[0] == before[0] | (w.PRIV_CTRL_ONESHOT << 24), "only bit 0 of Privileged Control is writable"
    pci.cfg_write8(cap + w.CAP_OFF_PRIV_CTRL, 0)
    assert pci.cfg_read8(cap + w.CAP_OFF_PRIV_CTRL) == 0


def test_bar_sizes(start_qemu, group, config):
    from device_harness import SLOT, device_args

    qt = start_qemu(device_args(group.socket))
    pci = PciFunction(qt, SLOT)
    assert pci.probe_bar(0) == (w.REGS_BAR_SIZE, 0, False), "BAR0: 4 KiB 32-bit MMIO"
    msix_size, msix_flags, _ = pci.probe_bar(1)
    table_and_pba = 16 * config.vectors + 8 * ((config.vectors + 63) // 64)
    assert msix_flags == 0 and msix_size >= max(4096, table_and_pba)
    assert msix_size & (msix_size - 1) == 0
    assert pci.probe_bar(2) == (config.shm_size, 0xC, True), "BAR2: 64-bit prefetchable, whole memory"
    assert pci.probe_bar(4)[0] == 0 and pci.probe_bar(5)[0] == 0


def test_registers(peer, config):
    qt, _, bar0 = peer
    assert qt.readl(bar0 + w.REG_ID) == 0
    assert qt.readl(bar0 + w.REG_MAX_PEERS) == config.peers
    assert qt.readl(bar0 + w.REG_INT_CONTROL) == 0
    assert qt.readl(bar0 + w.REG_STATE) == 0
    assert qt.readl(bar0 + w.REG_DOORBELL) == 0, "DOORBELL reads as 0"

    qt.writel(bar0 + w.REG_INT_CONTROL, 0xFFFFFFFF)
    assert qt.readl(bar0 + w.REG_INT_CONTROL) == 1, "INT_CONTROL bits 31:1 read 0"
    qt.writel(bar0 + w.REG_INT_CONTROL, 0)
    assert qt.readl(bar0 + w.REG_INT_CONTROL) == 0

    qt.writel(bar0 + w.REG_ID, 7)
    qt.writel(bar0 + w.REG_MAX_PEERS, 7)
    assert qt.readl(bar0 + w.REG_ID) == 0
    assert qt.readl(bar0 + w.REG_MAX_PEERS) == config.peers

    for hole in (0x14, 0x18, 0x100, 0x10C, 0xFFC):
        qt.writel(bar0 + hole, 0xFFFFFFFF)
        assert qt.readl(bar0 + hole) == 0, f"offset {hole:#x} is not a register"
    # no aliasing every 256 bytes (spec section 9 item 8)
    assert qt.readl(bar0 + 0x104) == 0


def test_state_register_updates_state_table(peer, group):
    qt, pci, bar0 = peer
    bar2 = pci.bars[2]
    qt.writel(bar0 + w.REG_STATE, 0x12345678)
    assert qt.readl(bar0 + w.REG_STATE) == 0x12345678
    assert qt.readl(bar2 + 0) == 0x12345678
    assert struct.unpack("<I", group.read_shm(0, 4))[0] == 0x12345678
    qt.writel(bar0 + w.REG_STATE, 3)
    assert group.read_shm(0, 4) == struct.pack("<I", 3)


@configs(CONFIGS[:1])
def test_only_aligned_32bit_register_access(peer, config):
    qt, _, bar0 = peer
    qt.writel(bar0 + w.REG_STATE, 0x11223344)
    qt.writeb(bar0 + w.REG_STATE, 0xFF)
    qt.writew(bar0 + w.REG_STATE + 2, 0xFFFF)
    assert qt.readl(bar0 + w.REG_STATE) == 0x11223344, "sub-word writes are rejected"
    assert qt.readb(bar0 + w.REG_MAX_PEERS) == 0, "sub-word reads are rejected (read 0)"
    assert qt.readw(bar0 + w.REG_MAX_PEERS) == 0
    assert qt.readl(bar0 + w.REG_MAX_PEERS + 2) == 0, "unaligned reads are rejected"


def test_state_table_is_read_only(peer, group, config):
    qt, pci, bar0 = peer
    bar2 = pci.bars[2]
    qt.writel(bar0 + w.REG_STATE, 5)
    group.write_shm(4, struct.pack("<I", 9))  # as if peer 1 had written 9
    qt.writel(bar2 + 0, 0xDEAD)
    qt.writel(bar2 + 4, 0xBEEF)
    qt.writel(bar2 + w.STATE_TABLE_SIZE - 4, 0xF00D)
    assert qt.readl(bar2 + 0) == 5
    assert qt.readl(bar2 + 4) == 9
    assert group.read_shm(0, 8) == struct.pack("<II", 5, 9)
    assert group.read_shm(w.STATE_TABLE_SIZE - 4, 4) == bytes(4)


@configs(WITH_RW)
def test_rw_section(peer, group, config):
    qt, pci, _ = peer
    base = pci.bars[2] + w.STATE_TABLE_SIZE
    last = config.rw_size - 8
    qt.writeq(base, 0x0123456789ABCDEF)
    qt.writeq(base + last, 0xFEDCBA9876543210)
    assert qt.readq(base) == 0x0123456789ABCDEF
    assert group.read_shm(w.STATE_TABLE_SIZE, 8) == struct.pack("<Q", 0x0123456789ABCDEF)
    assert group.read_shm(w.STATE_TABLE_SIZE + last, 8) == struct.pack("<Q", 0xFEDCBA9876543210)
    group.write_shm(w.STATE_TABLE_SIZE + 64, b"host")
    assert qt.memread(base + 64, 4) == b"host"


@configs(WITH_OUTPUT)
def test_output_sections(peer, group, config):
    qt, pci, _ = peer
    bar2 = pci.bars[2]
    out = config.output_size
    own = config.output_offset  # peer 0
    qt.memwrite(bar2 + own, b"mine")
    qt.memwrite(bar2 + own + out - 4, b"last")
    assert group.read_shm(own, 4) == b"mine"
    assert group.read_shm(own + out - 4, 4) == b"last"
    for other in (1, config.peers - 1):
        off = config.output_offset + other * out
        group.write_shm(off, b"peer")
        qt.memwrite(bar2 + off, b"XXXX")
        qt.writel(bar2 + off + out - 4, 0xFFFFFFFF)
        assert group.read_shm(off, 4) == b"peer", f"output section {other} must be read-only"
        assert qt.memread(bar2 + off, 4) == b"peer"
        assert group.read_shm(off + out - 4, 4) == bytes(4)


@pytest.mark.parametrize("ioeventfd", ["on", "off"])
def test_doorbell_to_self_every_vector(start_peer, group, config, ioeventfd):
    qt, pci = start_peer(group.socket, props=f"ioeventfd={ioeventfd}")
    bar0 = pci.bars[0]
    msix = Msix(pci)
    msix.enable()
    qt.writel(bar0 + w.REG_INT_CONTROL, 1)
    for v in range(config.vectors):
        qt.writel(bar0 + w.REG_DOORBELL, w.doorbell(0, v))
        assert msix.wait_fired(v), f"vector {v} not delivered"
    for v in range(config.vectors):
        assert not msix.fired(v), f"vector {v} delivered twice"


@configs(CONFIGS[:1])
def test_int_control_gates_interrupts(peer):
    qt, pci, bar0 = peer
    msix = Msix(pci)
    msix.enable()
    qt.writel(bar0 + w.REG_DOORBELL, w.doorbell(0, 0))
    assert not msix.wait_fired(0, timeout=0.5), "delivered with INT_CONTROL = 0"
    qt.writel(bar0 + w.REG_INT_CONTROL, 1)
    qt.writel(bar0 + w.REG_DOORBELL, w.doorbell(0, 0))
    assert msix.wait_fired(0)


@configs(CONFIGS[:1])
def test_oneshot_mode(peer):
    qt, pci, bar0 = peer
    cap = vendor_cap(pci)
    msix = Msix(pci)
    msix.enable()
    pci.cfg_write8(cap + w.CAP_OFF_PRIV_CTRL, w.PRIV_CTRL_ONESHOT)
    qt.writel(bar0 + w.REG_INT_CONTROL, 1)
    qt.writel(bar0 + w.REG_DOORBELL, w.doorbell(0, 0))
    assert msix.wait_fired(0)
    assert qt.readl(bar0 + w.REG_INT_CONTROL) == 0, "one-shot delivery clears INT_CONTROL"
    qt.writel(bar0 + w.REG_DOORBELL, w.doorbell(0, 0))
    assert not msix.wait_fired(0, timeout=0.5)
    qt.writel(bar0 + w.REG_INT_CONTROL, 1)  # re-arm
    qt.writel(bar0 + w.REG_DOORBELL, w.doorbell(0, 0))
    assert msix.wait_fired(0)


def test_masked_vector_is_pending_until_unmasked(peer, config):
    qt, pci, bar0 = peer
    msix = Msix(pci)
    last = config.vectors - 1
    msix.enable(masked={last})
    qt.writel(bar0 + w.REG_INT_CONTROL, 1)
    qt.writel(bar0 + w.REG_DOORBELL, w.doorbell(0, last))
    assert not msix.wait_fired(last, timeout=0.5)
    assert msix.pending(last)
    msix.set_masked(last, False)
    assert msix.wait_fired(last)
    assert not msix.pending(last)


def test_doorbells_outside_the_group_are_dropped(peer, config):
    qt, pci, bar0 = peer
    msix = Msix(pci)
    msix.enable()
    qt.writel(bar0 + w.REG_INT_CONTROL, 1)
    for val in (w.doorbell(config.peers, 0), w.doorbell(0xFFFF, 0),
                w.doorbell(0, config.vectors), w.doorbell(0, 0xFFFF),
                w.doorbell(1, 0),  # a peer that is not connected
                w.doorbell(0, 256) if config.vectors < 256 else w.doorbell(1, 0)):
        qt.writel(bar0 + w.REG_DOORBELL, val)
    # the 16-bit vector is not aliased to vector & 0xff
    assert not any(msix.wait_fired(v, timeout=0.2) for v in range(config.vectors))
    qt.writel(bar0 + w.REG_DOORBELL, w.doorbell(0, 0))
    assert msix.wait_fired(0), "device still works"


@configs(CONFIGS[:1])
def test_reset(peer, group):
    qt, pci, bar0 = peer
    cap = vendor_cap(pci)
    qt.writel(bar0 + w.REG_INT_CONTROL, 1)
    qt.writel(bar0 + w.REG_STATE, 2)
    pci.cfg_write8(cap + w.CAP_OFF_PRIV_CTRL, 1)
    assert "return" in qt.qmp().execute("system_reset")
    assert pci.cfg_read16(PCI_COMMAND) == 0
    pci.map_bars()
    assert qt.readl(bar0 + w.REG_INT_CONTROL) == 0
    assert qt.readl(bar0 + w.REG_STATE) == 0
    assert group.read_shm(0, 4) == bytes(4), "reset writes state 0 to the table"
    assert pci.cfg_read8(cap + w.CAP_OFF_PRIV_CTRL) == 0, "reset clears one-shot mode"


@configs(CONFIGS[:1])
def test_migration_is_blocked(peer):
    qt, _, _ = peer
    reply = qt.qmp().execute("migrate", uri="exec:cat >/dev/null")
    assert "error" in reply, reply
    assert "cannot migrate" in reply["error"]["desc"]
    assert "ivshmem2-server" in reply["error"]["desc"]


@configs(CONFIGS[:1])
def test_seed_device_name(start_peer, group, config):
    qt, pci = start_peer(group.socket, device="ivshmem")
    assert pci.cfg_read32(0) == (w.PCI_DEVICE_ID << 16) | w.PCI_VENDOR_ID
    assert qt.readl(pci.bars[0] + w.REG_MAX_PEERS) == config.peers

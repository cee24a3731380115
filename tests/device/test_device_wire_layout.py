# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""The constants the device tests use are those of include/ivshmem2/."""

import re

import device_wire as w


def defines(paths, header):
    text = (paths.REPO / "include" / "ivshmem2" / header).read_text()
    return {m.group(1): int(m.group(2), 0)
            for m in re.finditer(r"#define\s+IVSHMEM2_(\w+)\s+(0x[0-9a-fA-F]+|\d+)u?\b", text)}


def test_register_constants_match_regs_h(paths):
    d = defines(paths, "regs.h")
    assert (d["PCI_VENDOR_ID"], d["PCI_DEVICE_ID"]) == (w.VENDOR_ID, w.DEVICE_ID)
    assert [d["REG_ID"], d["REG_MAX_PEERS"], d["REG_INT_CONTROL"], d["REG_DOORBELL"],
            d["REG_STATE"]] == [w.REG_ID, w.REG_MAX_PEERS, w.REG_INT_CONTROL,
                                w.REG_DOORBELL, w.REG_STATE]
    assert d["REGS_BAR_SIZE"] == w.REGS_BAR_SIZE
    assert (d["CAP_OFF_LEN"], d["CAP_OFF_PRIV_CTRL"], d["CAP_OFF_STATE_TAB_SZ"],
            d["CAP_OFF_RW_SECTION_SZ"], d["CAP_OFF_OUTPUT_SECTION_SZ"], d["CAP_LEN"]) == (
        w.CAP_OFF_LEN, w.CAP_OFF_PRIV_CTRL, w.CAP_OFF_STATE_TAB_SZ,
        w.CAP_OFF_RW_SECTION_SZ, w.CAP_OFF_OUTPUT_SECTION_SZ, w.CAP_LEN)
    assert d["PRIV_CTRL_ONESHOT"] == w.PRIV_CTRL_ONESHOT


def test_wire_constants_match_wire_h(paths):
    d = defines(paths, "wire.h")
    assert d["PROTOCOL_VERSION"] == w.PROTOCOL_VERSION
    assert d["MSG_MAX_LEN"] == w.MSG_MAX_LEN
    assert len(w.msg_init()) == w.INIT_LEN == 40
    assert len(w.msg_event_fd(0, 0)) == w.EVENT_FD_LEN == 16
    assert len(w.msg_peer_gone(0)) == w.PEER_GONE_LEN == 12
    text = (paths.REPO / "include" / "ivshmem2" / "wire.h").read_text()
    for name, value in (("INIT", w.MSG_INIT), ("EVENT_FD", w.MSG_EVENT_FD),
                        ("PEER_GONE", w.MSG_PEER_GONE)):
        assert re.search(rf"IVSHMEM2_MSG_{name}\s*=\s*{value},", text), name


def test_state_table_size_matches_shmem_h(paths):
    d = defines(paths, "shmem.h")
    assert d["STATE_TABLE_SIZE"] == w.STATE_TABLE_SIZE

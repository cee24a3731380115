# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Two guests with the project's QEMU attached to one real ivshmem2-server."""

import json

import pytest

import harness

pytestmark = [pytest.mark.guest, pytest.mark.qemu, pytest.mark.slow]

PROTOCOL = 0x4932
SERVER_OPTIONS = ("-l", "4M", "-o", "1M", "-n", "2", "-V", "2", "-P", hex(PROTOCOL))
TOOLS = harness.REPO / "scripts" / "guest"


def json_lines(text):
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def boot_pair(guest_harness, ivshmem2_server, results_dir, command, timeout=400):
    srv = ivshmem2_server(*SERVER_OPTIONS)
    cfg = harness.GuestConfig(ivshmem_socket=str(srv.sock))
    results = guest_harness.run_guests([command, command], results_dir, config=cfg,
                                       timeout=timeout)
    for r in results:
        r.assert_ok()
    return results


def test_two_guests_see_device_and_share_memory(guest_harness, ivshmem2_server, results_dir):
    cmd = (f"python3 {TOOLS}/iv2pci.py list && python3 {TOOLS}/iv2pci.py info && "
           f"python3 {TOOLS}/iv2pci.py exchange --size 65536")
    results = boot_pair(guest_harness, ivshmem2_server, results_dir, cmd)
    ids = set()
    for r in results:
        lines = r.stdout.splitlines()
        devices = [line.split() for line in lines if line.startswith("0000:")]
        assert len(devices) == 1, r.stdout
        _, vendor, device, cls = devices[0]
        assert (vendor, device) == ("0x110a", "0x4106")
        assert int(cls, 16) == 0xFF0000 | PROTOCOL
        info, exchange = json_lines(r.stdout)
        assert info["max_peers"] == 2
        assert info["output_section_size"] == 1 << 20
        assert info["state_table_size"] == 4096
        assert info["bar2_size"] == 4 << 20
        other = 1 - info["id"]
        # The other guest's pattern arrived intact, and its section is read-only here.
        assert exchange == {"id": info["id"], "verified": [other], "readonly": [other]}
        ids.add(info["id"])
    assert ids == {0, 1}


def test_doorbells_and_state_interrupts_through_vfio(guest_harness, ivshmem2_server,
                                                     results_dir):
    rounds = 50
    cmd = f"python3 {TOOLS}/iv2vfio.py --rounds {rounds}"
    results = boot_pair(guest_harness, ivshmem2_server, results_dir, cmd)
    outs = [json_lines(r.stdout)[0] for r in results]
    assert sorted(o["id"] for o in outs) == [0, 1]
    for o in outs:
        assert o["driver"] == "vfio-pci"
        assert o["doorbells"] == rounds and o["state_interrupts"] == 1
    initiator = next(o for o in outs if o["id"] == 0)
    assert initiator["rtt_us_median"] > 0

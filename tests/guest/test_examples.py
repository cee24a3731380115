# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""examples/: the stock l2fwd builds from Debian's dpdk-doc sources and forwards
between two guests (l2fwd-guests/run.sh) with every frame accounted for."""

import re
import subprocess

import pytest

import harness

EXAMPLES = harness.REPO / "examples"


def test_l2fwd_builds_from_dpdk_doc(tmp_path):
    dest = tmp_path / "l2fwd"
    out = subprocess.run([str(EXAMPLES / "build-l2fwd.sh"), str(dest)], capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    binary = out.stdout.strip()
    assert binary == str(dest / "build" / "l2fwd")
    libs = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    assert "librte_ethdev.so.23" in libs
    # Up to date: a second run rebuilds nothing and prints the same path.
    again = subprocess.run([str(EXAMPLES / "build-l2fwd.sh"), str(dest)], capture_output=True,
                           text=True, timeout=120, check=True)
    assert again.stdout.strip() == binary


def test_no_dpdk_sources_in_examples():
    assert not list(EXAMPLES.rglob("*.c"))


def test_accel_override_and_pvm_detection(monkeypatch):
    monkeypatch.setenv("IVSHMEM2_GUEST_ACCEL", "tcg")
    assert harness.select_accel() == "tcg"
    monkeypatch.setenv("IVSHMEM2_GUEST_ACCEL", "hvf")
    with pytest.raises(harness.GuestError, match="hvf"):
        harness.select_accel()
    monkeypatch.delenv("IVSHMEM2_GUEST_ACCEL")
    if harness.Path("/sys/module/kvm_pvm").exists():
        assert harness.select_accel() == "tcg"      # PVM's /dev/kvm hangs Debian guests


@pytest.mark.guest
@pytest.mark.qemu
@pytest.mark.pmd
@pytest.mark.slow
def test_l2fwd_between_two_guests_counts_match(tmp_path):
    """examples/l2fwd-guests/run.sh: testpmd in guest A, stock l2fwd in
    guest B, then pktcheck through l2fwd. Every frame is accounted for."""
    import os
    import signal

    import ivshmem2_paths
    from guest_scripts import PKTCHECK, forward_stats, l2fwd_totals, pktcheck_json

    for p in (ivshmem2_paths.PMD, ivshmem2_paths.SERVER, PKTCHECK):
        assert p.exists(), f"{p} not built"
    results = tmp_path / "l2fwd"
    proc = subprocess.Popen([str(EXAMPLES / "l2fwd-guests" / "run.sh"), str(results)],
                            env={**os.environ, "RUN_SECONDS": "15"}, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=1200)
    finally:
        if proc.poll() is None:     # run.sh's cleanup stops the guests and the server
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(120)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    assert proc.returncode == 0, out[-6000:]
    a = (results / "a" / "guest0" / "stdout").read_text(errors="replace")
    b = (results / "b" / "guest0" / "stdout").read_text(errors="replace")

    # testpmd (guest A): io forwarding of one --tx-first burst of 32.
    testpmd = a.split("guest A: pktcheck", 1)[0]
    a_rx, a_tx = forward_stats(testpmd)
    assert a_rx > 0, a[-3000:]
    # The burst kept circulating: testpmd's periodic RX count (every 5 s from
    # the start of forwarding, the first at 0 s) grew from each block to the next.
    periodic = [int(v) for v in re.findall(r"NIC statistics for port 0.*?RX-packets: (\d+)",
                                           testpmd, re.S)]
    assert len(periodic) >= 3, testpmd[-3000:]
    assert all(x < y for x, y in zip(periodic, periodic[1:])) and periodic[-1] <= a_rx, periodic
    assert 0 < a_tx - a_rx <= 32, (a_tx, a_rx)     # the burst in flight at the stop
    pc = pktcheck_json(a, "guest A")
    blocks = l2fwd_totals(b)
    assert blocks, b[-3000:]

    # Phase 1 as l2fwd counted it between testpmd's end and pktcheck's start:
    # it received exactly what testpmd sent and sent or dropped every frame.
    phase1 = [blk for blk in blocks if blk[1] == a_tx]
    assert phase1, f"l2fwd never showed testpmd's {a_tx} frames alone: {blocks[-5:]}"
    sent1, recv1, drop1 = phase1[-1]
    assert sent1 + drop1 == recv1, phase1[-1]
    # What l2fwd sent back reached testpmd, except the frames still in flight.
    assert a_rx <= sent1 and (sent1 - a_rx) + drop1 == a_tx - a_rx, (sent1, drop1, a_rx)

    # Final totals: pktcheck's frames (data + FIN) on top.
    sent, recv, drop = blocks[-1]
    tx = pc["tx"]
    assert recv == a_tx + tx["frames"] + tx["fins_sent"], (blocks[-1], tx)
    assert sent + drop == recv, blocks[-1]
    # pktcheck through l2fwd: nothing corrupt, duplicated or reordered; what
    # l2fwd sent arrived, and every lost frame is one l2fwd dropped.
    rx = pc["rx"]
    assert tx["frames"] == 20000 and tx["fins_sent"] == 1, tx
    assert rx["frames"] == rx["ok"] == sent - sent1, (rx, sent, sent1)
    assert rx["lost"] == drop - drop1, (rx["lost"], drop, drop1)
    for bad in ("foreign", "bad_chain", "bad_header", "bad_length", "bad_crc", "bad_payload",
                "size_mismatch", "bad_stream"):
        assert rx[bad] == 0, (bad, rx)
    for s in rx["streams"]:
        assert s["fin"] and s["dups"] == 0 and s["late"] == 0, s
        assert s["received"] + s["lost"] == s["sent"] == tx["frames"], s

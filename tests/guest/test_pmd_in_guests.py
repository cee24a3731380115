# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""net_ivshmem2's PCI attachment: stock testpmd in two guests, both directions."""

import re

import pytest

import harness
import ivshmem2_paths
from guest_scripts import PREPARE, PREPARE_NO_WAIT, SERVER_OPTIONS

pytestmark = [pytest.mark.guest, pytest.mark.qemu, pytest.mark.pmd, pytest.mark.slow]

# io forwarding: guest 0 injects one burst (--tx-first) that then circulates
# guest 0 -> guest 1 -> guest 0 ...
TESTPMD_ARGS = ("-l 0-1 -n 1 --log-level=pmd.net.ivshmem2:info -d $pmd -a $bdf "
                "-- --forward-mode=io --stats-period 5 --total-num-mbufs 16384")

# Guest 1 starts at once and runs until its link went up and down again (at
# most 400 s: guest 0's start-up takes a minute on a loaded machine); guest 0
# starts when guest 1's port is started (state 3), forwards 20 s and stops,
# which takes guest 1's link down.
FIRST = PREPARE + f"""iv2_testpmd_for 20 {TESTPMD_ARGS} --tx-first
"""
SECOND = PREPARE_NO_WAIT + f"""stdbuf -oL dpdk-testpmd {TESTPMD_ARGS} >/run/testpmd.out &
pid=$!
n=0
while [ "$(grep -c 'link state change event' /run/testpmd.out)" -lt 2 ] && [ $n -lt 2000 ] &&
	kill -0 $pid 2>/dev/null; do
	n=$((n + 1))
	sleep 0.2
done
kill -INT $pid 2>/dev/null || true
rc=0
wait $pid || rc=$?
cat /run/testpmd.out
exit $rc
"""


def forward_stats(stdout):
    """(rx, tx) from testpmd's final 'Forward statistics for port 0' block."""
    block = stdout.rsplit("Forward statistics for port 0", 1)
    assert len(block) == 2, stdout[-2000:]
    rx = re.search(r"RX-packets: (\d+)", block[1])
    tx = re.search(r"TX-packets: (\d+)", block[1])
    return int(rx.group(1)), int(tx.group(1))


def test_testpmd_in_two_guests_both_directions_and_link_events(guest_harness, ivshmem2_server,
                                                               results_dir):
    pmd = ivshmem2_paths.PMD
    assert pmd.exists(), f"{pmd} not built"
    assert b"net_ivshmem2_pci" in pmd.read_bytes(), f"{pmd} has no PCI attachment"
    srv = ivshmem2_server(*SERVER_OPTIONS)
    cfg = harness.GuestConfig(ivshmem_socket=str(srv.sock), env={"IVSHMEM2_PMD": str(pmd)})
    first, second = guest_harness.run_guests([FIRST, SECOND], results_dir, config=cfg,
                                             timeout=500)
    first.assert_ok()
    second.assert_ok()
    for r in (first, second):
        assert "Probe PCI driver: net_ivshmem2_pci (110a:4106)" in r.stderr, r.describe()
    rx0, tx0 = forward_stats(first.stdout)
    rx1, tx1 = forward_stats(second.stdout)
    assert tx0 > 0 and tx1 > 0
    assert rx0 > 0, f"guest0 received nothing from guest1 (guest1 sent {tx1})"
    assert rx1 > 0, f"guest1 received nothing from guest0 (guest0 sent {tx0})"
    # Every frame guest 1 sent came from guest 0; one burst circulates, and
    # its last pass may be dropped when the link goes down.
    assert rx1 <= tx0 and rx0 <= tx1
    assert 0 <= rx1 - tx1 <= 32
    assert 0 <= tx0 - rx0 <= 32
    # Link up on both sides, then down in guest1 when guest0's testpmd stopped.
    assert "link up to peer 1" in first.stderr
    assert "link up to peer 0" in second.stderr
    assert "link down (peer 0)" in second.stderr
    assert "link state change event" in second.stdout

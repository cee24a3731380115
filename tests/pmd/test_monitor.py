# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""get_monitor_addr: the condition a power-monitoring core sleeps on.

tests/pmd/ivshmem2_monitor.c evaluates the condition as rte_power_monitor()
does (this CPU may have no monitor instructions); stock dpdk-testpmd is the
peer, the real server joins them.
"""

import os
import shutil
import subprocess
import time

import ivshmem2_paths
from ivshmem2_server import Server
from started import interrupt_process, started

TESTPMD = shutil.which("dpdk-testpmd") or "/usr/bin/dpdk-testpmd"
MONITOR = ivshmem2_paths.BUILD / "drivers" / "net" / "ivshmem2" / "ivshmem2_monitor"


def _read_until(proc, want, timeout, seen):
    """Collect @proc's stdout lines until one starts with @want."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen.append(line)
        if line.startswith(want):
            return line
        if line.startswith("FAIL"):
            break
    raise AssertionError(f"no {want} from the monitor check:\n{''.join(seen)}")


def test_monitor_condition_wakes_on_link_and_on_frames(tmp_path):
    """Link down: the condition sleeps and wakes when the peer comes; link
    up with an empty ring: it sleeps and wakes when the peer sends."""
    assert MONITOR.exists(), f"{MONITOR} not built"
    srv = Server(size="16M", output_size="4M", max_peers=2, vectors=4, protocol=0x4932)
    pmd = str(ivshmem2_paths.safe_pmd_path())
    vdev = f"net_ivshmem2,socket={srv.socket_path}"
    prefixes = [f"iv2mon{os.getpid()}{t}" for t in "ab"]
    seen = []
    try:
        with started(subprocess.Popen, interrupt_process) as start:
            mon = start([str(MONITOR), "-l", "0", "--no-huge", "-m", "256", "--no-pci",
                         "--file-prefix", prefixes[0], "-d", pmd, "--vdev", vdev],
                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            _read_until(mon, "DOWN_IDLE", 60, seen)
            # The peer joins with its port started but not forwarding.
            peer = start([TESTPMD, "--lcores", "0@1,1@0", "--no-huge", "-m", "256", "--no-pci",
                          "--file-prefix", prefixes[1], "-d", pmd, "--vdev", vdev, "--", "-i",
                          "--forward-mode=txonly", "--total-num-mbufs", "8192"],
                         stdin=subprocess.PIPE, stdout=open(tmp_path / "peer.log", "w"),
                         stderr=subprocess.STDOUT, text=True)
            _read_until(mon, "LINK_WAKE", 60, seen)
            _read_until(mon, "RX_IDLE", 60, seen)
            peer.stdin.write("start\n")
            peer.stdin.flush()
            line = _read_until(mon, "RX_WAKE", 60, seen)
            assert int(line.split()[1]) > 0, line
            assert mon.wait(timeout=60) == 0, "".join(seen) + mon.stdout.read()
    finally:
        srv.cleanup()
        for prefix in prefixes:
            shutil.rmtree(f"/var/run/dpdk/{prefix}", ignore_errors=True)

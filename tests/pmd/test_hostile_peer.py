# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Untrusted peer: a hostile peer's bad descriptors and indices are dropped and counted."""

import re
import subprocess
import time

import pytest

from pmd_harness import Server, TestpmdShell

pytestmark = pytest.mark.pmd


def test_hostile_peer_is_contained(paths, short_tmp):
    tool = paths.BUILD / "drivers" / "net" / "ivshmem2" / "ivshmem2_hostile_peer"
    assert tool.exists(), f"{tool} not built"
    assert paths.SERVER.exists(), f"{paths.SERVER} not built"
    srv = Server(paths.SERVER, short_tmp / "sock")
    pmd = None
    try:
        pmd = TestpmdShell(paths.safe_pmd_path(), "pmdhostile",
                           f"net_ivshmem2,socket={srv.sock}")
        pmd.cmdline("set fwd io")   # frames go back out: exercises tx against a bad head
        pmd.cmdline("start")
        proc = subprocess.run([str(tool), str(srv.sock), "0"], capture_output=True, text=True,
                              timeout=120)
        assert proc.returncode == 0, proc.stderr
        m = re.search(r"valid=(\d+) rejected=(\d+) bad_index=(\d+)", proc.stdout)
        valid, rejected = int(m.group(1)), int(m.group(2))
        time.sleep(0.5)
        pmd.cmdline("stop")
        rx, tx = pmd.stats()
        xs = pmd.xstats()
        assert rx == valid, (rx, valid)
        assert xs["rx_rejected_descriptors"] == rejected, xs
        assert xs["rx_bad_peer_index"] >= 1, xs
        assert tx == valid              # the ring had room before the head turned bad
        assert pmd.proc.poll() is None  # still alive
        # The peer left: the link goes down, the port keeps working.
        assert pmd.wait_link(False)
    finally:
        if pmd:
            pmd.kill()
        srv.stop()

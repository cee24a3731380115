# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Untrusted peer: a hostile peer's bad descriptors and indices are dropped and counted."""

import re
import subprocess
import time

import pytest
from framework.ivshmem2.group import Ivshmem2Group
from framework.remote_session.testpmd_shell import TestPmdShell
from framework.params.testpmd import SimpleForwardingModes

pytestmark = pytest.mark.pmd


def test_hostile_peer_is_contained(paths, sut_node):
    tool = paths.BUILD / "drivers" / "net" / "ivshmem2" / "ivshmem2_hostile_peer"
    assert tool.exists(), f"{tool} not built"
    group = Ivshmem2Group(sut_node, size="16M", output_size="4M", vectors=4)
    pmd = TestPmdShell(sut_node, [group.vdev()], name="hostile").start_application()
    # frames go back out: exercises tx against a bad head
    pmd.set_forward_mode(SimpleForwardingModes.io)
    pmd.start()
    proc = subprocess.run([str(tool), str(group.socket_path), "0"], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    m = re.search(r"valid=(\d+) rejected=(\d+) bad_index=(\d+)", proc.stdout)
    assert m, proc.stdout
    valid, rejected = int(m.group(1)), int(m.group(2))
    time.sleep(0.5)
    pmd.stop()
    stats = pmd.show_port_stats(0)
    xs = pmd.show_port_xstats(0)
    assert stats.rx_packets == valid, (stats.rx_packets, valid)
    assert xs["rx_bad_descriptor_errors"] == rejected, xs
    assert xs["rx_bad_index_errors"] >= 1, xs
    assert stats.tx_packets == valid     # the ring had room before the head turned bad
    assert pmd.alive()
    # The peer left: the link goes down, the port keeps working.
    assert pmd.wait_link_status_down(0), f"{pmd.name}: port 0 link not down within 20 s"


@pytest.mark.parametrize("version", [1, 2, 3])
def test_older_layout_version_peer_is_refused(paths, sut_node, version):
    """A peer of layout version 1 (no pool area) or 2 (8-byte descriptors) is reported, never
    paired."""
    tool = paths.BUILD / "drivers" / "net" / "ivshmem2" / "ivshmem2_hostile_peer"
    assert tool.exists(), f"{tool} not built"
    group = Ivshmem2Group(sut_node, size="16M", output_size="4M", vectors=4)
    pmd = TestPmdShell(sut_node, [group.vdev()], name=f"v{version}peer").start_application()
    pmd.start()
    proc = subprocess.run([str(tool), str(group.socket_path), "0", f"v{version}"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"v{version} not accepted" in proc.stdout
    pmd.wait_output(r"peer 1 unusable: unknown layout version", timeout=10)
    assert pmd.alive()
    assert pmd.show_port_stats(0).rx_packets == 0

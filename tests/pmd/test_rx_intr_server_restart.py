# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Rx interrupts survive a server restart: the PMD puts the new eventfds back
into the application's epoll set (stock l3fwd-power --interrupt-only)."""

import re
import signal
import subprocess
import time

import pytest
from framework.ivshmem2.examples import build_example
from framework.ivshmem2.group import Ivshmem2Group
from framework.remote_session.testpmd_shell import TestPmdShell
from framework.params.testpmd import SimpleForwardingModes

pytestmark = pytest.mark.pmd

WAKE_LOG = r"lcore \d+ is waked up from rx interrupt"


def _wait_log(path, proc, pattern, timeout, since=0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = path.read_text(errors="replace")
        if re.search(pattern, text[since:]):
            return
        assert proc.poll() is None, f"l3fwd-power exited:\n{text[-3000:]}"
        time.sleep(0.2)
    raise AssertionError(f"no {pattern!r} in {timeout} s:\n{path.read_text()[-3000:]}")


def _wake_by_traffic(peer, log, l3):
    mark = len(log.read_text(errors="replace"))
    peer.set_forward_mode(SimpleForwardingModes.txonly)
    peer.start()
    time.sleep(2)
    peer.stop()
    _wait_log(log, l3, WAKE_LOG, timeout=10, since=mark)


def _wait_xstat(shell, name, value, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if shell.show_port_xstats(0)[name] == value:
            return
        time.sleep(0.5)
    raise AssertionError(f"{name} != {value} after {timeout} s")


@pytest.mark.parametrize("new_id", [False, True], ids=["same-id", "new-id"])
def test_rx_interrupts_after_server_restart(sut_node, new_id):
    """new-id: l3fwd-power is held back (SIGSTOP) while the server restarts,
    so the peer reconnects first and takes ID 0: l3fwd-power comes back as
    peer 1, with its own vectors' eventfds and its own section elsewhere."""
    l3fwd_power = build_example("l3fwd-power")
    group = Ivshmem2Group(sut_node, size="16M", output_size="4M", vectors=4)
    core = sut_node.config.lcores[0]
    eal = sut_node.eal_args(sut_node.file_prefix("l3fwd-power"), [group.vdev()],
                            lcores=["-l", str(core)]) + ["--log-level=7",
                                                          "--log-level=pmd.net.ivshmem2:info"]
    log = sut_node.workdir / "l3fwd-power.log"
    with open(log, "wb") as out:
        l3 = sut_node.track(subprocess.Popen(
            ["stdbuf", "-oL", "-eL", str(l3fwd_power), *eal, "--", "-p", "0x1",
             f"--config=(0,0,{core})", "--interrupt-only", "--parse-ptype"],
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True))
    _wait_log(log, l3, r"joined as peer 0 ", timeout=60)
    peer = TestPmdShell(sut_node, [group.vdev()], name="intr-peer", slot=1).start_application()
    assert peer.wait_link_status_up(0, timeout=30), f"{peer.name}: port 0 link not up within 30 s"
    _wait_log(log, l3, r"Link up", timeout=60)
    time.sleep(1)
    _wake_by_traffic(peer, log, l3)

    if new_id:
        l3.send_signal(signal.SIGSTOP)
        try:
            group.restart()
            _wait_xstat(peer, "link_server_reconnect_events", 1, timeout=60)
        finally:
            l3.send_signal(signal.SIGCONT)
        _wait_log(log, l3, r"reconnected to the server as peer 1", timeout=60)
    else:
        group.restart()
    time.sleep(1)
    assert peer.wait_link_status_up(0, timeout=60), f"{peer.name}: port 0 link not up within 60 s"
    assert peer.show_port_xstats(0)["link_server_reconnect_events"] == 1
    time.sleep(2)       # l3fwd-power back asleep on the (re-armed) eventfds
    _wake_by_traffic(peer, log, l3)
    assert l3.poll() is None

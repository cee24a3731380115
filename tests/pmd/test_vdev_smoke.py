# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Smoke tests of the net_ivshmem2 vdev attachment with stock testpmd and the real server.

The full functional suites live under dts/ and tests/functional; these are the PMD
author's own checks of probe errors, traffic, link state and reconnection.
"""

import re
import subprocess
import time

import pytest

from pmd_harness import Server, TestpmdShell

pytestmark = pytest.mark.pmd


@pytest.fixture
def pmd(paths):
    return paths.safe_pmd_path()


@pytest.fixture
def procs():
    """Everything started by a test; stopped even when the test fails."""
    started = []
    yield started
    for p in reversed(started):
        if isinstance(p, TestpmdShell):
            p.kill()
        else:
            p.stop()


def _server(paths, short_tmp, procs, **kw):
    assert paths.SERVER.exists(), f"{paths.SERVER} not built"
    srv = Server(paths.SERVER, short_tmp / "sock", **kw)
    procs.append(srv)
    return srv


def _testpmd(pmd, srv, procs, name, devargs="", lcores="0,1", extra=()):
    t = TestpmdShell(pmd, f"pmdsmoke-{name}", f"net_ivshmem2,socket={srv.sock}{devargs}",
                lcores=lcores, extra=extra)
    procs.append(t)
    return t


def _probe_fails(pmd, devargs, expect):
    cmd = ["dpdk-testpmd", "--no-huge", "-m", "256", "--no-pci", "--file-prefix",
           "pmdsmoke-err", "-d", str(pmd), "--vdev", devargs, "--",
           "--total-num-mbufs", "2048"]
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=60)
    out = proc.stdout + proc.stderr
    assert expect in out, out[-2000:]


def test_probe_errors(paths, pmd, short_tmp, procs):
    _probe_fails(pmd, f"net_ivshmem2,socket={short_tmp}/none", "cannot connect to ivshmem2-server")
    _probe_fails(pmd, "net_ivshmem2", "missing socket=")
    _probe_fails(pmd, f"net_ivshmem2,socket={short_tmp}/x,zero-copy=maybe",
                 "invalid zero-copy=maybe")
    _probe_fails(pmd, f"net_ivshmem2,socket={short_tmp}/x,peer=1x", "invalid peer=1x")
    _probe_fails(pmd, f"net_ivshmem2,socket={short_tmp}/x,bogus=1", "invalid devargs")
    srv = _server(paths, short_tmp, procs, protocol=0x1234)
    _probe_fails(pmd, f"net_ivshmem2,socket={srv.sock}", "group protocol is 0x1234")
    srv.stop()
    srv = Server(paths.SERVER, short_tmp / "sock2", out="64K")
    procs.append(srv)
    _probe_fails(pmd, f"net_ivshmem2,socket={srv.sock}", "output section too small")


def _traffic(tx, rx, seconds=2.0):
    rx0, _ = rx.stats()
    tx.cmdline("set fwd txonly")
    rx.cmdline("set fwd rxonly")
    rx.cmdline("start")
    tx.cmdline("start")
    time.sleep(seconds)
    tx.cmdline("stop")
    rx.cmdline("stop")
    rx1, _ = rx.stats()
    return rx1 - rx0


def test_traffic_both_ways_and_restart(paths, pmd, short_tmp, procs):
    srv = _server(paths, short_tmp, procs)
    a = _testpmd(pmd, srv, procs, "a", ",mac=02:00:00:00:00:0a")
    b = _testpmd(pmd, srv, procs, "b", lcores="0@1,1@0")
    assert a.wait_link(True) and b.wait_link(True)
    assert "02:00:00:00:00:0A" in a.cmdline("show port info 0")
    assert _traffic(a, b) > 1000
    assert _traffic(b, a) > 1000
    xs = b.xstats()
    assert xs["rx_rejected_descriptors"] == 0 and xs["link_ups"] >= 1

    # kill -9 one side: the other sees the link go down, then up after a restart.
    b.kill()
    assert a.wait_link(False)
    b = _testpmd(pmd, srv, procs, "b2", lcores="0@1,1@0")
    assert a.wait_link(True) and b.wait_link(True)
    assert _traffic(a, b) > 1000

    # Port stop/start on one side bounces the other side's link.
    b.cmdline("port stop 0")
    assert a.wait_link(False)
    b.cmdline("port start 0")
    assert a.wait_link(True)
    assert _traffic(b, a) > 1000


def test_server_restart_reconnects(paths, pmd, short_tmp, procs):
    srv = _server(paths, short_tmp, procs)
    a = _testpmd(pmd, srv, procs, "a")
    b = _testpmd(pmd, srv, procs, "b", lcores="0@1,1@0")
    assert a.wait_link(True) and b.wait_link(True)
    srv.stop()
    assert a.wait_link(False) and b.wait_link(False)
    srv.start()
    assert a.wait_link(True, timeout=30) and b.wait_link(True, timeout=30)
    assert _traffic(a, b) > 1000
    assert a.xstats()["server_reconnects"] == 1


def test_multi_queue(paths, pmd, short_tmp, procs):
    srv = _server(paths, short_tmp, procs, size="64M", out="16M")
    mq = ("--rxq=2", "--txq=2")
    a = _testpmd(pmd, srv, procs, "a", extra=mq)
    b = _testpmd(pmd, srv, procs, "b", lcores="0@1,1@0", extra=(*mq, "--txonly-multi-flow"))
    assert "Max possible RX queues: 4" in a.cmdline("show port info 0")
    assert a.wait_link(True) and b.wait_link(True)
    assert _traffic(b, a) > 1000
    xs = a.xstats()
    assert xs["rx_q0_packets"] > 0 and xs["rx_q1_packets"] > 0, xs


def test_three_peer_group_one_port_per_peer(paths, pmd, short_tmp, procs):
    srv = _server(paths, short_tmp, procs, size="32M", out="4M", peers=3)
    a = _testpmd(pmd, srv, procs, "a")
    b = _testpmd(pmd, srv, procs, "b", devargs=",peer=0", lcores="0@1,1@0")
    out = a.cmdline("show port summary all")
    assert "net_ivshmem2_p2" in out, out       # a: one port per other peer (1 and 2)
    assert a.wait_link(True, port=0) and b.wait_link(True)
    assert not a.link_up(port=1)               # peer 2 not there
    rx0 = a.stats(0)[0]
    b.cmdline("set fwd txonly")
    b.cmdline("start")
    time.sleep(1.5)
    b.cmdline("stop")
    a.cmdline("set fwd rxonly")
    a.cmdline("start")
    time.sleep(1.0)
    a.cmdline("stop")
    assert a.stats(0)[0] - rx0 > 100


def test_jumbo_mtu_9000_multi_segment(paths, pmd, short_tmp, procs):
    srv = _server(paths, short_tmp, procs)
    jumbo = ("--max-pkt-len=9018", "--rx-offloads=0x2000", "--tx-offloads=0x8000")
    a = _testpmd(pmd, srv, procs, "a", extra=jumbo)
    b = _testpmd(pmd, srv, procs, "b", lcores="0@1,1@0", extra=jumbo)
    assert a.wait_link(True) and b.wait_link(True)
    # 9000-byte frames built from 5 segments of the default 2 KiB mbufs.
    b.cmdline("set txpkts 2000,2000,2000,2000,1000")
    a.cmdline("clear port stats all")
    assert _traffic(b, a) > 100
    out = a.cmdline("show port stats 0")
    rx = int(re.search(r"RX-packets:\s+(\d+)", out).group(1))
    rxb = int(re.search(r"RX-bytes:\s+(\d+)", out).group(1))
    assert rxb == rx * 9000, out
    assert a.xstats()["rx_rejected_descriptors"] == 0


def test_zero_copy_rx(paths, pmd, short_tmp, procs):
    srv = _server(paths, short_tmp, procs)
    a = _testpmd(pmd, srv, procs, "a", devargs=",zero-copy=yes")
    b = _testpmd(pmd, srv, procs, "b", lcores="0@1,1@0")
    assert a.wait_link(True) and b.wait_link(True)
    # Far more packets than slots: slots must come back through the consumer index.
    assert _traffic(b, a, seconds=3) > 4096
    # io forwarding sends the zero-copy buffers back out (copied on tx).
    a.cmdline("set fwd io")
    b.cmdline("set fwd rxonly")
    b.cmdline("start")
    a.cmdline("start")
    rx0 = b.stats()[0]
    b.cmdline("stop")
    b.cmdline("set fwd txonly")
    b.cmdline("start")
    time.sleep(2)
    b.cmdline("stop")
    a.cmdline("stop")
    assert a.stats()[1] > 1000 and b.stats()[0] >= rx0

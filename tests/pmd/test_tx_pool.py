# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Zero-copy tx pool: the tx-pool devarg and rte_pmd_ivshmem2_pktmbuf_pool_create().

A forwarder with tx-pool receives into mbufs of its section's pool area and
transmits them as POOL descriptors (no copy); pktcheck on the other peer
verifies every frame that comes back, and after the stop every mbuf is back
in the pool."""

import re
import subprocess
import time

import pytest
from framework.ivshmem2.group import Ivshmem2Group
from framework.ivshmem2.pktcheck import Pktcheck
from framework.params.testpmd import PortTopology, SimpleForwardingModes
from framework.remote_session.testpmd_shell import TestPmdShell, run_testpmd_once
from framework.testbed_model.virtual_device import VirtualDevice

pytestmark = pytest.mark.pmd

POOL_MBUFS = 4096
FRAMES = 30000
# Frames out at once: a 9000 B frame takes 5 of the forwarder's 1024 ring entries,
# so 150 always fit and testpmd never drops on a full ring; every loss is the PMD's.
WINDOW = 150


def _pool_counts(shell: TestPmdShell, name: str):
    """(size, available) of mempool @name from testpmd's dump_mempool (rte_mempool_dump):
    available = in the lcore caches + in the common pool."""
    out = shell.send_command("dump_mempool")
    m = re.search(r"mempool <" + re.escape(name) + r">@.*?\n  size=(\d+).*?"
                  r"total_cache_count=(\d+)\s+common_pool_count=(\d+)", out, re.S)
    assert m, out[-3000:]
    return int(m.group(1)), int(m.group(2)) + int(m.group(3))


def _io_forwarder(sut_node, name: str, **devargs):
    """A 2-peer group and a testpmd io forwarder on peer 0 with @devargs, started."""
    # 32M sections of a 2-peer group leave about 14 MiB of pool area: 4096 buffers fit.
    group = Ivshmem2Group(sut_node, size="80M", output_size="32M", vectors=4)
    fwd = TestPmdShell(sut_node, [group.vdev(**devargs)], name=name,
                       port_topology=PortTopology.loop, rx_queues=1, tx_queues=1,
                       max_pkt_len=9216).start_application()
    fwd.set_forward_mode(SimpleForwardingModes.io)
    fwd.start()
    return group, fwd


def _check_every_frame(sut_node, group, name: str, sizes: str, seed: int, extra=()):
    """pktcheck on peer 1 sends FRAMES through the forwarder and verifies each one back."""
    pk = Pktcheck(sut_node, [group.vdev()], [
        "--mode", "both", *extra, "--frames", str(FRAMES), "--window", str(WINDOW),
        "--sizes", sizes, "--seed", str(seed), "--link-timeout", "60", "--timeout", "240",
        "--linger", "1"], name=name, slot=1).start_application()
    r = pk.wait(300)
    assert r.ok, f"{r.errors}\n{r.summary()}"
    assert r.data["rx"]["data_frames"] == FRAMES and r.data["rx"]["lost"] == 0, r.summary()
    return r.data["xstats"]


@pytest.mark.parametrize("sizes", ["64", "1518", "9000", "random:60-9014"])
def test_forwarder_transmits_from_its_pool(sut_node, sizes):
    """io forwarding with tx-pool: frames intact, sent as POOL descriptors, pool whole after."""
    group, fwd = _io_forwarder(sut_node, "pool-fwd", tx_pool=POOL_MBUFS)
    _check_every_frame(sut_node, group, "pool-check", sizes, 21)
    fwd.stop()
    xs = fwd.show_port_xstats(0)
    # Frames of 512 B and more went out of the pool (a POOL descriptor per
    # segment, no copy); shorter ones are copied (IVSHMEM2_TX_POOL_MIN).
    if sizes == "64":
        assert xs["tx_pool_posted_segments"] == 0, xs
    elif sizes.startswith("random"):
        assert 0 < xs["tx_pool_posted_segments"], xs
    else:
        assert xs["tx_pool_posted_segments"] >= FRAMES, xs
    assert xs["rx_bad_descriptor_errors"] == 0, xs
    fwd.stop_port(0)
    xs = fwd.show_port_xstats(0)
    assert xs["tx_pool_held_segments"] == 0, xs
    assert _pool_counts(fwd, "ivshmem2_txpool_0") == (POOL_MBUFS, POOL_MBUFS)
    assert fwd.alive()
    fwd.close()
    # Closing the port frees the devarg's pool: nothing of it was still in use.
    assert "still in use" not in fwd.output(), fwd.output()[-3000:]


@pytest.mark.parametrize("sizes", ["1518", "9000", "random:60-9014"])
def test_zero_copy_forwarder_returns_pool_frames(sut_node, sizes):
    """A zero-copy forwarder sends the frames of the sender's pool back as RETURN entries
    (no copy on either side of its hop); the sender verifies every frame it gets back."""
    group, fwd = _io_forwarder(sut_node, "return-fwd", zero_copy="yes")
    checker = _check_every_frame(sut_node, group, "return-check", sizes, 22,
                                 ["--tx-pool", "--mbufs", str(POOL_MBUFS)])
    fwd.stop()
    xs = fwd.show_port_xstats(0)
    # Single-segment pool frames (512 B and more) go back; a 9000 B frame is a
    # chain of pool segments, copied. The sender receives each one that comes
    # back in the mbuf it left in (taken back from its tx entry, no copy).
    taken = checker.get("rx_taken_back_packets", 0)
    if sizes == "1518":
        assert xs["tx_returned_packets"] >= FRAMES, xs
        assert taken >= FRAMES, checker
    elif sizes == "9000":
        assert xs["tx_returned_packets"] == 0, xs
        assert taken == 0, checker
    else:
        assert 0 < xs["tx_returned_packets"] < FRAMES, xs
        assert 0 < taken <= xs["tx_returned_packets"], (checker, xs)
    assert xs["rx_bad_descriptor_errors"] == 0, xs
    fwd.stop_port(0)
    assert fwd.show_port_xstats(0)["tx_pool_held_segments"] == 0
    assert fwd.alive()
    fwd.close()


@pytest.mark.parametrize("size", [1024, 1518])
def test_zero_copy_forwarder_lets_go_of_returned_frames_when_idle(sut_node, size):
    """io forwarding both ways, tx-pool on A, zero-copy rx on B, with as many frames out
    as A's ring holds; stopped, drained and started again, it forwards again.

    B's RETURN frames keep their rx slots, and with them A's ring, until B gives them
    back; that used to happen only in B's next tx burst, which an idle forwarder never
    makes: A's ring stayed full, A dropped the whole restart and nothing moved again."""
    group = Ivshmem2Group(sut_node, size="80M", output_size="32M", vectors=4)
    shells = []
    for slot, devargs in enumerate([dict(tx_pool=POOL_MBUFS), dict(zero_copy="yes")]):
        sh = TestPmdShell(sut_node, [group.vdev(**devargs)], name=f"idle-{slot}", slot=slot,
                          max_pkt_len=9216).start_application()
        shells.append(sh)
    a, b = shells
    for sh in shells:
        assert sh.wait_link_status_up(0, timeout=60), sh.output()[-2000:]
        sh.send_command(f"set txpkts {size}")
    for run in range(3):
        for sh in shells:
            sh.set_forward_mode(SimpleForwardingModes.io)
        # 16 bursts of 32 from each side: 1024 frames out, A's ring size.
        for sh in shells:
            sh.start_tx_first(16)
        time.sleep(0.5)
        before = a.show_port_stats(0).rx_packets
        time.sleep(1)
        moved = a.show_port_stats(0).rx_packets - before
        b.stop()
        a.stop()
        assert moved > 10000, f"run {run}: A received {moved} frames in 1 s\n" + \
            str(a.show_port_xstats(0))
        # What the bench does between two sizes: both drain what is still out.
        for sh in shells:
            sh.set_forward_mode(SimpleForwardingModes.rxonly)
            sh.start()
        time.sleep(0.3)
        b.stop()
        a.stop()
    assert b.show_port_xstats(0)["tx_returned_packets"] > 0
    # A received what B sent back in the mbufs they left in: no copy at either end.
    assert a.show_port_xstats(0)["rx_taken_back_packets"] > 0
    for sh in (b, a):
        sh.stop_port(0)
        assert sh.show_port_xstats(0)["tx_pool_held_segments"] == 0
        assert sh.alive()
        sh.close()


def test_ports_of_one_section_share_the_pool(sut_node):
    """peer=all in a 3-peer group: both ports transmit from the one pool of the section."""
    group = Ivshmem2Group(sut_node, max_peers=3, size="128M", output_size="32M", vectors=4)
    fwd = TestPmdShell(sut_node, [group.vdev(peer="all", tx_pool=POOL_MBUFS)],
                       name="pool-fwd3", port_topology=PortTopology.loop, rx_queues=1,
                       tx_queues=1).start_application()
    fwd.set_forward_mode(SimpleForwardingModes.io)
    fwd.start()
    checkers = [Pktcheck(sut_node, [group.vdev(peer=0)], [
        "--mode", "both", "--frames", "10000", "--window", str(WINDOW), "--sizes",
        "random:60-1518", "--seed", str(30 + k), "--link-timeout", "60", "--timeout", "240",
        "--linger", "1"], name=f"pool-check{k}", slot=k).start_application() for k in (0, 1)]
    for pk in checkers:
        r = pk.wait(300)
        assert r.ok and r.data["rx"]["data_frames"] == 10000, f"{r.errors}\n{r.summary()}"
    fwd.stop()
    for port in (0, 1):
        xs = fwd.show_port_xstats(port)
        # random:60-1518: about two thirds are 512 B or more (posted, not copied).
        assert xs["tx_pool_posted_segments"] >= 5000, (port, xs)
    fwd.stop_all_ports()
    # One pool, named after the port that started first; none for the other.
    assert _pool_counts(fwd, "ivshmem2_txpool_0") == (POOL_MBUFS, POOL_MBUFS)
    assert "ivshmem2_txpool_1" not in fwd.send_command("dump_mempool")
    fwd.close()
    assert "still in use" not in fwd.output(), fwd.output()[-3000:]


def test_pool_api_errors(paths, sut_node):
    """ENODEV for another driver's port, EINVAL, ENOSPC, a pool that fits, EEXIST."""
    tool = paths.BUILD / "drivers" / "net" / "ivshmem2" / "ivshmem2_pool_api"
    assert tool.exists(), f"{tool} not built"
    group = Ivshmem2Group(sut_node, size="64M", output_size="16M", vectors=4)
    prefix = sut_node.file_prefix("pool-api")
    proc = subprocess.run([str(tool), *sut_node.eal_args(
        prefix, [group.vdev(), VirtualDevice("net_null0")], load_pmd=False)],
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "POOL_API 0 failure(s)" in proc.stdout, \
        proc.stdout + proc.stderr
    # The ENOSPC log says how many fit and what to change.
    assert re.search(r"holds at most \d+ buffers of 2176 bytes, 100000 asked.*"
                     r"ivshmem2-server -o", proc.stdout + proc.stderr), proc.stdout + proc.stderr


def test_tx_pool_with_zero_copy_rx_is_refused(sut_node):
    group = Ivshmem2Group(sut_node, size="64M", output_size="16M", vectors=4)
    r = run_testpmd_once(sut_node, [group.vdev(tx_pool=1024, zero_copy="yes")], timeout=60)
    out = r.stdout + r.stderr
    assert "tx-pool=1024 needs zero-copy=no" in out, out
    assert "failed to initialize net_ivshmem20" in out, out


def test_tx_pool_too_large_names_the_maximum(sut_node):
    group = Ivshmem2Group(sut_node, size="64M", output_size="16M", vectors=4)
    shell = TestPmdShell(sut_node, [group.vdev(tx_pool=100000)],
                         name="pool-big").start_application()
    out = shell.output()
    m = re.search(r"holds at most (\d+) buffers of 2176 bytes, 100000 asked", out)
    assert m, out[-3000:]
    assert 3000 < int(m.group(1)) < 4000, m.group(0)    # about 7.7 MiB of pool area
    assert "Fail to start port 0" in out, out[-3000:]
    assert shell.alive()
    shell.close()
    r = run_testpmd_once(sut_node, [group.vdev(tx_pool="many")], timeout=60)
    assert "invalid tx-pool=many" in r.stdout + r.stderr, r.stdout + r.stderr

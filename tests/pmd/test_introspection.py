# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""What a port tells about itself, through DPDK's own interfaces.

Queue info reports the shared ring's real size, burst modes say copy or
zero-copy, xstats are named in DPDK's scheme with per-queue counters and a
reset clears every one of them, and the private dump (telemetry
/ethdev/dump_priv) shows the peer, the link and the rings.
"""

import json
import re
import socket
import time

import pytest
from cpu_flags import cpu_flags
from framework.ivshmem2.group import Ivshmem2Group
from framework.remote_session.testpmd_shell import TestPmdShell
from framework.params.testpmd import SimpleForwardingModes

pytestmark = pytest.mark.pmd

RING = 1024  # -o 4M with 2 peers: one queue pair of 1024 slots


@pytest.fixture
def pair(sut_node):
    group = Ivshmem2Group(sut_node, size="16M", output_size="4M", vectors=4)
    a = TestPmdShell(sut_node, [group.vdev()], name="a", slot=0).start_application()
    b = TestPmdShell(sut_node, [group.vdev(**{"zero-copy": "yes"})], name="b",
                     slot=1).start_application()
    a.set_forward_mode(SimpleForwardingModes.txonly)
    b.set_forward_mode(SimpleForwardingModes.rxonly)
    b.start()
    a.start()
    assert a.wait_link_status_up(0), f"{a.name}: port 0 link not up within 20 s"
    time.sleep(0.5)
    yield a, b, group
    a.close()
    b.close()


def _telemetry(shell, command):
    path = f"/var/run/dpdk/{shell.prefix}/dpdk_telemetry.v2"
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as s:
        s.settimeout(10)
        s.connect(path)
        json.loads(s.recv(16384))   # greeting
        s.send(command.encode())
        return json.loads(s.recv(1 << 20))


def test_queue_info_and_burst_modes(pair):
    a, b, _ = pair
    out = a.send_command("show rxq info 0 0")
    assert re.search(rf"Number of RXDs:\s*{RING}\b", out), out
    assert re.search(r"Burst mode:\s*Copy", out), out
    out = a.send_command("show txq info 0 0")
    assert re.search(rf"Number of TXDs:\s*{RING}\b", out), out
    assert re.search(r"Burst mode:\s*Copy into the own section", out), out
    out = b.send_command("show rxq info 0 0")
    assert re.search(r"Burst mode:\s*Zero-copy", out), out


def test_xstats_names_and_reset(pair):
    a, b, group = pair
    group.restart()     # one reconnection, one more link up
    assert b.wait_link_status_down(0), f"{b.name}: port 0 link not down within 20 s"
    assert b.wait_link_status_up(0), f"{b.name}: port 0 link not up within 20 s"
    xs = b.show_port_xstats(0)
    for name in ("rx_bad_descriptor_errors", "rx_q0_bad_descriptor_errors",
                 "tx_q0_ring_full_packets", "tx_q0_doorbell_notifications",
                 "link_up_events", "link_heartbeat_timeout_events", "link_bad_peer_events",
                 "link_server_reconnect_events"):
        assert name in xs, (name, sorted(xs))
    assert xs["link_up_events"] >= 2 and xs["link_server_reconnect_events"] == 1, xs
    assert all(re.fullmatch(r"(rx|tx|link)_[a-z0-9_]+", n) for n in xs), sorted(xs)
    b.send_command("clear port xstats 0")
    xs = b.show_port_xstats(0)
    # Traffic counters move on at once; the event counters must all be back at zero.
    events = {n: v for n, v in xs.items() if n.startswith("link_")}
    assert events and not any(events.values()), events


def test_private_dump(pair):
    a, _, _ = pair
    reply = _telemetry(a, "/ethdev/dump_priv,0")
    text = json.dumps(reply)
    assert "net_ivshmem2 port 0: peer" in text, text
    assert "generation" in text and "(up)" in text, text
    assert re.search(r"txq 0: tail \d+, in flight \d+", text), text


@pytest.mark.parametrize("variant", ["default", "memcpy", "avx2", "avx512"])
def test_tx_copy_variant_named_and_forced(sut_node, monkeypatch, variant):
    """show txq info names the slot copy variant; IVSHMEM2_COPY forces it (ivshmem2_copy.h).
    The default on an AVX2 CPU is avx2 (EAL's SIMD limit is 256 unless forced)."""
    flags = cpu_flags()
    expected = variant
    if variant == "default":
        monkeypatch.delenv("IVSHMEM2_COPY", raising=False)
        expected = "avx2" if "avx2" in flags else "memcpy"
    else:
        needs = {"memcpy": set(), "avx2": {"avx2"}, "avx512": {"avx512f", "avx512bw"}}[variant]
        if not needs <= flags:
            pytest.skip(f"CPU without {', '.join(sorted(needs))}")
        monkeypatch.setenv("IVSHMEM2_COPY", variant)
    group = Ivshmem2Group(sut_node, size="16M", output_size="4M", vectors=4)
    with TestPmdShell(sut_node, [group.vdev()], name="a", slot=0) as a, \
            TestPmdShell(sut_node, [group.vdev()], name="b", slot=1) as b:
        out = a.send_command("show txq info 0 0")
        assert re.search(rf"Burst mode:\s*Copy into the own section \({expected}\b", out), out
        # Frames above the streaming threshold arrive whole through the forced variant.
        a.send_command("set txpkts 1518")
        a.set_forward_mode("txonly")
        b.set_forward_mode("rxonly")
        b.start()
        assert a.wait_link_status_up(0), "port 0 link not up"
        a.start()
        time.sleep(0.5)
        a.stop()
        time.sleep(0.2)
        b.stop()
        stats = b.show_port_stats(0)
        assert stats.rx_packets > 0
        assert stats.rx_bytes == stats.rx_packets * 1518

# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""ivshmem2-info against live groups of stock dpdk-testpmd peers.

- With txonly -> rxonly traffic it shows both peers RUN, sessions acked
  pairwise, heartbeats advancing, the ring's tail and head advancing between
  two reads, and occupancies within the ring.
- It is invisible: the peers keep their links and ports, the server's peer
  list does not change, and a third peer still joins a -n 3 group while
  ivshmem2-info --watch runs.
"""

import json
import signal
import subprocess
import time

import pytest
from framework.ivshmem2.group import Ivshmem2Group
from framework.remote_session.testpmd_shell import TestPmdShell
from framework.ivshmem2.traffic import start_one_way, stop_one_way

import ivshmem2_paths

pytestmark = pytest.mark.pmd


def info(*args):
    path = ivshmem2_paths.INFO
    assert path.exists(), f"{path} not built"
    res = subprocess.run([str(path), *map(str, args)], capture_output=True, text=True,
                         timeout=30, check=False)
    assert res.returncode == 0, res.stderr
    return res.stdout


def info_json(group):
    return json.loads(info("--json", group.info_path))


def channel(shown, owner, remote):
    (peer,) = [p for p in shown["peers"] if p["id"] == owner]
    (ch,) = [c for c in peer["channels"] if c["remote"] == remote]
    return ch


def test_live_group_with_traffic(sut_node):
    group = Ivshmem2Group(sut_node, size="16M", output_size="4M", vectors=4, info=True)
    # rx joins first: ID 0
    rx = TestPmdShell(sut_node, [group.vdev()], name="rx", slot=0).start_application()
    tx = TestPmdShell(sut_node, [group.vdev()], name="tx", slot=1).start_application()  # ID 1
    assert rx.wait_link_status_up(0), f"{rx.name}: port 0 link not up within 20 s"
    assert tx.wait_link_status_up(0), f"{tx.name}: port 0 link not up within 20 s"
    start_one_way(rx, tx)
    try:
        time.sleep(1)
        first = info_json(group)
        time.sleep(0.5)
        second = info_json(group)
    finally:
        out = stop_one_way(rx, tx)
    assert rx.show_port_stats(0).rx_packets > 0, out

    srv = first["server"]
    assert (srv["max_peers"], srv["vectors"], srv["protocol"], srv["backend"]) == \
        (2, 4, 0x4932, "memfd")
    assert (srv["shm_size"], srv["output_section_size"]) == (16 << 20, 4 << 20)
    assert srv["connected"] == [0, 1] and srv["pid"] == group.server.pid
    assert (first["rings"]["queues"], first["rings"]["ring_size"]) == (1, 1024)
    for shown in (first, second):
        peers = {p["id"]: p for p in shown["peers"]}
        assert sorted(peers) == [0, 1]
        for p in peers.values():
            assert (p["connected"], p["state_name"]) == (True, "RUN"), p
            assert p["section"]["valid"], p["section"]
            assert p["section"]["heartbeat_advancing"] is True, p["section"]
        a, b = channel(shown, 0, 1), channel(shown, 1, 0)
        # Acked pairwise: each side's ack is the other's non-zero session.
        assert a["session"] and b["session"] and a["session"] != b["session"]
        assert (a["ack"], b["ack"]) == (b["session"], a["session"])
        assert a["acked"] and b["acked"] and a["link_up"] and b["link_up"]
        for ch in (a, b):
            for r in ch["rings"]:
                assert r["consistent"] and r["occupancy"] <= 1024, r
                assert r["occupancy"] == (r["tail"] - r["head"]) % (1 << 32), r
                assert r["wake_valid"], r
    # tx (ID 1) produces into ring 1 -> 0, which rx (ID 0) consumes.
    t1, t2 = channel(first, 1, 0)["rings"][0], channel(second, 1, 0)["rings"][0]
    assert (t2["tail"] - t1["tail"]) % (1 << 32) > 0, (t1, t2)
    assert (t2["head"] - t1["head"]) % (1 << 32) > 0, (t1, t2)
    # rxonly sends nothing: ring 0 -> 1 stands still.
    assert channel(first, 0, 1)["rings"][0]["tail"] == channel(second, 0, 1)["rings"][0]["tail"]

    text = info(group.info_path)
    assert text.count(": state RUN") == 2, text
    assert text.count("link up") == 2 and ": alive" in text, text


def test_info_is_invisible_to_a_two_peer_group(sut_node):
    group = Ivshmem2Group(sut_node, size="16M", output_size="4M", vectors=4, info=True)
    a = TestPmdShell(sut_node, [group.vdev()], name="a", slot=0).start_application()
    b = TestPmdShell(sut_node, [group.vdev()], name="b", slot=1).start_application()
    assert a.wait_link_status_up(0), f"{a.name}: port 0 link not up within 20 s"
    assert b.wait_link_status_up(0), f"{b.name}: port 0 link not up within 20 s"
    time.sleep(0.5)
    log_before = group.log()
    events_before = len(a.events()), len(b.events())
    watch = info("--watch", "2", group.info_path)
    assert watch.count("group ") == 2
    for _ in range(5):
        assert info_json(group)["server"]["connected"] == [0, 1]
    time.sleep(0.5)
    # Each testpmd still has its single port with the link up, and saw no event.
    for shell in (a, b):
        assert shell.number_of_ports() == 1
        assert shell.show_port_info(0).is_link_up
    assert (len(a.events()), len(b.events())) == events_before, (a.events(), b.events())
    assert group.log() == log_before, "the server logged something about the info client"


def test_third_peer_joins_while_info_watches(sut_node):
    group = Ivshmem2Group(sut_node, max_peers=3, size="16M", output_size="4M", vectors=4,
                          info=True)
    a = TestPmdShell(sut_node, [group.vdev()], name="a", slot=0).start_application()
    b = TestPmdShell(sut_node, [group.vdev()], name="b", slot=1).start_application()
    assert a.wait_link_status_up(0), f"{a.name}: port 0 link not up within 20 s"
    assert b.wait_link_status_up(0), f"{b.name}: port 0 link not up within 20 s"
    watch = sut_node.track(subprocess.Popen(
        [str(ivshmem2_paths.INFO), "--json", "--watch", str(group.info_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    first = json.loads(watch.stdout.readline())
    assert first["server"]["connected"] == [0, 1]
    c = TestPmdShell(sut_node, [group.vdev()], name="c", slot=2).start_application()
    assert c.number_of_ports() == 2
    for shell in (a, b, c):
        assert shell.wait_link_status_up(0), f"{shell.name}: port 0 link not up within 20 s"
        assert shell.wait_link_status_up(1), f"{shell.name}: port 1 link not up within 20 s"
    deadline = time.monotonic() + 30
    while True:
        shown = json.loads(watch.stdout.readline())
        ready = [p for p in shown["peers"] if p["state_name"] == "RUN"]
        if shown["server"]["connected"] == [0, 1, 2] and len(ready) == 3 and \
                all(ch["link_up"] for p in shown["peers"] for ch in p["channels"]):
            break
        assert time.monotonic() < deadline, shown
    assert [len(p["channels"]) for p in shown["peers"]] == [2, 2, 2]
    watch.send_signal(signal.SIGINT)
    assert watch.wait(10) == 0, watch.stderr.read()
    assert group.log().count(" joined ") == 3 and " left" not in group.log()

# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Groups of more than two peers: one port per remote peer, each pair its own rings."""

import time

from framework.ivshmem2_suite import Ivshmem2Suite
from framework.pktcheck import Pktcheck
from framework.test_suite import func_test

PEERS = 3


class TestIvshmem2Group(Ivshmem2Suite):
    """A three-peer group with automatic ports and with peer= ports."""

    max_peers = PEERS

    @func_test
    def test_three_peers_one_port_per_peer(self) -> None:
        """Each of three peers gets one port per other peer, all links up, traffic on all.

        Steps:
            Start three testpmd processes on a 3-peer group (no peer=
            devarg), one after the other; all forward in io mode (ports
            paired 0<->1) and each injects frames with tx_first 4; run 3 s.
        Verify:
            Before the third peer joins, peer 0's port towards peer 2
            (named <vdev>_p2) is down while the one towards peer 1 is up.
            Every process has 2 ports, all 6 links up; every port received
            and sent frames; no RX errors.
        """
        shells = [self.peer(i, f"g{i}") for i in range(PEERS - 1)]
        shells[0].wait_link(0, True, timeout=30)
        towards_2 = shells[0].show_port_info(1)
        self.verify(towards_2.device_name.endswith("_p2"),
                    f"peer 0's second port is {towards_2.device_name!r}, not towards peer 2")
        self.verify(not towards_2.link_up, "the link towards absent peer 2 is up")
        shells.append(self.peer(PEERS - 1, f"g{PEERS - 1}"))
        for s in shells:
            n = s.number_of_ports()
            self.verify(n == PEERS - 1, f"{s.name} has {n} ports, expected {PEERS - 1}")
        for s in shells:
            for port in range(PEERS - 1):
                s.wait_link(port, True, timeout=30)
        for s in shells:
            s.set_forward_mode("io")
        for s in shells:
            s.start_forwarding(tx_first=4)
        time.sleep(3)
        for s in shells:
            s.stop_forwarding()
        for s in shells:
            for port in range(PEERS - 1):
                st = s.show_port_stats(port)
                self.verify(st.rx_packets > 0 and st.tx_packets > 0,
                            f"{s.name} port {port}: rx {st.rx_packets} tx {st.tx_packets}")
                self.verify(st.rx_errors == 0, f"{s.name} port {port}: {st.rx_errors} errors")

    @func_test
    def test_pairs_are_isolated(self) -> None:
        """Traffic of one pair never reaches the third peer.

        Steps:
            Three peers; P1 (pktcheck rx, peer=2) receives from P2 (pktcheck
            tx, peer=1, 100000 frames); P0 joins with testpmd rxonly on its
            two ports.
        Verify:
            P1 verified all 100000 frames of P2; P0 received nothing.
        """
        watcher = self.peer(0, "g-watch")
        args = ["--frames", "100000", "--sizes", "random:60-9014", "--timeout", "120",
                "--progress", "5", "--linger", "2"]
        rx = Pktcheck(self.sut_node, [self.group.vdev(peer=2)], ["--mode", "rx", *args],
                      slot=0, name="g-rx")
        time.sleep(1)
        tx = Pktcheck(self.sut_node, [self.group.vdev(peer=1)], ["--mode", "tx", *args],
                      slot=1, name="g-tx")
        watcher.set_forward_mode("rxonly")
        watcher.start_forwarding()
        rr, rt = rx.wait(180), tx.wait(180)
        watcher.stop_forwarding()
        self.verify(rt.ok, f"sender: {rt.errors}\n{rt.summary()}")
        self.verify(rr.ok and rr.data["rx"]["data_frames"] == 100000,
                    f"receiver: {rr.errors}\n{rr.summary()}")
        for port in range(PEERS - 1):
            got = watcher.show_port_stats(port).rx_packets
            self.verify(got == 0, f"peer 0 port {port} received {got} frames of another pair")

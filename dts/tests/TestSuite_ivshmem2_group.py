# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Groups of more than two peers: one port per remote peer, each pair its own rings."""

import contextlib
import time

from framework.ivshmem2.pktcheck import Pktcheck
from framework.ivshmem2.suite import Ivshmem2Suite
from framework.params.testpmd import SimpleForwardingModes
from framework.test_suite import func_test
from framework.testbed_model.capability import requires
from framework.testbed_model.topology import TopologyType

PEERS = 3


@requires(topology_type=TopologyType.no_link)
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
        with contextlib.ExitStack() as stack:
            shells = [stack.enter_context(self.peer(i, f"g{i}")) for i in range(PEERS - 1)]
            self.verify(shells[0].wait_link_status_up(0, timeout=30),
                        "peer 0's port towards peer 1 not up within 30 s")
            towards_2 = shells[0].show_port_info(1)
            self.verify(towards_2.device_name.endswith("_p2"),
                        f"peer 0's second port is {towards_2.device_name!r}, not towards peer 2")
            self.verify(not towards_2.is_link_up, "the link towards absent peer 2 is up")
            shells.append(stack.enter_context(self.peer(PEERS - 1, f"g{PEERS - 1}")))
            for s in shells:
                n = s.number_of_ports()
                self.verify(n == PEERS - 1, f"{s.name} has {n} ports, expected {PEERS - 1}")
            for s in shells:
                for port in range(PEERS - 1):
                    self.verify(s.wait_link_status_up(port, timeout=30),
                                f"{s.name}: port {port} link not up within 30 s")
            for s in shells:
                s.set_forward_mode(SimpleForwardingModes.io)
            for s in shells:
                s.start_tx_first(4)
            time.sleep(3)
            for s in shells:
                s.stop()
            for s in shells:
                for port in range(PEERS - 1):
                    st = s.show_port_stats(port)
                    self.verify(st.rx_packets > 0 and st.tx_packets > 0,
                                f"{s.name} port {port}: rx {st.rx_packets} tx {st.tx_packets}")
                    self.verify(st.rx_errors == 0,
                                f"{s.name} port {port}: {st.rx_errors} errors")

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
        args = ["--frames", "100000", "--sizes", "random:60-9014", "--timeout", "120",
                "--progress", "5", "--linger", "2"]
        with self.peer(0, "g-watch") as watcher:
            rx = Pktcheck(self.sut_node, [self.group.vdev(peer=2)], ["--mode", "rx", *args],
                          slot=0, name="g-rx").start_application()
            time.sleep(1)
            tx = Pktcheck(self.sut_node, [self.group.vdev(peer=1)], ["--mode", "tx", *args],
                          slot=1, name="g-tx").start_application()
            watcher.set_forward_mode(SimpleForwardingModes.rxonly)
            watcher.start()
            rr, rt = rx.wait(180), tx.wait(180)
            watcher.stop()
            got = [watcher.show_port_stats(port).rx_packets for port in range(PEERS - 1)]
        self.verify(rt.ok, f"sender: {rt.errors}\n{rt.summary()}")
        self.verify(rr.ok and rr.data["rx"]["data_frames"] == 100000,
                    f"receiver: {rr.errors}\n{rr.summary()}")
        for port in range(PEERS - 1):
            self.verify(got[port] == 0,
                        f"peer 0 port {port} received {got[port]} frames of another pair")

# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""MTU 9000 and multi-segment frames on net_ivshmem2."""

from framework.ivshmem2.suite import Ivshmem2Suite
from framework.ivshmem2.pktcheck import Pktcheck
from framework.ivshmem2.traffic import run_one_way
from framework.test_suite import func_test
from framework.testbed_model.capability import requires
from framework.testbed_model.topology import TopologyType

JUMBO_MTU = 9000
# txonly frame of 9014 bytes (MTU 9000 + Ethernet header) in 2048-byte segments.
TXPKTS = "2048,2048,2048,2048,822"


@requires(topology_type=TopologyType.no_link)
class TestIvshmem2Mtu(Ivshmem2Suite):
    """Jumbo MTU configuration and chained mbufs in both directions."""

    @func_test
    def test_dev_info_and_mtu_9000(self) -> None:
        """The port accepts MTU 9000 and reports it.

        Steps:
            Start a peer with --max-pkt-len=9014; "port config mtu 0 9000".
        Verify:
            show port info reports MTU 9000; a too large MTU (65000) is
            refused and the MTU stays 9000.
        """
        with self.peer(name="mtu-a", max_pkt_len=9014) as a:
            out = a.set_port_mtu(0, JUMBO_MTU, verify=False)
            mtu = a.show_port_info(0).mtu
            self.verify(mtu == JUMBO_MTU, f"MTU is {mtu} after setting {JUMBO_MTU}: {out}")
            a.set_port_mtu(0, 65000, verify=False)
            mtu = a.show_port_info(0).mtu
            self.verify(mtu == JUMBO_MTU, f"MTU is {mtu} after a refused 65000")

    @func_test
    def test_testpmd_multi_segment_9014(self) -> None:
        """testpmd txonly sends 9014-byte chained frames; the peer gets them whole.

        Steps:
            B: txonly with "set txpkts 2048,2048,2048,2048,822" (5 segments);
            A: rxonly with --max-pkt-len=9014 (scatter RX). Run 2 s.
        Verify:
            A received frames, with RX-bytes / RX-packets == 9014 exactly,
            no RX errors and no rejected descriptor.
        """
        app = {"max_pkt_len": 9014, "mbuf_size": 2176}
        with self.peer(0, "j-a", **app) as a, self.peer(1, "j-b", **app) as b:
            self.verify(a.wait_link_status_up(0), f"{a.name}: port 0 link not up within 20 s")
            b.send_command(f"set txpkts {TXPKTS}")
            run_one_way(a, b, 2)
            s = a.show_port_stats(0)
            rejected = a.show_port_xstats(0)["rx_bad_descriptor_errors"]
        self.verify(s.rx_packets > 1000, f"A received only {s.rx_packets} jumbo frames")
        self.verify(s.rx_bytes == 9014 * s.rx_packets,
                    f"A: {s.rx_bytes} bytes in {s.rx_packets} frames, not 9014 each")
        self.verify(s.rx_errors == 0, f"A: {s.rx_errors} RX errors")
        self.verify(rejected == 0, f"A rejected {rejected} descriptors")

    @func_test
    def test_pktcheck_jumbo_small_segments(self) -> None:
        """9000-byte frames made of 10 segments are delivered intact.

        Steps:
            B sends 50000 frames of 9000 and 9014 bytes, each built from
            1000-byte segments (10 per frame), to A (zero-copy RX).
        Verify:
            A verified every frame and lost none.
        """
        args = ["--frames", "50000", "--sizes", "9000,9014", "--timeout", "120",
                "--progress", "5", "--linger", "2"]
        a = Pktcheck(self.sut_node, [self.group.vdev(**{"zero-copy": "yes"})],
                     ["--mode", "rx", *args], slot=0, name="j-pc-a").start_application()
        b = Pktcheck(self.sut_node, [self.group.vdev()],
                     ["--mode", "tx", "--seg-size", "1000", *args], slot=1,
                     name="j-pc-b").start_application()
        ra, rb = a.wait(180), b.wait(180)
        self.verify(rb.ok, f"sender: {rb.errors}\n{rb.summary()}\nreceiver:\n{ra.summary()}")
        self.verify(ra.ok and ra.data["rx"]["data_frames"] == 50000,
                    f"receiver: {ra.errors}\n{ra.summary()}")

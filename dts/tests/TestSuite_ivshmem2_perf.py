# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""A short throughput and latency look at net_ivshmem2 (prints, never asserts speed).

bench/bench.py is the real benchmark (all transports, repetitions); this
suite only shows figures in the test log and checks that traffic flowed.
"""

import time

from framework.ivshmem2.pktcheck import Pktcheck
from framework.ivshmem2.suite import Ivshmem2Suite
from framework.ivshmem2.traffic import start_one_way, stop_one_way
from framework.test_suite import perf_test
from framework.testbed_model.capability import requires
from framework.testbed_model.topology import TopologyType


@requires(topology_type=TopologyType.no_link)
class TestIvshmem2Perf(Ivshmem2Suite):
    """txonly -> rxonly rate at 64 and 1518 bytes, ping-pong round trip."""

    @perf_test
    def test_perf_unidirectional(self) -> None:
        """Unidirectional rate, 64 and 1518 bytes.

        Steps:
            B txonly -> A rxonly; per size: clear stats, run 3 s, read A's RX.
        Verify:
            Frames flowed at each size (the rate is printed, not judged).
        """
        a = self.peer(0, "perf-a").start_application()
        b = self.peer(1, "perf-b").start_application()
        self.verify(a.wait_link_status_up(0), f"{a.name}: port 0 link not up within 20 s")
        print("\nnet_ivshmem2 txonly -> rxonly")
        for size in (64, 1518):
            b.send_command(f"set txpkts {size}")
            start_one_way(a, b)
            time.sleep(1)
            a.clear_port_stats(0)
            time.sleep(3)
            rx = a.show_port_stats(0).rx_packets
            stop_one_way(a, b)
            mpps = rx / 3 / 1e6
            print(f"  {size:5d} B: {mpps:7.2f} Mpps {mpps * size * 8 / 1e3:7.2f} Gbit/s")
            self.verify(rx > 0, f"no frames at {size} bytes")

    @perf_test
    def test_perf_ping_pong(self) -> None:
        """Round-trip time with one frame in flight.

        Steps:
            pktcheck --mode pong on A, --mode ping (20000 frames, 64 B) on B.
        Verify:
            Every ping answered and verified; the percentiles are printed.
        """
        pong = Pktcheck(self.sut_node, [self.group.vdev()],
                        ["--mode", "pong", "--timeout", "60", "--progress", "0"], slot=0,
                        name="pong").start_application()
        ping = Pktcheck(self.sut_node, [self.group.vdev()],
                        ["--mode", "ping", "--frames", "20000", "--timeout", "60",
                         "--progress", "0"], slot=1, name="ping").start_application()
        r = ping.wait(90)
        pong.interrupt()
        pong.wait(30)
        p = r.data.get("ping", {})
        print(f"\nnet_ivshmem2 ping-pong RTT us: min {p.get('min_us')} p50 {p.get('p50_us')} "
              f"p99 {p.get('p99_us')} max {p.get('max_us')}")
        self.verify(r.ok and p.get("answered") == 20000, f"ping: {r.errors}\n{r.summary()}")

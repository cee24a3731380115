# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Multi-queue operation of net_ivshmem2 (queue pairs per peer)."""

from framework.ivshmem2.suite import Ivshmem2Suite
from framework.ivshmem2.pktcheck import Pktcheck
from framework.ivshmem2.traffic import run_one_way
from framework.test_suite import func_test
from framework.testbed_model.capability import requires
from framework.testbed_model.topology import TopologyType

QUEUES = 2
# The default group (2 peers, 16 MiB output sections) has room for 4 queue pairs.
MAX_QUEUES = 4


@requires(topology_type=TopologyType.no_link)
class TestIvshmem2Multiqueue(Ivshmem2Suite):
    """Two queue pairs: every queue carries traffic, every stream intact."""

    @func_test
    def test_testpmd_every_queue_forwards(self) -> None:
        """With --rxq=2 --txq=2 both queues carry frames.

        Steps:
            A (rxonly) and B (txonly) with 2 queue pairs and 2 forwarding
            lcores... B sends on both TX queues for 2 s, then both stop.
        Verify:
            Both ports report 2 RX and 2 TX queues of at most 4; A's
            per-stream forward statistics show frames received on queue 0
            and on queue 1.
        """
        with self.peer(0, "mq-a", rx_queues=QUEUES, tx_queues=QUEUES) as a, \
                self.peer(1, "mq-b", rx_queues=QUEUES, tx_queues=QUEUES) as b:
            self.verify(a.wait_link_status_up(0), f"{a.name}: port 0 link not up within 20 s")
            for shell in (a, b):
                info = shell.show_port_info(0)
                self.verify(info.nb_rx_queues == QUEUES and info.nb_tx_queues == QUEUES,
                            f"{shell.name}: {info.nb_rx_queues} rx / {info.nb_tx_queues} "
                            "tx queues")
                self.verify(info.max_rx_queues == MAX_QUEUES == info.max_tx_queues,
                            f"{shell.name}: at most {info.max_rx_queues} rx / "
                            f"{info.max_tx_queues} tx queues, expected {MAX_QUEUES}")
            out = run_one_way(a, b, 2)
            per_queue = a.forward_stream_stats(out)
        for q in range(QUEUES):
            self.verify(per_queue.get(f"0/{q}", 0) > 0,
                        f"no frames on RX queue {q}: {per_queue}\n{out}")

    @func_test
    def test_pktcheck_two_queues_both_ways(self) -> None:
        """Every stream of every queue arrives intact, both directions.

        Steps:
            pktcheck --mode both --queues 2 on A and B, 200000 frames each
            (100000 per queue), random sizes 60..9014.
        Verify:
            Each side finished both of the other's streams, verified every
            frame, lost none.
        """
        args = ["--mode", "both", "--queues", str(QUEUES), "--frames", "200000",
                "--sizes", "random:60-9014", "--timeout", "120", "--progress", "5",
                "--linger", "2"]
        a = Pktcheck(self.sut_node, [self.group.vdev()], args + ["--id", "1"], slot=0,
                     name="mq-pc-a").start_application()
        b = Pktcheck(self.sut_node, [self.group.vdev()], args + ["--id", "2"], slot=1,
                     name="mq-pc-b").start_application()
        ra, rb = a.wait(180), b.wait(180)
        for name, r in (("A", ra), ("B", rb)):
            self.verify(r.ok, f"peer {name}: {r.errors}\n{r.summary()}")
            self.verify(r.data["rx"]["fin_streams"] == QUEUES
                        and r.data["rx"]["data_frames"] == 200000,
                        f"peer {name} received {r.data['rx']}")

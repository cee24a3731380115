# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Self-test of the ivshmem2-pktcheck generator/checker on stock PMDs.

The integrity suites trust pktcheck's verdict, so this suite shows that
the checker passes clean traffic (net_ring loopback, net_memif between two
processes) and fails on every fault it is meant to catch: corruption,
duplicates, losses and reordering, each injected on purpose by the sender.
"""

import time

from framework.ivshmem2.pktcheck import Pktcheck, PktcheckResult
from framework.test_suite import TestSuite, func_test
from framework.testbed_model.capability import requires
from framework.testbed_model.topology import TopologyType
from framework.testbed_model.virtual_device import VirtualDevice

SIZES = "60,61,64,65,127,128,511,1023,1514,1518,2047,2048,2049,4096,8191,9000,9014"


@requires(topology_type=TopologyType.no_link)
class TestPktcheck(TestSuite):
    """pktcheck verdicts on known-good transports and injected faults."""

    def _loopback(self, *args: str) -> PktcheckResult:
        run = Pktcheck(self.sut_node, [VirtualDevice("net_ring0")],
                       ["--mode", "both", "--timeout", "60", "--progress", "0", *args],
                       load_pmd=False, name="loop").start_application()
        return run.wait(120)

    @func_test
    def test_loopback_every_size(self) -> None:
        """Clean traffic of every size passes.

        Steps:
            Send 40000 frames cycling through 17 sizes from 60 to 9014 bytes
            (chained mbufs above 2048) over a net_ring loopback port.
        Verify:
            Exit status 0, all 40000 frames received and verified, none lost.
        """
        r = self._loopback("--frames", "40000", "--sizes", SIZES)
        self.verify(r.ok, f"clean loopback failed: {r.errors}\n{r.summary()}")
        self.verify(r.data["rx"]["data_frames"] == 40000 == r.data["tx"]["frames"],
                    f"frames sent/received differ: {r.data['tx']} {r.data['rx']}")

    @func_test
    def test_random_sizes_small_segments(self) -> None:
        """Random sizes split in 100-byte segments pass.

        Steps:
            Send 20000 frames of random size 60..9000 (seed 5) as chains of
            100-byte segments over net_ring loopback.
        Verify:
            Exit status 0 and every frame verified.
        """
        r = self._loopback("--frames", "20000", "--sizes", "random:60-9000", "--seed", "5",
                           "--seg-size", "100")
        self.verify(r.ok, f"random sizes failed: {r.errors}\n{r.summary()}")
        self.verify(r.data["rx"]["ok"] == 20001, f"verified {r.data['rx']['ok']} of 20001")

    @func_test
    def test_window_one_frame_out(self) -> None:
        """--window 1: each frame goes out only once the previous one came back.

        Steps:
            Send 3000 frames of three sizes over net_ring loopback with --window 1.
        Verify:
            Exit status 0, all 3000 verified, the PMD never refused one (the
            ring never held more than one frame).
        """
        r = self._loopback("--frames", "3000", "--sizes", "60,1518,9000", "--window", "1")
        self.verify(r.ok, f"--window 1 failed: {r.errors}\n{r.summary()}")
        self.verify(r.data["rx"]["data_frames"] == 3000 and r.data["tx"]["refused"] == 0,
                    f"window 1: {r.data['tx']} {r.data['rx']}")

    @func_test
    def test_bad_options_exit_2(self) -> None:
        """Bad options and a missing port are set-up errors, not verdicts.

        Steps:
            Run pktcheck with --sizes 10, with --mode sideways, with no
            port at all, and with --window outside mode both.
        Verify:
            Each exits with status 2 and a one-line message naming the problem.
        """
        cases = [([VirtualDevice("net_ring0")], ["--sizes", "10"], "is not a number in 60.."),
                 ([VirtualDevice("net_ring0")], ["--mode", "sideways"], "unknown value"),
                 ([], ["--mode", "rx"], "does not exist"),
                 ([VirtualDevice("net_ring0")], ["--mode", "tx", "--window", "8"],
                  "--window needs --mode both")]
        for vdevs, args, message in cases:
            r = Pktcheck(self.sut_node, vdevs, args, load_pmd=False,
                         name="badopt").start_application().wait(60)
            self.verify(r.returncode == 2, f"{args}: exit status {r.returncode}, expected 2")
            self.verify(message in r.output, f"{args}: no '{message}' in:\n{r.output[-1500:]}")

    def _expect_fault(self, kind: str, counter_check) -> None:
        r = self._loopback("--frames", "20000", "--sizes", "60,1518,9000",
                           "--inject", f"{kind}:997")
        self.verify(r.returncode == 1, f"--inject {kind}: exit status {r.returncode}, "
                    f"expected 1\n{r.summary()}")
        self.verify(not r.data.get("ok", True), f"--inject {kind}: JSON says ok")
        self.verify(counter_check(r.data), f"--inject {kind}: wrong counters: {r.data['rx']}")

    @func_test
    def test_detects_corruption(self) -> None:
        """A flipped payload byte fails the run.

        Steps:
            Flip the last byte of every 997th frame after its CRC was computed.
        Verify:
            Exit status 1 and 20 frames counted bad_crc (20000 // 997).
        """
        self._expect_fault("corrupt", lambda d: d["rx"]["bad_crc"] == 20000 // 997)

    @func_test
    def test_detects_duplicates(self) -> None:
        """A frame sent twice fails the run.

        Steps:
            Send every 997th frame twice.
        Verify:
            Exit status 1 and duplicates counted in the stream.
        """
        self._expect_fault("dup", lambda d: d["rx"]["streams"][0]["dups"] > 0)

    @func_test
    def test_detects_loss(self) -> None:
        """A sequence number never sent counts as lost.

        Steps:
            Skip a sequence number every 997th frame.
        Verify:
            Exit status 1 and a positive loss count.
        """
        self._expect_fault("skip", lambda d: d["rx"]["lost"] > 0)

    @func_test
    def test_detects_reordering(self) -> None:
        """Two swapped frames fail the run.

        Steps:
            Send frames n+1 and n in that order every 997th frame.
        Verify:
            Exit status 1 and late (out-of-order) frames counted.
        """
        self._expect_fault("swap", lambda d: d["rx"]["streams"][0]["late"] > 0)

    @func_test
    def test_memif_two_processes(self) -> None:
        """Two processes over net_memif, both directions, two queues.

        Steps:
            Start pktcheck --mode both as memif server and as client, each
            sending 100000 frames of 60..1500 bytes on 2 queues.
        Verify:
            Both exit 0; each received all 100000 frames of the other's
            2 streams, in order, none lost.
        """
        sock = self.sut_node.workdir / "memif.sock"
        args = ["--mode", "both", "--queues", "2", "--frames", "100000",
                "--sizes", "random:60-1500", "--timeout", "90", "--progress", "0",
                "--linger", "2"]
        # A socket file (not the abstract default) so the client can wait for it.
        a = Pktcheck(self.sut_node,
                     [VirtualDevice(f"net_memif0,role=server,socket={sock},socket-abstract=no")],
                     args + ["--id", "1"], slot=0, load_pmd=False,
                     name="memif-a").start_application()
        # The client gives up if the server's socket is not there yet.
        deadline = time.monotonic() + 60
        while not sock.exists() and time.monotonic() < deadline and a.running():
            time.sleep(0.1)
        b = Pktcheck(self.sut_node,
                     [VirtualDevice(f"net_memif0,role=client,socket={sock},socket-abstract=no")],
                     args + ["--id", "2"], slot=1, load_pmd=False,
                     name="memif-b").start_application()
        ra, rb = a.wait(150), b.wait(150)
        for name, r in (("server", ra), ("client", rb)):
            self.verify(r.ok, f"memif {name}: {r.errors}\n{r.summary()}")
            self.verify(r.data["rx"]["data_frames"] == 100000 and r.data["rx"]["fin_streams"] == 2,
                        f"memif {name} received {r.data['rx']}")

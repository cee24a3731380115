# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""End-to-end integrity of net_ivshmem2, every frame verified by pktcheck.

Frames of 60 to 9014 bytes carry a sequence number, their length, a stream
id and a payload CRC; the payload is a function of (stream, seq). The
receiver verifies every frame and fails on any corruption, duplicate,
reordering or loss; the sender numbers only frames the PMD accepted, so
frames refused because the ring was full are counted there and can never
show up as losses (see app/ivshmem2-pktcheck/pktcheck_tx.c).
"""

from typing import Dict, Optional

from framework.ivshmem2.suite import Ivshmem2Suite
from framework.ivshmem2.pktcheck import Pktcheck, PktcheckResult
from framework.test_suite import func_test
from framework.testbed_model.capability import requires
from framework.testbed_model.topology import TopologyType

SIZES = "60,61,64,65,127,128,511,1023,1514,1518,2047,2048,2049,4096,8191,9000,9014"
FRAMES = 200000


@requires(topology_type=TopologyType.no_link)
class TestIvshmem2Integrity(Ivshmem2Suite):
    """pktcheck over net_ivshmem2 in copy and zero-copy RX modes."""

    def _run(self, a_mode: str, b_mode: str, extra: list, a_devargs: Optional[Dict] = None,
             b_devargs: Optional[Dict] = None):
        common = ["--timeout", "120", "--progress", "5", "--linger", "2", *extra]
        a = Pktcheck(self.sut_node, [self.group.vdev(**(a_devargs or {}))],
                     ["--mode", a_mode, "--id", "1", *common], slot=0,
                     name="pc-a").start_application()
        b = Pktcheck(self.sut_node, [self.group.vdev(**(b_devargs or {}))],
                     ["--mode", b_mode, "--id", "2", *common], slot=1,
                     name="pc-b").start_application()
        return a.wait(180), b.wait(180)

    def _verify_clean(self, name: str, r: PktcheckResult, sent_by_peer: Optional[int]) -> None:
        self.verify(r.ok, f"{name}: {r.errors}\n{r.summary()}")
        rx = r.data["rx"]
        if sent_by_peer is not None:
            self.verify(rx["data_frames"] == sent_by_peer and rx["lost"] == 0,
                        f"{name}: received {rx['data_frames']} of {sent_by_peer}, "
                        f"lost {rx['lost']}")
            self.verify(r.data["port"]["imissed"] == 0 and r.data["port"]["ierrors"] == 0,
                        f"{name}: port counters {r.data['port']}")

    def _unidirectional(self, sizes: str, rx_devargs: Optional[Dict] = None,
                        extra: Optional[list] = None) -> None:
        args = ["--frames", str(FRAMES), "--sizes", sizes, "--seed", "11", *(extra or [])]
        ra, rb = self._run("rx", "tx", args, a_devargs=rx_devargs)
        self._verify_clean("sender", rb, None)
        self.verify(rb.data["tx"]["frames"] == FRAMES, f"sender sent {rb.data['tx']}")
        self._verify_clean("receiver", ra, FRAMES)
        # The PMD's own counters agree with what pktcheck saw (+1: the FIN).
        self.verify(ra.data["port"]["ipackets"] == FRAMES + 1,
                    f"receiver ipackets {ra.data['port']['ipackets']} != {FRAMES + 1}")

    @func_test
    def test_sizes_60_to_9014_copy_mode(self) -> None:
        """Every size from 60 to 9014 bytes arrives intact (default RX mode).

        Steps:
            B sends 200000 frames cycling through 17 sizes 60..9014 to A.
        Verify:
            A verified all 200000 frames: no corruption, duplicate,
            reordering or loss; A's ipackets matches.
        """
        self._unidirectional(SIZES)

    @func_test
    def test_sizes_60_to_9014_zero_copy(self) -> None:
        """Every size arrives intact with zero-copy RX.

        Steps:
            As the copy-mode case, A with zero-copy=yes.
        Verify:
            Every frame verified, none lost.
        """
        self._unidirectional(SIZES, rx_devargs={"zero-copy": "yes"})

    @func_test
    def test_random_sizes_zero_copy(self) -> None:
        """Random sizes 60..9014 with zero-copy RX.

        Steps:
            B sends 200000 frames of seeded random size to A (zero-copy=yes).
        Verify:
            Every frame verified, none lost.
        """
        self._unidirectional("random:60-9014", rx_devargs={"zero-copy": "yes"})

    @func_test
    def test_ring_full_is_counted_not_lost(self) -> None:
        """Frames refused on a full ring are counted by the sender, never lost.

        Steps:
            B sends 200000 frames of 60..1518 bytes with --on-full drop: a
            frame the PMD refuses is freed and its number reused.
        Verify:
            A received every frame B counted as sent; B's dropped count
            equals its refused count (reported in the output).
        """
        self._unidirectional("random:60-1518", extra=["--on-full", "drop"])

    def _bidirectional(self, devargs: Optional[Dict]) -> None:
        args = ["--frames", str(FRAMES), "--sizes", "random:60-9014", "--seed", "12"]
        ra, rb = self._run("both", "both", args, a_devargs=devargs, b_devargs=devargs)
        self._verify_clean("peer A", ra, rb.data.get("tx", {}).get("frames"))
        self._verify_clean("peer B", rb, ra.data.get("tx", {}).get("frames"))
        self.verify(ra.data["tx"]["frames"] == FRAMES == rb.data["tx"]["frames"],
                    f"sent A {ra.data['tx']['frames']} B {rb.data['tx']['frames']}")

    @func_test
    def test_bidirectional_copy_mode(self) -> None:
        """Both directions at once, random sizes, default RX mode.

        Steps:
            A and B each send 200000 frames of random size 60..9014 and
            verify the other's.
        Verify:
            Both verified all 200000 frames of the other, none lost.
        """
        self._bidirectional(None)

    @func_test
    def test_bidirectional_zero_copy(self) -> None:
        """Both directions at once with zero-copy RX on both sides.

        Steps:
            As the copy-mode case, both peers with zero-copy=yes.
        Verify:
            Both verified all 200000 frames of the other, none lost.
        """
        self._bidirectional({"zero-copy": "yes"})

# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Link state and reconnection of net_ivshmem2.

The link of a port follows the remote peer: down when it stops, leaves or
dies, up again when it comes back, with LSC events; after a peer or the
server restarts, traffic resumes without restarting the application.
"""

import signal
import time

from framework.ivshmem2_suite import Ivshmem2Suite
from framework.test_suite import func_test
from framework.testpmd_shell import TestPmdShell, start_one_way

LSC_EVENT = "Port 0: link state change event"


class TestIvshmem2Link(Ivshmem2Suite):
    """Link down/up on stop/start and kill -9; reconnect after restarts."""

    def _receiver_and_sender(self):
        a = self.peer(0, "receiver")
        b = self.peer(1, "sender")
        a.wait_link(0, True, timeout=20)
        start_one_way(a, b)
        return a, b

    def _verify_rx_grows(self, a: TestPmdShell, what: str, timeout: float = 30) -> int:
        """Wait until A's RX counter grows by more than 1000 frames."""
        start = a.show_port_stats(0).rx_packets
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            time.sleep(0.5)
            now = a.show_port_stats(0).rx_packets
            if now - start > 1000:
                return now - start
        self.verify(False, f"{what}: receiver RX stuck at {start} for {timeout} s")
        return 0

    @func_test
    def test_link_follows_peer_stop_start(self) -> None:
        """Stopping and starting the remote port takes the link down and up.

        Steps:
            Peers A and B up; B runs "port stop 0", then "port start 0";
            then B sends to A (txonly -> rxonly).
        Verify:
            A's link goes down, then up, each within 10 s, and A's output
            shows a link state change event for each transition (also in
            its event log); A's RX counter grows after B's port start.
        """
        a, b = self.peer(0, "a"), self.peer(1, "b")
        a.wait_link(0, True, timeout=20)
        mark = a.mark()
        b.port_stop(0)
        a.wait_link(0, False, timeout=10)
        a.wait_output(LSC_EVENT, timeout=10, since=mark)
        mark = a.mark()
        b.port_start(0)
        a.wait_link(0, True, timeout=10)
        a.wait_output(LSC_EVENT, timeout=10, since=mark)
        self.verify(b.link_up(0), "B's own link is not up after port start")
        lsc = a.events().count(LSC_EVENT)
        self.verify(lsc >= 2, f"A's event log has {lsc} link state changes: {a.events()}")
        start_one_way(a, b)
        self._verify_rx_grows(a, "after the remote port start")

    @func_test
    def test_link_down_on_peer_kill9(self) -> None:
        """The link goes down when the remote peer is killed with SIGKILL.

        Steps:
            A receives from B (rxonly/txonly); kill -9 B; start a new B.
        Verify:
            A's link goes down within 10 s with an LSC event; comes up with
            the new B; A's RX counter grows again without A being restarted.
        """
        a, b = self._receiver_and_sender()
        self._verify_rx_grows(a, "before the kill")
        mark = a.mark()
        b.kill(signal.SIGKILL)
        a.wait_link(0, False, timeout=10)
        a.wait_output(LSC_EVENT, timeout=10, since=mark)
        self._new_sender(a, "after the new peer joined")

    @func_test
    def test_reconnect_after_peer_restart(self) -> None:
        """Traffic resumes after the remote peer quits and restarts.

        Steps:
            A receives from B; B quits normally; a new B joins and sends.
        Verify:
            A's link goes down and up again and its RX counter grows after
            the restart; A keeps forwarding the whole time.
        """
        a, b = self._receiver_and_sender()
        self._verify_rx_grows(a, "before the restart")
        b.quit()
        a.wait_link(0, False, timeout=10)
        self._new_sender(a, "after the peer restart")

    def _new_sender(self, a: TestPmdShell, what: str) -> None:
        """A new peer joins and sends; A's link comes up and its RX counter grows."""
        b2 = self.peer(1, "sender2")
        b2.set_forward_mode("txonly")
        b2.start_forwarding()
        a.wait_link(0, True, timeout=20)
        self._verify_rx_grows(a, what)

    def _server_restart(self, sig: int) -> None:
        a, b = self._receiver_and_sender()
        self._verify_rx_grows(a, "before the server restart")
        self.group.stop(sig)
        # The PMD takes the link down everywhere while the server is away.
        a.wait_link(0, False, timeout=10)
        b.wait_link(0, False, timeout=10)
        self.group.start()
        # Links may blink; what matters is that traffic flows again.
        a.wait_link(0, True, timeout=30)
        b.wait_link(0, True, timeout=30)
        self._verify_rx_grows(a, "after the server restart", timeout=45)
        self.verify(a.alive() and b.alive(), "a peer died during the server restart")
        for shell in (a, b):
            x = shell.show_port_xstats(0)
            self.verify(x.get("link_server_reconnect_events", 0) == 1,
                        f"{shell.name}: link_server_reconnect_events = {x.get('link_server_reconnect_events')}")

    @func_test
    def test_reconnect_after_server_restart(self) -> None:
        """Traffic resumes after the server is stopped and started again.

        Steps:
            A receives from B; stop the server (SIGTERM), start it again on
            the same socket.
        Verify:
            Both links go down while the server is away and come up again,
            A's RX counter grows without restarting either testpmd, and both
            count exactly one server reconnect.
        """
        self._server_restart(signal.SIGTERM)

    @func_test
    def test_reconnect_after_server_kill9(self) -> None:
        """Traffic resumes after the server is killed with SIGKILL and restarted.

        Steps:
            As test_reconnect_after_server_restart, with kill -9.
        Verify:
            Both links down, then up again, traffic resumes,
            link_server_reconnect_events == 1.
        """
        self._server_restart(signal.SIGKILL)

    @func_test
    def test_port_stop_delivers_frames_sent(self) -> None:
        """Stopping the sending port loses none of the frames it reported sent.

        Steps:
            B sends to A (txonly -> rxonly) for 2 s; B stops forwarding and
            then its port while A keeps polling.
        Verify:
            A received exactly B's TX-packets (B's stop waited for A to take
            the frames still in the ring), and B did not report frames left.
        """
        a, b = self._receiver_and_sender()
        time.sleep(2)
        b.stop_forwarding()
        mark = b.mark()
        b.port_stop(0)
        sent = b.show_port_stats(0).tx_packets
        a.wait_link(0, False, timeout=10)
        a.stop_forwarding()
        got = a.show_port_stats(0).rx_packets
        self.verify(sent > 0 and got == sent, f"B sent {sent} frames, A received {got}")
        self.verify("not taken by the peer" not in b.output()[mark:],
                    f"B reported frames left at stop: {b.output()[mark:][-500:]}")

    @func_test
    def test_port_stop_reports_frames_not_taken(self) -> None:
        """A port stopped while its peer does not poll says what it leaves behind.

        Steps:
            A's port is up but A does not forward; B sends (txonly) until
            its ring to A is full, then stops forwarding and its port.
        Verify:
            B's stop reports the frames A did not take, exactly B's
            TX-packets (A received none), and returns despite the idle peer.
        """
        a = self.peer(0, "receiver")
        b = self.peer(1, "sender")
        a.wait_link(0, True, timeout=20)
        b.set_forward_mode("txonly")
        b.start_forwarding()
        time.sleep(1)
        b.stop_forwarding()
        mark = b.mark()
        b.port_stop(0)
        sent = b.show_port_stats(0).tx_packets
        m = b.wait_output(r"stopped with (\d+) frames on tx queue 0 not taken by the peer",
                          timeout=10, since=mark)
        self.verify(sent > 0 and int(m.group(1)) == sent,
                    f"B sent {sent} frames and reported {m.group(1)} left")
        self.verify(a.show_port_stats(0).rx_packets == 0, "A received frames without polling")

# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Link state and reconnection of net_ivshmem2.

The link of a port follows the remote peer: down when it stops, leaves or
dies, up again when it comes back, with LSC events; after a peer or the
server restarts, traffic resumes without restarting the application.
"""

import signal
import time

from framework.ivshmem2.suite import Ivshmem2Suite
from framework.ivshmem2.traffic import start_one_way
from framework.params.testpmd import SimpleForwardingModes
from framework.remote_session.testpmd_shell import TestPmdShell
from framework.test_suite import func_test
from framework.testbed_model.capability import requires
from framework.testbed_model.topology import TopologyType

LSC_EVENT = "Port 0: link state change event"


@requires(topology_type=TopologyType.no_link)
class TestIvshmem2Link(Ivshmem2Suite):
    """Link down/up on stop/start and kill -9; reconnect after restarts."""

    def _verify_link(self, shell: TestPmdShell, up: bool, timeout: float) -> None:
        ok = (shell.wait_link_status_up(0, timeout) if up
              else shell.wait_link_status_down(0, timeout))
        self.verify(ok, f"{shell.name}: port 0 link not {'up' if up else 'down'} "
                        f"within {timeout} s")

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

    def _start_one_way(self, a: TestPmdShell, b: TestPmdShell) -> None:
        """A's link up, then B (txonly) sends to A (rxonly)."""
        self._verify_link(a, True, 20)
        start_one_way(a, b)

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
        with self.peer(0, "a") as a, self.peer(1, "b") as b:
            self._verify_link(a, True, 20)
            mark = a.mark()
            b.stop_port(0)
            self._verify_link(a, False, 10)
            a.wait_output(LSC_EVENT, timeout=10, since=mark)
            mark = a.mark()
            b.start_port(0)
            self._verify_link(a, True, 10)
            a.wait_output(LSC_EVENT, timeout=10, since=mark)
            self.verify(b.show_port_info(0).is_link_up,
                        "B's own link is not up after port start")
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
        with self.peer(0, "receiver") as a, self.peer(1, "sender") as b:
            self._start_one_way(a, b)
            self._verify_rx_grows(a, "before the kill")
            mark = a.mark()
            b.kill(signal.SIGKILL)
            self._verify_link(a, False, 10)
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
        with self.peer(0, "receiver") as a:
            with self.peer(1, "sender") as b:
                self._start_one_way(a, b)
                self._verify_rx_grows(a, "before the restart")
            # B quit when its block ended.
            self._verify_link(a, False, 10)
            self._new_sender(a, "after the peer restart")

    def _new_sender(self, a: TestPmdShell, what: str) -> None:
        """A new peer joins and sends; A's link comes up and its RX counter grows."""
        with self.peer(1, "sender2") as b2:
            b2.set_forward_mode(SimpleForwardingModes.txonly)
            b2.start()
            self._verify_link(a, True, 20)
            self._verify_rx_grows(a, what)

    def _server_restart(self, sig: int) -> None:
        with self.peer(0, "receiver") as a, self.peer(1, "sender") as b:
            self._start_one_way(a, b)
            self._verify_rx_grows(a, "before the server restart")
            self.group.stop(sig)
            # The PMD takes the link down everywhere while the server is away.
            self._verify_link(a, False, 10)
            self._verify_link(b, False, 10)
            self.group.start()
            # Links may blink; what matters is that traffic flows again.
            self._verify_link(a, True, 30)
            self._verify_link(b, True, 30)
            self._verify_rx_grows(a, "after the server restart", timeout=45)
            self.verify(a.alive() and b.alive(), "a peer died during the server restart")
            for shell in (a, b):
                x = shell.show_port_xstats(0)
                self.verify(x.get("link_server_reconnect_events", 0) == 1,
                            f"{shell.name}: link_server_reconnect_events = "
                            f"{x.get('link_server_reconnect_events')}")

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
        with self.peer(0, "receiver") as a, self.peer(1, "sender") as b:
            self._start_one_way(a, b)
            time.sleep(2)
            b.stop()
            mark = b.mark()
            b.stop_port(0)
            sent = b.show_port_stats(0).tx_packets
            self._verify_link(a, False, 10)
            a.stop()
            got = a.show_port_stats(0).rx_packets
            left = b.output()[mark:]
        self.verify(sent > 0 and got == sent, f"B sent {sent} frames, A received {got}")
        self.verify("not taken by the peer" not in left,
                    f"B reported frames left at stop: {left[-500:]}")

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
        with self.peer(0, "receiver") as a, self.peer(1, "sender") as b:
            self._verify_link(a, True, 20)
            b.set_forward_mode(SimpleForwardingModes.txonly)
            b.start()
            time.sleep(1)
            b.stop()
            mark = b.mark()
            b.stop_port(0)
            sent = b.show_port_stats(0).tx_packets
            m = b.wait_output(r"stopped with (\d+) frames on tx queue 0 not taken by the peer",
                              timeout=10, since=mark)
            self.verify(sent > 0 and int(m.group(1)) == sent,
                        f"B sent {sent} frames and reported {m.group(1)} left")
            self.verify(a.show_port_stats(0).rx_packets == 0,
                        "A received frames without polling")

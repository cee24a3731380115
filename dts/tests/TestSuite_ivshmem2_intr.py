# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""RX interrupt mode of net_ivshmem2 with the stock l3fwd-power example.

l3fwd-power --interrupt-only enables the queue interrupt, sleeps in epoll
when the queue is empty and wakes on traffic. An idle receiver must then
use (almost) no CPU, and frames from the peer must wake it.
"""

import time

from framework.ivshmem2.examples import build_example
from framework.ivshmem2.suite import Ivshmem2Suite
from framework.params.testpmd import SimpleForwardingModes
from framework.remote_session.blocking_app import BlockingApp, BlockingAppError
from framework.test_suite import func_test
from framework.testbed_model.capability import requires
from framework.testbed_model.node import cpu_seconds
from framework.testbed_model.topology import TopologyType

IDLE_SECONDS = 4.0
# A polling lcore burns ~IDLE_SECONDS of CPU; a sleeping one a few ms.
IDLE_CPU_LIMIT = 0.25
SLEEP_LOG = r"lcore \d+ sleeps until interrupt triggers"
WAKE_LOG = r"lcore \d+ is waked up from rx interrupt"


@requires(topology_type=TopologyType.no_link)
class TestIvshmem2Intr(Ivshmem2Suite):
    """An idle interrupt-mode receiver sleeps; traffic wakes it."""

    def set_up_suite(self) -> None:
        self.l3fwd_power = build_example("l3fwd-power")

    def _l3fwd_power(self) -> BlockingApp:
        """l3fwd-power --interrupt-only on one lcore, port 0 on this case's group."""
        node = self.sut_node
        core = node.config.lcores[0]
        eal = node.eal_args(node.file_prefix("l3fwd-power"), [self.group.vdev()],
                            lcores=["-l", str(core)])
        # l3fwd-power logs as USER1 at INFO; only the global level reaches it in 22.11.
        eal += ["--log-level=7"]
        return BlockingApp(node, self.l3fwd_power, "l3fwd-power",
                           [*eal, "--", "-p", "0x1", f"--config=(0,0,{core})",
                            "--interrupt-only", "--parse-ptype"],
                           command_prefix=["stdbuf", "-oL", "-eL"])

    def _wait_log(self, app: BlockingApp, pattern: str, timeout: float, since: int = 0) -> None:
        try:
            app.wait_output(pattern, timeout, since)
        except BlockingAppError as e:
            self.verify(False, str(e))

    def _idle_cpu(self, pid: int) -> float:
        before = cpu_seconds(pid)
        time.sleep(IDLE_SECONDS)
        return cpu_seconds(pid) - before

    @func_test
    def test_idle_receiver_sleeps_and_traffic_wakes_it(self) -> None:
        """Interrupt mode: no CPU while idle, woken by frames, asleep again after.

        Steps:
            Start l3fwd-power --interrupt-only on net_ivshmem2 and an idle
            testpmd peer; measure l3fwd-power's CPU time over 4 s; start
            txonly on the peer for 2 s; stop it and measure again.
        Verify:
            Its idle CPU time is below 0.25 s per 4 s (a polling lcore
            uses ~4 s); traffic makes it log a wake-up from an rx interrupt
            and then that it sleeps again; after the traffic stops its CPU
            time stays under the same bound. The peer rang doorbells: the
            sleeping receiver asked for them.
        """
        with self._l3fwd_power() as l3, self.peer(1, "intr-peer") as peer:
            self.verify(peer.wait_link_status_up(0, timeout=30),
                        f"{peer.name}: port 0 link not up within 30 s")
            self._wait_log(l3, r"Link up", timeout=60)
            time.sleep(1)
            idle = self._idle_cpu(l3.pid)
            self.verify(idle < IDLE_CPU_LIMIT,
                        f"idle l3fwd-power used {idle:.2f} s CPU in {IDLE_SECONDS} s")
            mark = len(l3.output())
            peer.set_forward_mode(SimpleForwardingModes.txonly)
            peer.start()
            time.sleep(2)
            peer.stop()
            self._wait_log(l3, WAKE_LOG, timeout=10, since=mark)
            self._wait_log(l3, SLEEP_LOG, timeout=10, since=mark)
            stats = peer.show_port_stats(0)
            self.verify(stats.tx_packets > 0, "the peer sent nothing")
            doorbells = peer.show_port_xstats(0).get("tx_doorbell_notifications", 0)
            self.verify(doorbells > 0, "the peer rang no doorbell for the sleeping receiver")
            time.sleep(2)
            idle = self._idle_cpu(l3.pid)
            self.verify(idle < IDLE_CPU_LIMIT,
                        f"l3fwd-power used {idle:.2f} s CPU in {IDLE_SECONDS} s after the traffic")

    @func_test
    def test_idle_polling_receiver_burns_cpu(self) -> None:
        """Control case: the CPU measurement sees a polling receiver.

        Steps:
            Run testpmd rxonly (polling) on net_ivshmem2 with an idle peer
            and measure its CPU time over 4 s.
        Verify:
            It used more than 1 s CPU, so the bound of the interrupt case
            is meaningful.
        """
        with self.peer(0, "poll-a") as a, self.peer(1, "poll-b"):
            a.set_forward_mode(SimpleForwardingModes.rxonly)
            a.start()
            used = self._idle_cpu(a.pid)
        self.verify(used > 1.0, f"polling testpmd used only {used:.2f} s CPU in {IDLE_SECONDS} s")

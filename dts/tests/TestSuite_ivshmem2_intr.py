# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""RX interrupt mode of net_ivshmem2 with the stock l3fwd-power example.

l3fwd-power --interrupt-only enables the queue interrupt, sleeps in epoll
when the queue is empty and wakes on traffic. An idle receiver must then
use (almost) no CPU, and frames from the peer must wake it.
"""

import subprocess
import time

from framework.examples import build_example
from framework.ivshmem2_suite import Ivshmem2Suite
from framework.node import cpu_seconds
from framework.test_suite import func_test

IDLE_SECONDS = 4.0
# A polling lcore burns ~IDLE_SECONDS of CPU; a sleeping one a few ms.
IDLE_CPU_LIMIT = 0.25
SLEEP_LOG = r"lcore \d+ sleeps until interrupt triggers"
WAKE_LOG = r"lcore \d+ is waked up from rx interrupt"


class TestIvshmem2Intr(Ivshmem2Suite):
    """An idle interrupt-mode receiver sleeps; traffic wakes it."""

    def set_up_suite(self) -> None:
        self.l3fwd_power = build_example("l3fwd-power")

    def _start_l3fwd_power(self) -> subprocess.Popen:
        node = self.sut_node
        core = node.config.lcores[0]
        eal = node.eal_args(node.file_prefix("l3fwd-power"), [self.group.vdev()],
                            lcores=["-l", str(core)])
        # l3fwd-power logs as USER1 at INFO; only the global level reaches it in 22.11.
        eal += ["--log-level=7"]
        cmd = ["stdbuf", "-oL", "-eL", str(self.l3fwd_power), *eal, "--", "-p", "0x1",
               f"--config=(0,0,{core})", "--interrupt-only", "--parse-ptype"]
        self.log_path = node.workdir / "l3fwd-power.log"
        log = open(self.log_path, "wb")
        proc = node.track(subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                                           stderr=subprocess.STDOUT, start_new_session=True))
        log.close()
        return proc

    def _log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def _wait_log(self, proc: subprocess.Popen, pattern: str, timeout: float, since: int = 0):
        import re

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = re.search(pattern, self._log()[since:])
            if m:
                return m
            self.verify(proc.poll() is None,
                        f"l3fwd-power exited ({proc.returncode}):\n{self._log()[-3000:]}")
            time.sleep(0.2)
        self.verify(False, f"no {pattern!r} from l3fwd-power in {timeout} s:\n"
                    f"{self._log()[-3000:]}")

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
        l3 = self._start_l3fwd_power()
        peer = self.peer(1, "intr-peer")
        peer.wait_link(0, True, timeout=30)
        self._wait_log(l3, r"Link up", timeout=60)
        time.sleep(1)
        idle = self._idle_cpu(l3.pid)
        self.verify(idle < IDLE_CPU_LIMIT,
                    f"idle l3fwd-power used {idle:.2f} s CPU in {IDLE_SECONDS} s")
        mark = len(self._log())
        peer.set_forward_mode("txonly")
        peer.start_forwarding()
        time.sleep(2)
        peer.stop_forwarding()
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
        a = self.peer(0, "poll-a")
        self.peer(1, "poll-b")
        a.set_forward_mode("rxonly")
        a.start_forwarding()
        used = self._idle_cpu(a.pid)
        self.verify(used > 1.0, f"polling testpmd used only {used:.2f} s CPU in {IDLE_SECONDS} s")

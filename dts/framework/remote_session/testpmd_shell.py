# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Drive stock dpdk-testpmd interactively over pipes and parse its answers.

    vdev = VirtualDevice("net_ivshmem20,socket=/run/iv2.sock")
    with TestPmdShell(node, vdevs=[vdev], rx_queues=2, tx_queues=2) as testpmd:
        testpmd.wait_link_status_up(0)                  # True when up in time
        testpmd.set_forward_mode(SimpleForwardingModes.rxonly)
        testpmd.start()
        stats = testpmd.show_port_stats(0)              # a TestPmdPortStats
        testpmd.stop()
    # quit when the block is left

As upstream, the constructor only prepares the command; start_application()
(or entering the with block) starts testpmd and waits for its prompt, and
close() (or leaving the block) quits it. Every shell is also registered with
its SutNode, whose kill_all() ends it after the case even if it failed.

testpmd's stdout is made line-buffered with stdbuf so answers arrive at
once; a reader thread feeds everything to an OutputParser
(testpmd_output.py), which takes asynchronous event lines such as
"Port 0: link state change event" out of the answers, even when they split
the prompt, and keeps them in events(); output() is the whole raw log.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

from framework.exception import ShellError
from framework.params.testpmd import SimpleForwardingModes, TestPmdParams
from framework.remote_session.testpmd_output import OutputParser
from framework.testbed_model.node import SutNode, cpu_seconds
from framework.testbed_model.virtual_device import VirtualDevice


@dataclass
class TestPmdPortStats:
    """`show port stats N`."""

    port_id: int
    rx_packets: int
    rx_missed: int
    rx_bytes: int
    rx_errors: int
    rx_nombuf: int
    tx_packets: int
    tx_errors: int
    tx_bytes: int
    rx_pps: int
    tx_pps: int
    rx_bps: int
    tx_bps: int


@dataclass
class TestPmdPort:
    """`show port info N`, the fields the suites use plus all raw key/values."""

    id: int
    device_name: str
    driver_name: str
    mac_address: str
    is_link_up: bool
    link_speed: str
    mtu: int
    nb_rx_queues: int
    nb_tx_queues: int
    max_rx_queues: int
    max_tx_queues: int
    raw: Dict[str, str]


def _int(text: str, key: str, default: int = 0) -> int:
    m = re.search(re.escape(key) + r":\s*(\d+)", text)
    return int(m.group(1)) if m else default


class TestPmdShell:
    """One interactive dpdk-testpmd process (a context manager).

    @vdevs become --vdev options; @slot picks the lcore layout (see
    SutNode.lcore_args) so two shells forward on different cores;
    @load_pmd adds -d with the net_ivshmem2 plugin; @eal_args are further EAL
    options; @app_params (a TestPmdParams) or keyword arguments naming its
    fields (rx_queues=2, max_pkt_len=9014, ...) are testpmd's own options.
    """

    __test__ = False  # not a pytest class despite its name

    def __init__(self, node: SutNode, vdevs: Sequence[VirtualDevice] = (), *,
                 name: str = "testpmd", slot: int = 0, load_pmd: bool = True,
                 eal_args: Sequence[str] = (), timeout: Optional[float] = None,
                 app_params: Optional[TestPmdParams] = None, **params: object):
        self.node = node
        self.name = name
        self.timeout = timeout or node.config.command_timeout
        self.prefix = node.file_prefix(name)
        if app_params is None:
            app_params = TestPmdParams(**params)  # type: ignore[arg-type]
        elif params:
            raise TypeError("give app_params or keyword parameters, not both")
        if app_params.total_num_mbufs is None:
            app_params.total_num_mbufs = node.config.mbufs
        self.app_params = app_params
        eal = node.eal_args(self.prefix, vdevs, slot=slot, load_pmd=load_pmd) + list(eal_args)
        self.command = ["stdbuf", "-oL", "-eL", node.testpmd_path, *eal, "--",
                        *app_params.to_args()]
        self.proc: Optional[subprocess.Popen] = None
        self._out = OutputParser()
        self._cond = threading.Condition()
        self._reader: Optional[threading.Thread] = None

    # --- process ---
    def start_application(self) -> "TestPmdShell":
        """Start testpmd and wait for its first prompt (once)."""
        if self.proc is not None:
            return self
        self.proc = self.node.track(subprocess.Popen(
            self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, start_new_session=True))
        self.node.on_cleanup(self.close)
        self._reader = threading.Thread(target=self._read_loop, daemon=True)
        self._reader.start()
        self._wait_prompt(self.node.config.startup_timeout, what="start-up")
        return self

    def _read_loop(self) -> None:
        assert self.proc and self.proc.stdout
        fd = self.proc.stdout.fileno()
        while True:
            try:
                data = os.read(fd, 65536)
            except OSError:
                data = b""
            with self._cond:
                if not data:
                    self._cond.notify_all()
                    return
                self._out.feed(data.decode(errors="replace"))
                self._cond.notify_all()

    @property
    def pid(self) -> int:
        assert self.proc
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def output(self) -> str:
        """Everything testpmd printed so far."""
        with self._cond:
            return self._out.log

    def events(self) -> List[str]:
        """Asynchronous event lines so far ("Port 0: link state change event")."""
        with self._cond:
            return list(self._out.events)

    def _tail(self, n: int = 3000) -> str:
        return self.output()[-n:]

    def _wait_prompt(self, timeout: float, what: str) -> str:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                out = self._out.take_answer()
                if out is not None:
                    return out
                if self.proc.poll() is not None and (self._reader is None
                                                     or not self._reader.is_alive()):
                    raise ShellError(f"{self.name} exited ({self.proc.returncode}) during "
                                     f"{what}:\n{self._out.log[-3000:]}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise ShellError(f"{self.name}: no prompt within {timeout} s after "
                                     f"{what}:\n{self._out.log[-3000:]}")
                self._cond.wait(min(left, 0.5))

    def send_command(self, command: str, timeout: Optional[float] = None) -> str:
        """Send one command line; return what testpmd printed before the next prompt."""
        if not self.alive():
            raise ShellError(f"{self.name} is not running:\n{self._tail()}")
        assert self.proc and self.proc.stdin
        try:
            self.proc.stdin.write((command + "\n").encode())
            self.proc.stdin.flush()
        except BrokenPipeError:
            raise ShellError(f"{self.name} closed its input:\n{self._tail()}") from None
        out = self._wait_prompt(timeout or self.timeout, what=repr(command))
        # Drop the echo of the command line itself.
        first, _, rest = out.partition("\n")
        return rest if command.strip() in first else out

    def wait_output(self, pattern: str, timeout: float, since: int = 0) -> re.Match:
        """Wait until regex @pattern appears in the output after offset @since."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                m = rx.search(self._out.log, since)
                if m:
                    return m
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self._reader.is_alive()):
                    raise ShellError(f"{self.name}: no {pattern!r} within {timeout} s:\n"
                                     f"{self._out.log[-3000:]}")
                self._cond.wait(min(left, 0.5))

    def mark(self) -> int:
        """An output offset to pass as @since to wait_output()."""
        with self._cond:
            return len(self._out.log)

    def cpu_seconds(self) -> float:
        """CPU time testpmd used so far (all threads)."""
        return cpu_seconds(self.pid)

    # --- forwarding ---
    def set_forward_mode(self, mode: SimpleForwardingModes, verify: bool = True) -> None:
        """`set fwd <mode>`; with @verify, fail unless testpmd confirms it."""
        mode = SimpleForwardingModes(mode)
        out = self.send_command(f"set fwd {mode.value}")
        if verify and f"Set {mode.value} packet forwarding mode" not in out:
            raise ShellError(f"{self.name}: set fwd {mode.value}: {out}")

    def start(self, verify: bool = True) -> str:
        """`start` forwarding; with @verify, fail if testpmd did not start it.

        Unlike upstream, this does not wait for the links: a net_ivshmem2
        port may forward before its peer joins (the suites wait explicitly).
        """
        return self._start("start", verify)

    def start_tx_first(self, burst_num: int, verify: bool = True) -> str:
        """`start tx_first <burst_num>`: send @burst_num bursts, then forward."""
        return self._start(f"start tx_first {burst_num}", verify)

    def _start(self, cmd: str, verify: bool) -> str:
        out = self.send_command(cmd)
        if verify and ("Packet forwarding already started" in out
                       or "Not all ports were started" in out):
            raise ShellError(f"{self.name}: {cmd}: {out}")
        return out

    def stop(self, verify: bool = True) -> str:
        """`stop` forwarding; returns the forward statistics it prints."""
        out = self.send_command("stop")
        if verify and "Packet forwarding not started" in out:
            raise ShellError(f"{self.name}: stop: forwarding was not started")
        return out

    # --- statistics and port information ---
    def clear_port_stats(self, port_id: int, verify: bool = True) -> None:
        out = self.send_command(f"clear port stats {port_id}")
        if verify and "NIC statistics for port" not in out:
            raise ShellError(f"{self.name}: clear port stats {port_id}: {out}")

    def clear_port_stats_all(self) -> None:
        self.send_command("clear port stats all")

    def show_port_stats(self, port_id: int) -> TestPmdPortStats:
        out = self.send_command(f"show port stats {port_id}")
        if "NIC statistics for port" not in out:
            raise ShellError(f"{self.name}: show port stats {port_id}: {out}")
        return TestPmdPortStats(
            port_id=port_id, rx_packets=_int(out, "RX-packets"),
            rx_missed=_int(out, "RX-missed"), rx_bytes=_int(out, "RX-bytes"),
            rx_errors=_int(out, "RX-errors"), rx_nombuf=_int(out, "RX-nombuf"),
            tx_packets=_int(out, "TX-packets"), tx_errors=_int(out, "TX-errors"),
            tx_bytes=_int(out, "TX-bytes"), rx_pps=_int(out, "Rx-pps"),
            tx_pps=_int(out, "Tx-pps"), rx_bps=_int(out, "Rx-bps"), tx_bps=_int(out, "Tx-bps"))

    def show_port_info(self, port_id: int) -> TestPmdPort:
        out = self.send_command(f"show port info {port_id}")
        if "Infos for port" not in out:
            raise ShellError(f"{self.name}: show port info {port_id}: {out}")
        raw: Dict[str, str] = {}
        for line in out.splitlines():
            key, sep, val = line.partition(":")
            if sep and key.strip() and key.strip() not in raw:
                raw[key.strip()] = val.strip()
        return TestPmdPort(
            id=port_id, device_name=raw.get("Device name", ""),
            driver_name=raw.get("Driver name", ""), mac_address=raw.get("MAC address", ""),
            is_link_up=raw.get("Link status", "") == "up", link_speed=raw.get("Link speed", ""),
            mtu=_int(out, "MTU"), nb_rx_queues=_int(out, "Current number of RX queues"),
            nb_tx_queues=_int(out, "Current number of TX queues"),
            max_rx_queues=_int(out, "Max possible RX queues"),
            max_tx_queues=_int(out, "Max possible TX queues"), raw=raw)

    def show_port_xstats(self, port_id: int) -> Dict[str, int]:
        """`show port xstats N` as {name: value}."""
        out = self.send_command(f"show port xstats {port_id}")
        return {m.group(1): int(m.group(2))
                for m in re.finditer(r"^\s*(\w[\w\-\.]*):\s+(\d+)\s*$", out, re.M)}

    def number_of_ports(self) -> int:
        """`show port summary all`: how many ports testpmd has."""
        out = self.send_command("show port summary all")
        m = re.search(r"Number of available ports:\s*(\d+)", out)
        if not m:
            raise ShellError(f"{self.name}: show port summary all: {out}")
        return int(m.group(1))

    def forward_stream_stats(self, stop_output: str) -> Dict[str, int]:
        """RX-packets per "RX Port= P/Queue= Q" stream from stop()'s output
        (testpmd prints them when a port has several streams)."""
        stats: Dict[str, int] = {}
        for m in re.finditer(r"RX Port=\s*(\d+)/Queue=\s*(\d+)\s*->\s*TX Port=\s*\d+/Queue=\s*\d+"
                             r"\s*-+\s*\n\s*RX-packets:\s*(\d+)", stop_output):
            stats[f"{m.group(1)}/{m.group(2)}"] = int(m.group(3))
        return stats

    # --- links ---
    def _wait_link_status(self, port_id: int, up: bool, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            if self.show_port_info(port_id).is_link_up == up:
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.2)

    def wait_link_status_up(self, port_id: int, timeout: float = 20.0) -> bool:
        """Poll `show port info` until the link of @port_id is up; False on timeout."""
        return self._wait_link_status(port_id, True, timeout)

    def wait_link_status_down(self, port_id: int, timeout: float = 20.0) -> bool:
        """Poll until the link of @port_id is down; False on timeout."""
        return self._wait_link_status(port_id, False, timeout)

    # --- port control ---
    def stop_port(self, port_id: int) -> str:
        return self.send_command(f"port stop {port_id}")

    def start_port(self, port_id: int) -> str:
        return self.send_command(f"port start {port_id}", timeout=max(self.timeout, 60))

    def stop_all_ports(self) -> str:
        return self.send_command("port stop all")

    def start_all_ports(self) -> str:
        return self.send_command("port start all", timeout=max(self.timeout, 60))

    def set_port_mtu(self, port_id: int, mtu: int, verify: bool = True) -> str:
        """Stop @port_id, `port config mtu`, start it again; with @verify,
        fail unless show port info then reports @mtu."""
        self.stop_port(port_id)
        out = self.send_command(f"port config mtu {port_id} {mtu}")
        self.start_port(port_id)
        if verify and self.show_port_info(port_id).mtu != mtu:
            raise ShellError(f"{self.name}: port {port_id} MTU not {mtu}: {out}")
        return out

    # --- shutdown ---
    def close(self, timeout: float = 30.0) -> Optional[int]:
        """`quit`, then wait (SIGKILL if testpmd hangs); idempotent.
        Returns the exit status (None if never started)."""
        if self.proc is None:
            return None
        if self.alive():
            try:
                assert self.proc.stdin
                self.proc.stdin.write(b"quit\n")
                self.proc.stdin.flush()
            except (BrokenPipeError, ValueError):
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.proc.stdin:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        return self.proc.returncode

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Send @sig (default: kill -9) and, for fatal signals, reap the process."""
        if self.alive():
            self.proc.send_signal(sig)
            if sig in (signal.SIGKILL, signal.SIGTERM, signal.SIGINT):
                try:
                    self.proc.wait(30)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()

    def __enter__(self) -> "TestPmdShell":
        return self.start_application()

    def __exit__(self, *exc) -> None:
        self.close()


def run_testpmd_once(node: SutNode, vdevs: Sequence[VirtualDevice], *,
                     app_params: Optional[TestPmdParams] = None, timeout: float = 90.0,
                     name: str = "testpmd-once") -> "subprocess.CompletedProcess[str]":
    """Run testpmd non-interactively with stdin at EOF: it probes, starts
    and exits at once (or fails at probe). For checking start-up errors."""
    params = app_params or TestPmdParams(interactive_mode=False)
    if params.total_num_mbufs is None:
        params.total_num_mbufs = node.config.mbufs
    prefix = node.file_prefix(name)
    cmd = [node.testpmd_path, *node.eal_args(prefix, vdevs), "--", *params.to_args()]
    return subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=timeout, check=False)

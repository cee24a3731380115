# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Drive stock dpdk-testpmd interactively over pipes and parse its answers.

    vdev = VirtualDevice("net_ivshmem2", {"socket": "/run/iv2.sock"})
    with TestPmdShell(node, vdevs=[vdev]) as pmd:     # started: at the prompt
        pmd.wait_link(0)
        pmd.set_forward_mode("rxonly")
        pmd.start_forwarding()
        stats = pmd.show_port_stats(0)               # a PortStats
        pmd.stop_forwarding()

testpmd's stdout is made line-buffered with stdbuf so answers arrive at
once; a reader thread feeds everything to an OutputParser
(framework/testpmd_output.py), which takes asynchronous event lines such as
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
from framework.node import SutNode, cpu_seconds
from framework.testpmd_output import OutputParser
from framework.virtual_device import VirtualDevice


@dataclass
class PortStats:
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
class PortInfo:
    """`show port info N`, the fields the suites use plus all raw key/values."""

    port_id: int
    device_name: str
    driver_name: str
    mac_address: str
    link_up: bool
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

    @slot picks the lcore layout (see SutNode.lcore_args) so two shells
    forward on different cores; @app_args go after "--" next to "-i".
    """

    __test__ = False  # not a pytest class despite its name

    def __init__(self, node: SutNode, vdevs: Sequence[VirtualDevice] = (), *,
                 app_args: Sequence[str] = (), slot: int = 0, name: str = "testpmd",
                 load_pmd: bool = True, eal_args: Sequence[str] = (),
                 timeout: Optional[float] = None, start: bool = True):
        self.node = node
        self.name = name
        self.timeout = timeout or node.config.command_timeout
        self.prefix = node.file_prefix(name)
        eal = node.eal_args(self.prefix, vdevs, slot=slot, load_pmd=load_pmd) + list(eal_args)
        app = ["-i", "--total-num-mbufs", str(node.config.mbufs)] + list(app_args)
        self.command = ["stdbuf", "-oL", "-eL", node.testpmd_path, *eal, "--", *app]
        self.proc: Optional[subprocess.Popen] = None
        self._out = OutputParser()
        self._cond = threading.Condition()
        self._reader: Optional[threading.Thread] = None
        if start:
            self.start()

    # --- process ---
    def start(self) -> "TestPmdShell":
        """Start testpmd and wait for its first prompt."""
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

    # --- commands ---
    def set_forward_mode(self, mode: str) -> None:
        out = self.send_command(f"set fwd {mode}")
        if "Set " not in out and "set" not in out.lower():
            raise ShellError(f"set fwd {mode}: {out}")

    def start_forwarding(self, tx_first: Optional[int] = None) -> str:
        """`start` or `start tx_first N`."""
        cmd = "start" if tx_first is None else f"start tx_first {tx_first}"
        out = self.send_command(cmd)
        if "Packet forwarding already started" in out:
            raise ShellError(f"{self.name}: {cmd}: {out}")
        return out

    def stop_forwarding(self) -> str:
        """`stop`; returns the forward statistics it prints."""
        return self.send_command("stop")

    def clear_port_stats(self, port: Optional[int] = None) -> None:
        self.send_command("clear port stats " + ("all" if port is None else str(port)))

    def show_port_stats(self, port: int) -> PortStats:
        out = self.send_command(f"show port stats {port}")
        if "NIC statistics for port" not in out:
            raise ShellError(f"{self.name}: show port stats {port}: {out}")
        return PortStats(
            port_id=port, rx_packets=_int(out, "RX-packets"), rx_missed=_int(out, "RX-missed"),
            rx_bytes=_int(out, "RX-bytes"), rx_errors=_int(out, "RX-errors"),
            rx_nombuf=_int(out, "RX-nombuf"), tx_packets=_int(out, "TX-packets"),
            tx_errors=_int(out, "TX-errors"), tx_bytes=_int(out, "TX-bytes"),
            rx_pps=_int(out, "Rx-pps"), tx_pps=_int(out, "Tx-pps"), rx_bps=_int(out, "Rx-bps"),
            tx_bps=_int(out, "Tx-bps"))

    def show_port_info(self, port: int) -> PortInfo:
        out = self.send_command(f"show port info {port}")
        if "Infos for port" not in out:
            raise ShellError(f"{self.name}: show port info {port}: {out}")
        raw: Dict[str, str] = {}
        for line in out.splitlines():
            key, sep, val = line.partition(":")
            if sep and key.strip() and key.strip() not in raw:
                raw[key.strip()] = val.strip()
        return PortInfo(
            port_id=port, device_name=raw.get("Device name", ""),
            driver_name=raw.get("Driver name", ""), mac_address=raw.get("MAC address", ""),
            link_up=raw.get("Link status", "") == "up", link_speed=raw.get("Link speed", ""),
            mtu=_int(out, "MTU"), nb_rx_queues=_int(out, "Current number of RX queues"),
            nb_tx_queues=_int(out, "Current number of TX queues"),
            max_rx_queues=_int(out, "Max possible RX queues"),
            max_tx_queues=_int(out, "Max possible TX queues"), raw=raw)

    def show_port_xstats(self, port: int) -> Dict[str, int]:
        out = self.send_command(f"show port xstats {port}")
        return {m.group(1): int(m.group(2))
                for m in re.finditer(r"^\s*(\w[\w\-\.]*):\s+(\d+)\s*$", out, re.M)}

    def number_of_ports(self) -> int:
        out = self.send_command("show port summary all")
        m = re.search(r"Number of available ports:\s*(\d+)", out)
        if not m:
            raise ShellError(f"{self.name}: show port summary all: {out}")
        return int(m.group(1))

    def link_up(self, port: int) -> bool:
        return self.show_port_info(port).link_up

    def wait_link(self, port: int, up: bool = True, timeout: float = 20.0) -> float:
        """Poll until the link of @port is @up; returns the seconds it took."""
        start = time.monotonic()
        while True:
            if self.link_up(port) == up:
                return time.monotonic() - start
            if time.monotonic() - start > timeout:
                raise ShellError(f"{self.name}: port {port} link not "
                                 f"{'up' if up else 'down'} within {timeout} s")
            time.sleep(0.2)

    def port_stop(self, port: object = "all") -> str:
        return self.send_command(f"port stop {port}")

    def port_start(self, port: object = "all") -> str:
        return self.send_command(f"port start {port}", timeout=max(self.timeout, 60))

    def forward_stream_stats(self, stop_output: str) -> Dict[str, int]:
        """RX-packets per "RX Port= P/Queue= Q" stream from `stop` output
        (testpmd prints them when a port has several streams)."""
        stats: Dict[str, int] = {}
        for m in re.finditer(r"RX Port=\s*(\d+)/Queue=\s*(\d+)\s*->\s*TX Port=\s*\d+/Queue=\s*\d+"
                             r"\s*-+\s*\n\s*RX-packets:\s*(\d+)", stop_output):
            stats[f"{m.group(1)}/{m.group(2)}"] = int(m.group(3))
        return stats

    # --- shutdown ---
    def quit(self, timeout: float = 30.0) -> Optional[int]:
        """`quit`, then wait; SIGKILL if testpmd hangs. Returns the exit status."""
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

    def close(self) -> None:
        """Quit gracefully if possible, otherwise kill; idempotent."""
        if self.alive():
            self.quit(timeout=20)
        if self.proc and self.proc.stdin:
            try:
                self.proc.stdin.close()
            except OSError:
                pass

    def __enter__(self) -> "TestPmdShell":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def start_one_way(receiver: TestPmdShell, sender: TestPmdShell) -> None:
    """Receiver in rxonly, sender in txonly, both forwarding."""
    receiver.set_forward_mode("rxonly")
    sender.set_forward_mode("txonly")
    receiver.start_forwarding()
    sender.start_forwarding()


def stop_one_way(receiver: TestPmdShell, sender: TestPmdShell, settle: float = 0.5) -> str:
    """Stop the sender, let frames in flight arrive, stop the receiver;
    returns the receiver's `stop` output (forward statistics)."""
    sender.stop_forwarding()
    time.sleep(settle)
    return receiver.stop_forwarding()


def run_one_way(receiver: TestPmdShell, sender: TestPmdShell, seconds: float) -> str:
    """txonly -> rxonly for @seconds; returns the receiver's `stop` output."""
    start_one_way(receiver, sender)
    time.sleep(seconds)
    return stop_one_way(receiver, sender)


def run_testpmd_once(node: SutNode, vdevs: Sequence[VirtualDevice], *,
                     app_args: Sequence[str] = (), timeout: float = 90.0,
                     name: str = "testpmd-once") -> "subprocess.CompletedProcess[str]":
    """Run testpmd non-interactively with stdin at EOF: it probes, starts
    and exits at once (or fails at probe). For checking start-up errors."""
    prefix = node.file_prefix(name)
    cmd = [node.testpmd_path, *node.eal_args(prefix, vdevs), "--",
           "--total-num-mbufs", str(node.config.mbufs), *app_args]
    return subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=timeout, check=False)

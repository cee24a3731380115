# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Minimal drivers for the PMD's own smoke tests: server and interactive testpmd."""

import os
import re
import select
import signal
import subprocess
import time
from pathlib import Path

TESTPMD = "dpdk-testpmd"
PROMPT = "testpmd> "


class Server:
    """ivshmem2-server in the foreground for one test."""

    def __init__(self, binary: Path, sock: Path, size="16M", out="4M", peers=2, vectors=4,
                 protocol=0x4932):
        self.sock = sock
        self.args = [str(binary), "-F", "-S", str(sock), "-l", size, "-o", out,
                     "-n", str(peers), "-V", str(vectors), "-P", hex(protocol)]
        self.proc = None
        self.start()

    def start(self):
        if self.sock.exists():
            self.sock.unlink()
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True)
        deadline = time.time() + 20
        while not self.sock.exists():
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("server did not start: " + (self.proc.stdout.read() or ""))
            time.sleep(0.05)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


class TestpmdShell:
    __test__ = False

    """An interactive dpdk-testpmd with one net_ivshmem2 vdev."""

    def __init__(self, pmd: Path, prefix: str, devargs: str, lcores="0,1", extra=(),
                 eal_extra=()):
        # stdout is a pipe: unbuffer it so that command output precedes the prompt.
        self.cmd = ["stdbuf", "-o0", TESTPMD, "--no-huge", "-m", "512", "--no-pci", "--file-prefix", prefix,
                    "-d", str(pmd), "--vdev", devargs, "--log-level=pmd.net.ivshmem2:info",
                    *eal_extra]
        self.cmd += (["--lcores", lcores] if "@" in lcores else ["-l", lcores])
        self.cmd += ["--", "-i", "--total-num-mbufs", "16384", *extra]
        self.out = ""
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, bufsize=0)
        self.expect(PROMPT, 60)

    def _read(self, timeout):
        r, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not r:
            return ""
        data = os.read(self.proc.stdout.fileno(), 65536).decode(errors="replace")
        if data == "":
            raise EOFError("testpmd exited:\n" + self.out[-3000:])
        self.out += data
        return data

    def expect(self, text, timeout=30):
        start = len(self.out)
        deadline = time.time() + timeout
        while text not in self.out[start:]:
            if time.time() > deadline:
                raise TimeoutError(f"no {text!r} from testpmd:\n" + self.out[-3000:])
            self._read(0.2)
        return self.out[start:]

    def cmdline(self, line, timeout=30):
        """Run one command, return its output up to the prompt after it.

        testpmd reprints its prompt after asynchronous events, so wait for the
        command's echo, then for a prompt that ends the output and stays quiet.
        """
        start = len(self.out)
        self.proc.stdin.write((line + "\n").encode())
        deadline = time.time() + timeout
        while True:
            text = self.out[start:]
            echo = text.find(line)
            if echo >= 0 and text.rfind(PROMPT) > echo and self._read(0.15) == "":
                return self.out[start:]
            if time.time() > deadline:
                raise TimeoutError(f"{line!r}: no prompt from testpmd:\n" + self.out[-3000:])
            self._read(0.2)

    def stats(self, port=0):
        out = self.cmdline(f"show port stats {port}")
        rx = int(re.search(r"RX-packets:\s+(\d+)", out).group(1))
        tx = int(re.search(r"TX-packets:\s+(\d+)", out).group(1))
        return rx, tx

    def xstats(self, port=0):
        out = self.cmdline(f"show port xstats {port}")
        return {k: int(v) for k, v in re.findall(r"^(\w+):\s+(\d+)\s*$", out, re.M)}

    def link_up(self, port=0):
        out = self.cmdline(f"show port info {port}")
        return re.search(r"Link status:\s+up", out) is not None

    def wait_link(self, up=True, port=0, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.link_up(port) == up:
                return True
            time.sleep(0.2)
        return False

    def kill(self, sig=signal.SIGKILL):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def quit(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write(b"quit\n")
                self.proc.wait(20)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                self.kill()

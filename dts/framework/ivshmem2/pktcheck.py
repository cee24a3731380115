# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Run app/ivshmem2-pktcheck (generator/checker) and read its verdict.

pktcheck prints one line "PKTCHECK_JSON {...}" with every counter and an
"errors" list; its exit status is 0 only when every received frame was
verified and nothing was lost, duplicated or reordered.
"""

from __future__ import annotations

import json
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from framework.node import SutNode
from framework.virtual_device import VirtualDevice


@dataclass
class PktcheckResult:
    """Exit status, parsed JSON line and the whole output of one run."""

    returncode: int
    data: dict
    output: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and bool(self.data.get("ok"))

    @property
    def errors(self) -> list:
        return self.data.get("errors", ["no PKTCHECK_JSON line (crashed?)"])

    def summary(self) -> str:
        """The human-readable summary block, for failure messages."""
        i = self.output.find("pktcheck summary")
        return self.output[i:] if i >= 0 else self.output[-3000:]


class Pktcheck:
    """One pktcheck process on its own lcore (slot 0 or 1)."""

    def __init__(self, node: SutNode, vdevs: Sequence[VirtualDevice], args: Sequence[str], *,
                 slot: int = 0, name: str = "pktcheck", load_pmd: bool = True,
                 eal_args: Sequence[str] = ()):
        self.node = node
        self.name = name
        core = node.config.lcores[slot % len(node.config.lcores)]
        prefix = node.file_prefix(name)
        eal = node.eal_args(prefix, vdevs, load_pmd=load_pmd, lcores=["-l", str(core)])
        eal += list(eal_args)
        self.command = [str(node.pktcheck_path), *eal, "--", *[str(a) for a in args]]
        self.log_path: Path = node.workdir / f"{prefix}.log"
        self._log = open(self.log_path, "wb")
        self.proc = node.track(subprocess.Popen(self.command, stdin=subprocess.DEVNULL,
                                                stdout=self._log, stderr=subprocess.STDOUT,
                                                start_new_session=True))

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait(self, timeout: float) -> PktcheckResult:
        """Wait for the exit (SIGINT, then SIGKILL after @timeout) and parse."""
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGINT)
            try:
                rc = self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                rc = self.proc.wait()
        self._log.close()
        out = self.output()
        data: dict = {}
        for line in out.splitlines():
            if line.startswith("PKTCHECK_JSON "):
                data = json.loads(line[len("PKTCHECK_JSON "):])
        return PktcheckResult(rc, data, out)

    def interrupt(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)

    def running(self) -> bool:
        return self.proc.poll() is None

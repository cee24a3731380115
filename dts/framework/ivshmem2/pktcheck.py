# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Run app/ivshmem2-pktcheck (generator/checker) as a BlockingApp and read its verdict.

    rx = Pktcheck(node, [group.vdev()], ["--mode", "rx", ...], slot=0).start_application()
    result = rx.wait(180)          # a PktcheckResult

pktcheck prints one line "PKTCHECK_JSON {...}" with every counter and an
"errors" list; its exit status is 0 only when every received frame was
verified and nothing was lost, duplicated or reordered.
"""

from __future__ import annotations

import json
import signal
from dataclasses import dataclass
from typing import Sequence

from framework.remote_session.blocking_app import BlockingApp
from framework.testbed_model.node import SutNode
from framework.testbed_model.virtual_device import VirtualDevice


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


class Pktcheck(BlockingApp):
    """One pktcheck process on its own lcore (slot 0 or 1)."""

    def __init__(self, node: SutNode, vdevs: Sequence[VirtualDevice], args: Sequence[str], *,
                 slot: int = 0, name: str = "pktcheck", load_pmd: bool = True,
                 eal_args: Sequence[str] = ()):
        core = node.config.lcores[slot % len(node.config.lcores)]
        prefix = node.file_prefix(name)
        eal = node.eal_args(prefix, vdevs, load_pmd=load_pmd, lcores=["-l", str(core)])
        eal += list(eal_args)
        super().__init__(node, node.pktcheck_path, name, [*eal, "--", *args])

    def wait(self, timeout: float) -> PktcheckResult:
        """Wait for the exit (SIGINT, then SIGKILL after @timeout) and parse."""
        rc = self.wait_for_exit(timeout)
        out = self.output()
        data: dict = {}
        for line in out.splitlines():
            if line.startswith("PKTCHECK_JSON "):
                data = json.loads(line[len("PKTCHECK_JSON "):])
        return PktcheckResult(rc, data, out)

    def interrupt(self) -> None:
        """SIGINT: pktcheck stops, prints its verdict and exits."""
        self.send_signal(signal.SIGINT)

# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Count the syscalls of running processes with strace -c -f over a time window."""

from __future__ import annotations

import re
import signal
import subprocess
import time
from dataclasses import dataclass
from typing import List, Sequence

_TOTAL = re.compile(r"^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?total\s*$", re.M)
_ROW = re.compile(r"^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?([a-z_0-9]+)\s*$", re.M)


@dataclass
class SyscallCount:
    """One process's strace -c summary."""

    output: str

    @property
    def calls(self) -> int:
        """Syscalls counted; 0 when strace attached and printed no table (there
        were none), -1 when it did not attach."""
        m = _TOTAL.search(self.output)
        if m:
            return int(m.group(1))
        return 0 if re.search(r"Process \d+ attached", self.output) else -1

    def top(self, n: int = 3) -> str:
        """The @n most frequent syscalls, "name count, ..."."""
        rows = [(int(c), name) for c, name in _ROW.findall(self.output) if name != "total"]
        rows.sort(reverse=True)
        return ", ".join(f"{name} {c}" for c, name in rows[:n]) or "-"


def count_syscalls(pids: Sequence[int], seconds: float) -> List[SyscallCount]:
    """Trace every thread of each of @pids for @seconds at the same time."""
    tracers = [subprocess.Popen(["strace", "-c", "-f", "-p", str(pid)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
               for pid in pids]
    try:
        time.sleep(seconds)
        for t in tracers:
            t.send_signal(signal.SIGINT)
        return [SyscallCount(t.communicate(timeout=30)[1]) for t in tracers]
    finally:
        for t in tracers:
            if t.poll() is None:
                t.kill()
                t.wait()

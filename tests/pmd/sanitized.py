# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""A stock dpdk-testpmd whose net_ivshmem2 plugin is built with ASan and UBSan,
plus the resource counts the robustness runs compare before and after.

The sanitizer build is the build under test when that one is instrumented
(scripts/test-sanitizers.sh), or the one IVSHMEM2_SANITIZE_BUILD names.
testpmd is not instrumented, so the sanitizer runtimes are preloaded into
it. Without a sanitizer build the victim runs the plain plugin and says so
(Victim.sanitized); callers decide whether that is enough.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import ivshmem2_paths
from framework.testbed_model.node import SutNode
from framework.remote_session.testpmd_shell import TestPmdShell
from framework.testbed_model.virtual_device import VirtualDevice

SAN_REPORT = re.compile(r"ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|"
                        r"SUMMARY: (Address|UndefinedBehavior)Sanitizer")
ASAN_EXIT, UBSAN_EXIT = 86, 87


def _instrumented(pmd: Path) -> bool:
    try:
        env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
        out = subprocess.run(["ldd", str(pmd)], capture_output=True, text=True,
                             check=False, env=env).stdout
    except OSError:
        return False
    return "libasan" in out


def sanitizer_build() -> Optional[Path]:
    """The plugin of an ASan+UBSan build, or None if there is none.

    Only a build known to be current: the one under test, or the one
    IVSHMEM2_SANITIZE_BUILD names (scripts/soak.sh and faults.sh build it
    first); never a build-sanitize/ that may predate the sources.
    """
    cands = []
    if os.environ.get("IVSHMEM2_SANITIZE_BUILD"):
        cands.append(Path(os.environ["IVSHMEM2_SANITIZE_BUILD"]))
    cands.append(ivshmem2_paths.BUILD)
    for build in cands:
        pmd = build / "drivers" / "net" / "ivshmem2" / "librte_net_ivshmem2.so"
        if pmd.exists() and _instrumented(pmd):
            return pmd
    return None


def _gcc_lib(name: str) -> str:
    return subprocess.run(["gcc", f"-print-file-name={name}"], capture_output=True,
                          text=True, check=True).stdout.strip()


def sanitizer_env() -> List[str]:
    """`env` arguments that run a stock binary with the sanitizer runtimes."""
    supp = ivshmem2_paths.REPO / "scripts" / "sanitizers" / "ubsan.supp"
    return ["env",
            f"LD_PRELOAD={_gcc_lib('libasan.so')} {_gcc_lib('libubsan.so')}",
            # Leaks: DPDK's EAL keeps its allocations until exit by design.
            # stdbuf's own preload library comes before the runtimes.
            f"ASAN_OPTIONS=detect_leaks=0:abort_on_error=0:exitcode={ASAN_EXIT}"
            ":verify_asan_link_order=0",
            f"UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:exitcode={UBSAN_EXIT}"
            f":suppressions={supp}"]


class Victim(TestPmdShell):
    """testpmd with the sanitizer build of the PMD (when there is one)."""

    def __init__(self, node: SutNode, vdevs: Sequence[VirtualDevice], *,
                 name: str = "victim", eal_args: Sequence[str] = (),
                 require_sanitizer: bool = False, **app_params: object):
        self.sanitized_pmd = sanitizer_build()
        if self.sanitized_pmd is None and require_sanitizer:
            raise FileNotFoundError("no ASan+UBSan build of the PMD: set "
                                    "IVSHMEM2_SANITIZE_BUILD to one (scripts/soak.sh "
                                    "and scripts/faults.sh build it), or --allow-plain")
        pmd = self.sanitized_pmd
        extra = list(eal_args)
        if pmd is not None:
            extra = ["-d", str(ivshmem2_paths.safe_pmd_path(pmd))] + extra
        super().__init__(node, vdevs, name=name, load_pmd=pmd is None, eal_args=extra,
                         **app_params)
        if pmd is not None:
            self.command = sanitizer_env() + self.command
        self.event_times: List[float] = []   # time.monotonic() of each event's arrival

    def _read_loop(self) -> None:
        """The base reader, plus the arrival time of every event line."""
        assert self.proc and self.proc.stdout
        fd = self.proc.stdout.fileno()
        while True:
            try:
                data = os.read(fd, 65536)
            except OSError:
                data = b""
            now = time.monotonic()
            with self._cond:
                if not data:
                    self._cond.notify_all()
                    return
                self._out.feed(data.decode(errors="replace"))
                self.event_times += [now] * (len(self._out.events) - len(self.event_times))
                self._cond.notify_all()

    def wait_event(self, after: int, timeout: float) -> Optional[float]:
        """Arrival time of event number @after (0-based), waiting up to @timeout s."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.event_times) <= after:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(min(left, 0.05))
            return self.event_times[after]

    def event_count(self) -> int:
        with self._cond:
            return len(self.event_times)

    @property
    def sanitized(self) -> bool:
        return self.sanitized_pmd is not None

    def sanitizer_reports(self) -> List[str]:
        """Lines of sanitizer reports in testpmd's output."""
        return [line for line in self.output().splitlines() if SAN_REPORT.search(line)]

    def mempool_in_use(self) -> Dict[str, int]:
        """Objects in use per mempool (size - common pool - caches), from dump_mempool."""
        out = self.send_command("dump_mempool")
        pools: Dict[str, int] = {}
        for block in re.split(r"(?m)^mempool <", out)[1:]:
            name = block.split(">", 1)[0]
            size = re.search(r"\n\s*size=(\d+)", block)
            common = re.search(r"common_pool_count=(\d+)", block)
            cache = re.search(r"total_cache_count=(\d+)", block)
            if size and common:
                pools[name] = int(size.group(1)) - int(common.group(1)) - \
                    (int(cache.group(1)) if cache else 0)
        return pools


@dataclass
class Resources:
    """What a long-running process holds, to compare before and after."""

    fds: int
    rss_kib: int
    shm_maps: int          # distinct shared-memory files mapped (memfd, /dev/shm, hugepages)
    dev_shm: int           # our entries in /dev/shm
    dev_hugepages: int     # our entries in /dev/hugepages

    def delta(self, before: "Resources") -> Dict[str, int]:
        return {k: getattr(self, k) - getattr(before, k) for k in vars(self)}


def _count_ours(path: str) -> int:
    """Entries of @path with our processes' --file-prefix (the machine is shared;
    the servers of these runs use memfd and make no file)."""
    mine = f"dts{os.getpid()}_"
    try:
        return sum(1 for n in os.listdir(path) if n.startswith(mine))
    except OSError:
        return 0


def resources(pid: int) -> Resources:
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    rss = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1])
    inodes = set()
    for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
        parts = line.split(None, 5)
        if len(parts) == 6 and ("memfd:ivshmem2" in parts[5] or parts[5].startswith("/dev/shm")
                                or parts[5].startswith("/dev/hugepages")):
            inodes.add((parts[3], parts[4]))
    return Resources(fds=fds, rss_kib=rss, shm_maps=len(inodes),
                     dev_shm=_count_ours("/dev/shm"),
                     dev_hugepages=_count_ours("/dev/hugepages"))

# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""The system under test (SutNode): this host, its lcores, binaries and processes."""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path
from typing import List, Optional, Sequence

import ivshmem2_paths
from framework.config import NodeConfig
from framework.testbed_model.topology import Topology, TopologyType
from framework.testbed_model.virtual_device import VirtualDevice

_prefix_counter = itertools.count()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process @pid (all its threads) in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # After "pid (comm)": state is field 0, utime 11, stime 12.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class SutNode:
    """Where the suites run; owns every process they start.

    Processes registered with track() are killed by kill_all(), which the
    runner calls after every test case and suite, so a failing case cannot
    leave a testpmd behind.
    """

    def __init__(self, config: NodeConfig):
        self.config = config
        self.workdir = Path(tempfile.mkdtemp(prefix="iv2-dts-"))
        self._procs: List[subprocess.Popen] = []
        self._closers: list = []
        #: No traffic generator node: traffic comes from other processes here.
        self.topology = Topology(TopologyType.no_link)

    # --- binaries ---
    @property
    def testpmd_path(self) -> str:
        path = os.environ.get("DTS_TESTPMD") or shutil.which("dpdk-testpmd")
        if not path:
            raise FileNotFoundError("dpdk-testpmd not found (apt-get install dpdk)")
        return path

    @property
    def pmd_path(self) -> Path:
        """The net_ivshmem2 plugin, at a path EAL's -d accepts."""
        return ivshmem2_paths.safe_pmd_path()

    @property
    def pktcheck_path(self) -> Path:
        path = Path(os.environ.get("IVSHMEM2_PKTCHECK",
                                   ivshmem2_paths.BUILD / "app" / "ivshmem2-pktcheck"
                                   / "ivshmem2-pktcheck"))
        if not path.exists():
            raise FileNotFoundError(f"{path} not built (ninja -C {ivshmem2_paths.BUILD})")
        return path

    # --- EAL arguments ---
    def file_prefix(self, name: str) -> str:
        """A --file-prefix no other process on the host uses."""
        return f"dts{os.getpid()}_{next(_prefix_counter)}_{name}"

    def lcore_args(self, slot: int) -> List[str]:
        """Two lcores for the @slot-th process: main and forwarding lcore on
        different cores, and the forwarding lcores of slots 0 and 1 on
        different cores (platform.md, two processes on two cores)."""
        a, b = self.config.lcores[0], self.config.lcores[1]
        if slot % 2 == 0:
            return ["-l", f"{a},{b}"]
        return ["--lcores", f"0@{b},1@{a}"]

    def eal_args(self, prefix: str, vdevs: Sequence[VirtualDevice] = (), slot: int = 0,
                 load_pmd: bool = True, lcores: Optional[List[str]] = None) -> List[str]:
        """EAL options for a process on this node."""
        args = list(lcores if lcores is not None else self.lcore_args(slot))
        args += ["--no-pci", "--file-prefix", prefix, *self.config.eal_memory,
                 f"--log-level={self.config.log_level}"]
        if load_pmd:
            args += ["-d", str(self.pmd_path)]
        for v in vdevs:
            args += ["--vdev", str(v)]
        return args

    # --- processes ---
    def track(self, proc: subprocess.Popen) -> subprocess.Popen:
        """Register @proc so kill_all() ends it."""
        self._procs.append(proc)
        return proc

    def on_cleanup(self, fn) -> None:
        """Call @fn (no arguments) in kill_all(), before processes are killed."""
        self._closers.append(fn)

    def kill_all(self) -> None:
        """Close registered objects, then SIGKILL every tracked process still running."""
        closers, self._closers = self._closers, []
        for fn in reversed(closers):
            try:
                fn()
            except Exception:  # noqa: BLE001 - cleanup must go on
                pass
        procs, self._procs = self._procs, []
        for p in procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGKILL) if _own_group(p) else p.kill()
                except ProcessLookupError:
                    pass
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    pass

    def close(self) -> None:
        """Kill everything and remove the work directory."""
        self.kill_all()
        shutil.rmtree(self.workdir, ignore_errors=True)


def _own_group(p: subprocess.Popen) -> bool:
    try:
        return os.getpgid(p.pid) == p.pid
    except ProcessLookupError:
        return False

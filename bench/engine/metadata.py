# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""What a result needs to be read later: machine, software, commit, time."""

from __future__ import annotations

import datetime
import os
import platform
import shutil
import subprocess
from pathlib import Path
from typing import Optional

from . import topology

REPO = Path(__file__).resolve().parents[2]


def _run(cmd, cwd: Optional[Path] = None) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=20, cwd=cwd,
                              check=False).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def dpdk_version() -> str:
    """The installed DPDK (pkg-config), e.g. "22.11.11"."""
    return _run(["pkg-config", "--modversion", "libdpdk"]) or "unknown"


def project_commit(repo: Path = REPO) -> dict:
    head = _run(["git", "rev-parse", "HEAD"], repo)
    dirty = bool(_run(["git", "status", "--porcelain", "--untracked-files=no"], repo))
    branch = _run(["git", "rev-parse", "--abbrev-ref", "HEAD"], repo)
    return {"commit": head or "unknown", "branch": branch, "dirty": dirty}


def utcnow() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def collect(cpu_a: int, cpu_b: int) -> dict:
    """Machine metadata at the start of a run."""
    topo = topology.cpu_topology()
    testpmd = os.environ.get("DTS_TESTPMD") or shutil.which("dpdk-testpmd") or ""
    return {
        "hostname": platform.node(),
        "cpu_model": topology.cpu_model(),
        "cpu_mhz": topology.cpu_mhz(),
        "cpus_online": topology.online_cpus(),
        "kernel": platform.release(),
        "kernel_version": platform.version(),
        "dpdk_version": dpdk_version(),
        "testpmd": testpmd,
        "project": project_commit(),
        "loadavg_before": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
        "lcores": topology.placement_info(topo, cpu_a, cpu_b),
        "started": utcnow(),
    }

# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""CPU topology (sysfs) and where a process's threads really ran (/proc)."""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Dict, List, Optional

SYS_CPU = Path("/sys/devices/system/cpu")


def parse_cpu_list(text: str) -> List[int]:
    """"0-3,8,10-11" -> [0, 1, 2, 3, 8, 10, 11]."""
    cpus: List[int] = []
    for part in text.strip().split(","):
        if not part:
            continue
        lo, _, hi = part.partition("-")
        cpus.extend(range(int(lo), int(hi or lo) + 1))
    return cpus


@dataclass
class CpuInfo:
    """One logical CPU."""

    cpu: int
    core_id: int
    package: int
    siblings: List[int]


def cpu_topology(root: Path = SYS_CPU) -> Dict[int, CpuInfo]:
    """Every logical CPU under @root (a sysfs cpu directory) with its core."""
    out: Dict[int, CpuInfo] = {}
    for d in sorted(root.glob("cpu[0-9]*")):
        topo = d / "topology"
        if not topo.is_dir():
            continue
        cpu = int(d.name[3:])

        def read(name: str, default: str = "0") -> str:
            try:
                return (topo / name).read_text().strip()
            except OSError:
                return default

        out[cpu] = CpuInfo(cpu=cpu, core_id=int(read("core_id")),
                           package=int(read("physical_package_id")),
                           siblings=parse_cpu_list(read("thread_siblings_list", str(cpu))))
    return out


def share_physical_core(topo: Dict[int, CpuInfo], a: int, b: int) -> Optional[bool]:
    """True when CPUs @a and @b are hyperthreads of one core (or the same
    CPU); None when the topology does not know one of them."""
    if a not in topo or b not in topo:
        return None
    if a == b or b in topo[a].siblings:
        return True
    return (topo[a].package, topo[a].core_id) == (topo[b].package, topo[b].core_id)


def placement_info(topo: Dict[int, CpuInfo], cpu_a: int, cpu_b: int) -> dict:
    """Metadata of the two forwarding CPUs."""
    return {"cpu_a": cpu_a, "cpu_b": cpu_b,
            "a": asdict(topo[cpu_a]) if cpu_a in topo else None,
            "b": asdict(topo[cpu_b]) if cpu_b in topo else None,
            "shared_physical_core": share_physical_core(topo, cpu_a, cpu_b)}


@dataclass
class ThreadPlace:
    """Where one thread may run and last ran, and its CPU time."""

    tid: int
    name: str
    allowed: List[int]
    last_cpu: int
    cpu_ticks: int


def parse_stat(text: str) -> tuple:
    """(comm, last CPU, utime + stime ticks) from a /proc/.../stat line."""
    head, _, rest = text.rpartition(")")
    comm = head.partition("(")[2]
    fields = rest.split()
    # After "pid (comm)": state is fields[0]; utime 11, stime 12, processor 36.
    return comm, int(fields[36]), int(fields[11]) + int(fields[12])


def parse_allowed(status_text: str) -> List[int]:
    m = re.search(r"^Cpus_allowed_list:\s*(\S+)", status_text, re.M)
    return parse_cpu_list(m.group(1)) if m else []


def threads(pid: int, proc: Path = Path("/proc")) -> List[ThreadPlace]:
    """Every thread of @pid."""
    out: List[ThreadPlace] = []
    for t in sorted((proc / str(pid) / "task").iterdir(), key=lambda p: int(p.name)):
        try:
            comm, last, ticks = parse_stat((t / "stat").read_text())
            allowed = parse_allowed((t / "status").read_text())
        except (OSError, IndexError, ValueError):
            continue
        out.append(ThreadPlace(int(t.name), comm, allowed, last, ticks))
    return out


WORKER_RE = re.compile(r"(?:rte|lcore|dpdk)-?worker-?(\d+)$")


def forwarding_thread(places: List[ThreadPlace], lcore: int = 1) -> Optional[ThreadPlace]:
    """The thread of forwarding lcore @lcore by its DPDK name (22.11
    "rte-worker-1", older "lcore-worker-1", 24.11 "dpdk-worker1"); else the
    busiest thread (a polling lcore uses a whole CPU). A single-lcore app
    (pktcheck) forwards on its main thread."""
    for p in places:
        m = WORKER_RE.search(p.name)
        if m and int(m.group(1)) == lcore:
            return p
    return max(places, key=lambda p: p.cpu_ticks, default=None)


def check_placement(pid: int, want_cpu: int, proc: Path = Path("/proc")) -> dict:
    """Did the forwarding lcore's thread of @pid run on @want_cpu only
    (affinity and last CPU)? Read while it forwards."""
    try:
        places = threads(pid, proc)
    except OSError as e:
        return {"want_cpu": want_cpu, "ok": False, "error": str(e)}
    fwd = forwarding_thread(places)
    if fwd is None:
        return {"want_cpu": want_cpu, "ok": False, "error": "no threads"}
    return {"want_cpu": want_cpu, "thread": fwd.name, "allowed": fwd.allowed,
            "last_cpu": fwd.last_cpu,
            "ok": fwd.allowed == [want_cpu] and fwd.last_cpu == want_cpu}


def line_transfer_ns(probe: Path, cpu_a: int, cpu_b: int) -> Optional[float]:
    """One-way cache-line transfer time between @cpu_a and @cpu_b in ns
    (ivshmem2-c2c, a few ms); None without the probe or when it fails.
    Run it while nothing polls those CPUs, or it measures the contention."""
    if not probe.exists():
        return None
    try:
        r = subprocess.run([str(probe), "--json", str(cpu_a), str(cpu_b)], capture_output=True,
                           text=True, timeout=10, check=True)
        return float(json.loads(r.stdout)["median_ns"])
    except (OSError, subprocess.SubprocessError, ValueError, KeyError):
        return None


def cpu_model(cpuinfo: str = "") -> str:
    """"model name" of /proc/cpuinfo (first CPU)."""
    if not cpuinfo:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:
            return "unknown"
    m = re.search(r"^model name\s*:\s*(.*)$", cpuinfo, re.M)
    return m.group(1).strip() if m else "unknown"


def cpu_mhz(cpuinfo: str = "") -> float:
    if not cpuinfo:
        cpuinfo = Path("/proc/cpuinfo").read_text()
    m = re.search(r"^cpu MHz\s*:\s*([\d.]+)", cpuinfo, re.M)
    return float(m.group(1)) if m else 0.0


def online_cpus() -> List[int]:
    return sorted(os.sched_getaffinity(0))

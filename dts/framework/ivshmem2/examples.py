# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Stock DPDK example applications, built on demand from /usr/share/dpdk/examples.

The sources come with Debian's dpdk-doc package; they are copied to a cache
directory (not world-writable, so EAL accepts the -d plugins next to it)
and built with their own pkg-config Makefile.
"""

from __future__ import annotations

import fcntl
import shutil
import subprocess
from pathlib import Path

import ivshmem2_paths

EXAMPLES = Path("/usr/share/dpdk/examples")


def build_example(name: str, timeout: float = 600) -> Path:
    """Build example @name once; returns the binary path."""
    src = EXAMPLES / name
    if not (src / "Makefile").exists():
        raise FileNotFoundError(f"{src}/Makefile missing (apt-get install dpdk-doc)")
    cache = ivshmem2_paths.CACHE / "examples"
    cache.mkdir(parents=True, exist_ok=True)
    binary = cache / name / "build" / name
    with open(cache / f".{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if binary.exists():
            return binary
        shutil.rmtree(cache / name, ignore_errors=True)
        shutil.copytree(src, cache / name)
        r = subprocess.run(["make", "-C", str(cache / name), "-j2"], capture_output=True,
                           text=True, timeout=timeout, check=False)
        if r.returncode != 0 or not binary.exists():
            raise RuntimeError(f"building example {name} failed:\n{r.stdout[-2000:]}"
                               f"{r.stderr[-2000:]}")
    return binary

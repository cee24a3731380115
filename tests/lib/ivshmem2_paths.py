# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Where the build products live, for tests, benchmarks and scripts."""

import os
import shutil
import stat
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("IVSHMEM2_BUILD_DIR", REPO / "build")).resolve()
CACHE = Path(
    os.environ.get(
        "IVSHMEM2_CACHE",
        Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "ivshmem2",
    )
)

SERVER = BUILD / "server" / "ivshmem2-server"
INFO = BUILD / "app" / "ivshmem2-info" / "ivshmem2-info"
C2C = BUILD / "app" / "ivshmem2-c2c" / "ivshmem2-c2c"
PMD = BUILD / "drivers" / "net" / "ivshmem2" / "librte_net_ivshmem2.so"
QEMU = BUILD / "device" / "qemu-system-x86_64"


def _world_writable_parent(path: Path) -> bool:
    for parent in path.resolve().parents:
        if parent.stat().st_mode & stat.S_IWOTH:
            return True
    return False


def safe_pmd_path(pmd: Path = PMD) -> Path:
    """Return a path to the PMD that EAL's -d accepts.

    EAL refuses a plugin below a world-writable directory (such as /tmp),
    so a build tree there is copied to a private cache directory first.
    """
    if not pmd.exists():
        raise FileNotFoundError(f"{pmd} not built (run scripts/build.sh)")
    if not _world_writable_parent(pmd):
        return pmd
    dest_dir = CACHE / "pmd"
    dest_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(dest_dir, 0o755)
    dest = dest_dir / pmd.name
    tmp = dest_dir / f".{pmd.name}.{os.getpid()}"
    shutil.copy2(pmd, tmp)
    os.replace(tmp, dest)
    return dest

# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Run the server's C unit tests (option parsing, layout validation, INIT validation)."""

import os
import subprocess
from pathlib import Path

import pytest

import ivshmem2_paths


@pytest.mark.parametrize("name", ["test-options", "test-layout", "test-wire"])
def test_c_unit(name):
    exe = ivshmem2_paths.BUILD / "server" / "tests" / name
    if "IVSHMEM2_SERVER" in os.environ:
        exe = Path(os.environ["IVSHMEM2_SERVER"]).parent / "tests" / name
    assert exe.exists(), f"{exe} not built (ninja -C {ivshmem2_paths.BUILD})"
    res = subprocess.run([str(exe)], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stdout + res.stderr
    assert " 0 failed" in res.stdout
    checks = int(res.stdout.split(":")[1].split()[0])
    assert checks > 50, res.stdout

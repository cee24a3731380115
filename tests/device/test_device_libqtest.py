# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Runs the libqtest test built inside QEMU's tree (device/tests/ivshmem2-test.c)."""

import os
import re
import subprocess

import pytest

pytestmark = pytest.mark.qemu


def test_libqtest_ivshmem2(paths, qemu_bin):
    test_bin = paths.BUILD / "device" / "ivshmem2-test"
    if not test_bin.exists():
        pytest.fail(f"{test_bin} not built (meson setup build -Dqemu=enabled)")
    env = dict(os.environ, QTEST_QEMU_BINARY=str(qemu_bin.resolve()))
    run = subprocess.run([str(test_bin), "--tap", "-k"], env=env, capture_output=True,
                         text=True, timeout=300)
    results = re.findall(r"^(ok|not ok) \d+ (\S+)", run.stdout, re.M)
    failed = [name for status, name in results if status != "ok"]
    assert run.returncode == 0 and not failed, run.stdout + run.stderr
    assert len(results) >= 5, run.stdout

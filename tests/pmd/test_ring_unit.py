# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""C unit tests of the PMD's ring module (layout, index arithmetic, hostile descriptors)."""

import re
import subprocess


def test_ring_module_unit(paths):
    binary = paths.BUILD / "drivers" / "net" / "ivshmem2" / "ivshmem2_ring_test"
    assert binary.exists(), f"{binary} not built (meson setup build && ninja -C build)"
    proc = subprocess.run([str(binary)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    m = re.search(r"(\d+) checks, 0 failures", proc.stdout)
    assert m and int(m.group(1)) > 300, proc.stdout

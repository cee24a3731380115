# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""C unit tests of the PMD's ring module (layout, index arithmetic, hostile descriptors)
and of tx_burst against a consumer the test plays.

The tests live beside the PMD, in drivers/net/ivshmem2/tests/ (built into
<build>/drivers/net/ivshmem2/tests/)."""

import os
import re
import shutil
import subprocess

from cpu_flags import cpu_flags


def _binary(paths, name):
    return paths.BUILD / "drivers" / "net" / "ivshmem2" / "tests" / name


def test_ring_module_unit(paths):
    binary = _binary(paths, "ivshmem2_ring_test")
    assert binary.exists(), f"{binary} not built (meson setup build && ninja -C build)"
    proc = subprocess.run([str(binary)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    m = re.search(r"(\d+) checks, 0 failures", proc.stdout)
    assert m and int(m.group(1)) > 300, proc.stdout


def _run_burst_test(paths, name):
    binary = _binary(paths, name)
    assert binary.exists(), f"{binary} not built (meson setup build && ninja -C build)"
    prefix = f"iv2{name[-7:]}{os.getpid()}"
    try:
        proc = subprocess.run([str(binary), "--no-huge", "-m", "64", "--no-pci", "-l", "0",
                               "--file-prefix", prefix],
                              capture_output=True, text=True, timeout=120)
    finally:
        shutil.rmtree(f"/var/run/dpdk/{prefix}", ignore_errors=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "PASS: 0 failure(s)" in proc.stdout, proc.stdout


def test_tx_burst_against_scripted_consumer(paths):
    """tx_burst on a private ring whose consumer index the test sets (ivshmem2_tx_test.c)."""
    _run_burst_test(paths, "ivshmem2_tx_test")


def test_zero_copy_rx_buffers_held_by_the_application(paths):
    """rx_burst zero-copy: held buffers across a new pairing and past their queue."""
    _run_burst_test(paths, "ivshmem2_rx_test")


def test_copy_variants(paths):
    """Every slot copy variant this CPU has (memcpy always), every length 0..9018,
    unaligned ends, nothing written outside the destination (ivshmem2_copy_test.c)."""
    binary = _binary(paths, "ivshmem2_copy_test")
    assert binary.exists(), f"{binary} not built (meson setup build && ninja -C build)"
    proc = subprocess.run([str(binary)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    m = re.search(r"(\d+) checks, 0 failures", proc.stdout)
    assert m and int(m.group(1)) > 100000, proc.stdout
    tested = set(re.findall(r"^tested (\w+)$", proc.stdout, re.M))
    flags = cpu_flags()
    expected = {"memcpy"}
    if "avx2" in flags:
        expected.add("avx2")
    if {"avx512f", "avx512bw"} <= flags:
        expected.add("avx512")
    assert expected <= tested, proc.stdout


def test_burst_bench_moves_every_packet(paths):
    """The one-thread burst benchmark (ivshmem2_burst_bench.c) runs and loses nothing: its
    numbers are only printed, never asserted (a benchmark, not a test)."""
    binary = _binary(paths, "ivshmem2_burst_bench")
    assert binary.exists(), f"{binary} not built (meson setup build && ninja -C build)"
    for size in ("60", "1518"):
        proc = subprocess.Popen([str(binary), size, "2000", "2"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        try:
            out, err = proc.communicate(timeout=120)
        finally:
            proc.kill()
            shutil.rmtree(f"/var/run/dpdk/iv2bench{proc.pid}", ignore_errors=True)
        assert proc.returncode == 0, out + err
        rows = re.findall(rf"^\| {size} \| \d \| ([0-9.]+) \|$", out, re.M)
        assert len(rows) == 2 and all(float(r) > 0 for r in rows), out

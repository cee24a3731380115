# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""ivshmem2-c2c: cache-line transfer time between two CPUs (bench/engine's
probe of where the host placed the forwarding CPUs); output and bad usage."""

import json
import os
import re
import subprocess

import pytest

import ivshmem2_paths


def run_c2c(*args):
    path = ivshmem2_paths.C2C
    assert path.exists(), f"{path} not built (ninja -C {ivshmem2_paths.BUILD})"
    return subprocess.run([str(path), *map(str, args)], capture_output=True, text=True,
                          timeout=60, check=False)


def two_cpus():
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        pytest.skip("needs two CPUs")
    return cpus[:2]


def test_json_figures_are_ordered_and_plausible():
    a, b = two_cpus()
    r = run_c2c("--json", "--batches", 5, "--round-trips", 500, a, b)
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert (d["cpu_a"], d["cpu_b"], d["batches"], d["round_trips"]) == (a, b, 5, 500)
    assert 0 < d["min_ns"] <= d["median_ns"] <= d["max_ns"]
    # One transfer takes at least a few cycles and far less than a scheduling tick.
    assert 1 < d["median_ns"] < 100000


def test_text_output():
    a, b = two_cpus()
    r = run_c2c(b, a)
    assert r.returncode == 0, r.stderr
    assert re.fullmatch(rf"CPU {b} <-> CPU {a}: [\d.]+ ns per cache-line transfer "
                        r"\(median of 9 batches; min [\d.]+, max [\d.]+\)\n", r.stdout), r.stdout


@pytest.mark.parametrize("args, message", [
    (["0", "0"], "CPU_A and CPU_B are both 0: give two CPUs"),
    (["0", "x"], "not a CPU number: 'x'"),
    (["--", "0", "-1"], "not a CPU number: '-1'"),
    (["0", "1x"], "not a CPU number: '1x'"),
    (["--batches", "0", "0", "1"], "--batches: not a number from 1 to 1000: '0'"),
    (["--batches", "1001", "0", "1"], "--batches: not a number from 1 to 1000: '1001'"),
    (["--round-trips", "2x", "0", "1"], "--round-trips: not a number from 1 to 100000000: '2x'"),
])
def test_bad_usage_says_why(args, message):
    r = run_c2c(*args)
    assert r.returncode == 2 and r.stdout == ""
    assert message in r.stderr


@pytest.mark.parametrize("args", [[], ["0"], ["0", "1", "2"], ["--bogus", "0", "1"]])
def test_wrong_arguments_print_usage(args):
    r = run_c2c(*args)
    assert r.returncode == 2 and "usage:" in r.stderr


def test_help():
    r = run_c2c("--help")
    assert r.returncode == 0 and r.stdout.startswith("usage:")


def test_a_cpu_it_cannot_use_is_an_error():
    a, _ = two_cpus()
    offline = max(os.sched_getaffinity(0)) + 1
    for args in ([a, offline], [offline, a]):
        r = run_c2c(*args)
        assert r.returncode == 1, (r.stdout, r.stderr)
        assert f"cannot run on CPU {offline}" in r.stderr and r.stdout == ""

# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""ivshmem2-pktcheck --mode ping --rate (open-loop ping) and its latency
histogram, on a net_ring loopback port (one process, no PMD of ours)."""

import json
import os
import subprocess

import pytest

import ivshmem2_paths

PKTCHECK = ivshmem2_paths.BUILD / "app" / "ivshmem2-pktcheck" / "ivshmem2-pktcheck"


def run(*app_args, timeout=60):
    if not PKTCHECK.exists():
        pytest.skip(f"{PKTCHECK} not built")
    cmd = [str(PKTCHECK), "-l", "0", "--no-huge", "-m", "256", "--no-pci",
           "--vdev", "net_ring0", "--file-prefix", f"pkrate{os.getpid()}",
           "--log-level=error", "--", *map(str, app_args)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    data = {}
    for line in p.stdout.splitlines():
        if line.startswith("PKTCHECK_JSON "):
            data = json.loads(line[len("PKTCHECK_JSON "):])
    return p, data


def test_rate_paces_and_fills_histogram():
    p, d = run("--mode", "ping", "--rate", "100000", "--duration", "1", "--progress", "0")
    assert p.returncode == 0, p.stdout[-2000:]
    ping = d["ping"]
    assert ping["rate_pps"] == 100000
    # Open-loop pacing: the achieved rate is the requested one (1 s window).
    assert 90000 <= ping["sent_pps"] <= 101000, ping["sent_pps"]
    assert ping["answered"] == ping["sent"] and ping["lost"] == 0
    buckets = ping["hist"]["buckets"]
    assert ping["hist"]["unit"] == "ns"
    assert sum(b[2] for b in buckets) == ping["answered"]
    lows = [b[0] for b in buckets]
    assert lows == sorted(lows) and all(lo < hi for lo, hi, _ in buckets)
    assert ping["min_us"] <= ping["p50_us"] <= ping["p99_us"]
    # Percentiles come from the histogram: the p50 is the upper edge of a bucket.
    assert any(abs(ping["p50_us"] * 1e3 - hi) < 1 for _, hi, _ in buckets)


def test_closed_loop_ping_has_histogram_too():
    p, d = run("--mode", "ping", "--frames", "5000", "--progress", "0")
    assert p.returncode == 0, p.stdout[-2000:]
    ping = d["ping"]
    assert ping["rate_pps"] == 0 and ping["answered"] == 5000
    assert sum(b[2] for b in ping["hist"]["buckets"]) == 5000


def test_histogram_buckets_are_log_linear():
    """16 buckets per octave: bucket widths grow by powers of two, 1/16 octave each."""
    p, d = run("--mode", "ping", "--rate", "50000", "--duration", "0.5", "--progress", "0")
    assert p.returncode == 0
    for lo, hi, _ in d["ping"]["hist"]["buckets"]:
        if lo >= 16:
            width = hi - lo
            assert width & (width - 1) == 0 and lo >= 16 * width, (lo, hi)


@pytest.mark.parametrize("args, message", [
    (["--mode", "both", "--rate", "1000"], "--rate needs --mode ping"),
    (["--mode", "ping", "--rate", "-1", "--frames", "10"], "--rate"),
    (["--mode", "ping", "--rate", "10000", "--frames", "500"], None),
])
def test_rate_options(args, message):
    if message is None:
        # --rate with --frames (no --duration) stops after that many frames.
        p, d = run(*args, "--progress", "0")
        assert p.returncode == 0 and d["ping"]["answered"] == 500
        return
    p, _ = run(*args)
    assert p.returncode == 2 and message in p.stderr + p.stdout


def test_help_lists_rate():
    p, _ = run("--help")
    assert "--rate PPS" in p.stdout

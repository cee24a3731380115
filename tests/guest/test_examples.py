# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""examples/: the stock l2fwd builds from Debian's dpdk-doc sources."""

import subprocess

import pytest

import harness

EXAMPLES = harness.REPO / "examples"


def test_l2fwd_builds_from_dpdk_doc(tmp_path):
    dest = tmp_path / "l2fwd"
    out = subprocess.run([str(EXAMPLES / "build-l2fwd.sh"), str(dest)], capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    binary = out.stdout.strip()
    assert binary == str(dest / "build" / "l2fwd")
    libs = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    assert "librte_ethdev.so.23" in libs
    # Up to date: a second run rebuilds nothing and prints the same path.
    again = subprocess.run([str(EXAMPLES / "build-l2fwd.sh"), str(dest)], capture_output=True,
                           text=True, timeout=120, check=True)
    assert again.stdout.strip() == binary


def test_no_dpdk_sources_in_examples():
    assert not list(EXAMPLES.rglob("*.c"))


def test_accel_override_and_pvm_detection(monkeypatch):
    monkeypatch.setenv("IVSHMEM2_GUEST_ACCEL", "tcg")
    assert harness.select_accel() == "tcg"
    monkeypatch.setenv("IVSHMEM2_GUEST_ACCEL", "hvf")
    with pytest.raises(harness.GuestError, match="hvf"):
        harness.select_accel()
    monkeypatch.delenv("IVSHMEM2_GUEST_ACCEL")
    if harness.Path("/sys/module/kvm_pvm").exists():
        assert harness.select_accel() == "tcg"      # PVM's /dev/kvm hangs Debian guests

# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""The guest harness itself: boot, run, collect, stop hung guests."""

import os

import pytest

import harness
import image

pytestmark = [pytest.mark.guest, pytest.mark.slow]


def test_module_order_puts_dependencies_first():
    _, _, _ = image.prepare()
    moddir = image.cache_root() / f"guest-{image.kernel_version()}" / "modules"
    order = (moddir / "load-order").read_text().split()
    assert order.index("virtio.ko") < order.index("virtio_pci.ko")
    assert order.index("9pnet.ko") < order.index("9p.ko")
    assert order.index("vfio.ko") < order.index("vfio-pci.ko")
    assert order.index("uio.ko") < order.index("uio_pci_generic.ko")


def test_image_is_cached():
    first = image.prepare()
    mtimes = [p.stat().st_mtime_ns for p in first[1:]]
    second = image.prepare()
    assert first == second
    assert [p.stat().st_mtime_ns for p in second[1:]] == mtimes


def test_guest_runs_command_and_returns_results(guest_harness, results_dir):
    repo_file = harness.REPO / "pytest.ini"
    cmd = "\n".join([
        'echo "name=$IVSHMEM2_GUEST_NAME index=$IVSHMEM2_GUEST_INDEX"',
        f"head -n1 {repo_file}",
        "grep HugePages_Total /proc/meminfo",
        "echo to-stderr >&2",
        "touch /usr/written-in-overlay && echo overlay-writable",
        "echo from-guest > /results/file-from-guest",
        "exit 7",
    ])
    r = guest_harness.run_guest(cmd, results_dir, timeout=300)
    assert r.exit_code == 7, r.describe()
    assert not r.timed_out
    out = r.stdout.splitlines()
    assert out[0] == "name=guest0 index=0"
    assert out[1] == repo_file.read_text().splitlines()[0]    # host root visible
    assert out[2].split() == ["HugePages_Total:", "256"]
    assert out[3] == "overlay-writable"
    assert r.stderr.strip() == "to-stderr"
    assert (r.directory / "file-from-guest").read_text() == "from-guest\n"
    assert "IVSHMEM2_GUEST_EXIT=7" in r.console.read_text()
    assert r.qemu_returncode == 0                   # powered off, not killed
    assert not os.path.exists("/usr/written-in-overlay")   # host untouched


def test_hung_guest_is_stopped_and_console_shown(guest_harness, results_dir):
    # The guest boots in about 6 s under TCG: 30 s leaves room and saves the suite half a minute.
    r = guest_harness.run_guest("echo about-to-hang; sleep 3600", results_dir, timeout=30)
    assert r.timed_out
    assert r.exit_code is None
    assert not r.ok
    msg = r.describe()
    assert "timed out" in msg
    assert "iv2-guest: running command" in msg      # console tail included
    assert "about-to-hang" in msg                   # stdout tail included
    with pytest.raises(AssertionError, match="timed out"):
        r.assert_ok()


def test_guests_run_in_parallel_with_own_results(guest_harness, results_dir):
    cmds = ["echo first; exit 0", "echo second; exit 3"]
    r = guest_harness.run_guests(cmds, results_dir, timeout=400)
    assert [x.name for x in r] == ["guest0", "guest1"]
    assert r[0].exit_code == 0, r[0].describe()
    assert r[1].exit_code == 3, r[1].describe()
    assert r[0].stdout == "first\n" and r[1].stdout == "second\n"

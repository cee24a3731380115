# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""`meson install` puts the PMD where EAL loads drivers from, so stock
applications use net_ivshmem2 without -d."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from framework.ivshmem2.group import Ivshmem2Group
from framework.remote_session.testpmd_shell import TestPmdShell

import ivshmem2_paths

pytestmark = pytest.mark.pmd


def eal_pmd_dir() -> Path:
    """RTE_EAL_PMD_PATH of the installed DPDK (what EAL scans at start-up)."""
    header = Path("/usr/include/dpdk/rte_build_config.h")
    if not header.exists():
        header = next(Path("/usr/include").glob("*/dpdk/rte_build_config.h"))
    m = re.search(r'#define RTE_EAL_PMD_PATH "([^"]+)"', header.read_text())
    assert m, f"no RTE_EAL_PMD_PATH in {header}"
    return Path(m.group(1))


def test_meson_install_targets_the_eal_pmd_dir(tmp_path):
    dest = tmp_path / "root"
    subprocess.run(["meson", "install", "-C", str(ivshmem2_paths.BUILD), "--no-rebuild",
                    "--destdir", str(dest)], check=True, capture_output=True, timeout=300)
    installed = dest / eal_pmd_dir().relative_to("/") / "librte_net_ivshmem2.so"
    assert installed.is_file(), sorted(str(p) for p in dest.rglob("*ivshmem2*"))
    assert any(dest.rglob("include/ivshmem2/net.h")), "ring protocol header not installed"
    assert any(dest.rglob("include/dpdk/rte_pmd_ivshmem2.h")), "PMD API header not installed"


@pytest.fixture
def pmd_in_eal_dir():
    """The built PMD in EAL's PMD directory for the duration of one test."""
    target = eal_pmd_dir() / "librte_net_ivshmem2.so"
    assert not target.exists(), f"{target} already installed: the test would remove it"
    shutil.copy2(ivshmem2_paths.PMD, target)
    try:
        yield target
    finally:
        target.unlink()


def test_stock_testpmd_loads_installed_pmd_without_d(sut_node, pmd_in_eal_dir):
    group = Ivshmem2Group(sut_node)
    a = TestPmdShell(sut_node, [group.vdev()], name="installed-a",
                     load_pmd=False).start_application()
    b = TestPmdShell(sut_node, [group.vdev()], name="installed-b", slot=1,
                     load_pmd=False).start_application()
    assert "-d" not in a.command and "-d" not in b.command
    assert a.wait_link_status_up(0, timeout=30), f"{a.name}: port 0 link not up within 30 s"
    assert b.wait_link_status_up(0, timeout=30), f"{b.name}: port 0 link not up within 30 s"
    assert a.show_port_info(0).driver_name == "net_ivshmem2"

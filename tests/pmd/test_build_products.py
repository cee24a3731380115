# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""What DPDK's build gives an in-tree driver, for the out-of-tree PMD:
PMD info that dpdk-pmdinfo.py reads."""

import json
import subprocess
from pathlib import Path

import pytest

import ivshmem2_paths

pytestmark = pytest.mark.pmd

PMDINFO = Path("/usr/bin/dpdk-pmdinfo.py")


@pytest.fixture(scope="module")
def pmd_info():
    assert PMDINFO.is_file(), f"{PMDINFO} missing (Debian's dpdk package ships it)"
    assert ivshmem2_paths.PMD.is_file(), f"{ivshmem2_paths.PMD} not built"
    r = subprocess.run([str(PMDINFO), str(ivshmem2_paths.PMD)], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    return {d["name"]: d for d in json.loads(r.stdout)}


def test_pmdinfo_names_both_drivers(pmd_info):
    assert {"net_ivshmem2", "net_ivshmem2_pci"} <= set(pmd_info), sorted(pmd_info)


def test_pmdinfo_pci_ids(pmd_info):
    assert pmd_info["net_ivshmem2_pci"]["pci_ids"] == [{"vendor": "110a", "device": "4106"}]
    assert "pci_ids" not in pmd_info["net_ivshmem2"]
    assert "vfio-pci" in pmd_info["net_ivshmem2_pci"]["kmod"]


def devarg_keys(params: str) -> set:
    """Keys of a PARAM_STRING such as "socket=<path> peer=<0..1023|all>"."""
    return {word.split("=", 1)[0] for word in params.split() if "=" in word}


def test_pmdinfo_param_strings(pmd_info):
    vdev = devarg_keys(pmd_info["net_ivshmem2"]["params"])
    pci = devarg_keys(pmd_info["net_ivshmem2_pci"]["params"])
    assert {"socket", "peer", "mac", "zero-copy"} <= vdev, pmd_info["net_ivshmem2"]["params"]
    assert {"peer", "mac", "zero-copy"} <= pci, pmd_info["net_ivshmem2_pci"]["params"]
    assert "socket" not in pci, "a guest's PCI device has no server socket"

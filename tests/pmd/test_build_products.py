# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""What DPDK's build gives an in-tree driver, for the out-of-tree PMD:
PMD info that dpdk-pmdinfo.py reads, only the version map's symbols exported,
and a pkg-config file for the installed protocol headers."""

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

import ivshmem2_paths

pytestmark = pytest.mark.pmd

PMDINFO = Path("/usr/bin/dpdk-pmdinfo.py")
VERSION_MAP = ivshmem2_paths.REPO / "drivers" / "net" / "ivshmem2" / "version.map"
HEADERS = ["wire.h", "regs.h", "shmem.h", "net.h"]


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
    assert {"socket", "peer", "mac", "zero-copy", "tx-pool"} <= vdev, \
        pmd_info["net_ivshmem2"]["params"]
    assert {"peer", "mac", "zero-copy", "tx-pool"} <= pci, pmd_info["net_ivshmem2_pci"]["params"]
    assert "socket" not in pci, "a guest's PCI device has no server socket"


def map_globals(text: str) -> set:
    """Symbols listed under global: in a version map."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    names = set()
    for block in re.findall(r"global:(.*?)(?:local:|\})", text, flags=re.S):
        names.update(s.strip() for s in block.split(";") if s.strip())
    return names


def test_only_the_version_map_is_exported():
    nm = subprocess.run(["nm", "-D", "--defined-only", str(ivshmem2_paths.PMD)],
                        capture_output=True, text=True, check=True)
    defined = {}
    for line in nm.stdout.splitlines():
        fields = line.split()
        defined[fields[-1]] = fields[-2]
    nodes = {name for name, kind in defined.items() if kind == "A"}
    # name@@NODE: the API's symbols carry their version node.
    versions = dict(name.split("@@", 1) for name in set(defined) - nodes if "@@" in name)
    functions_and_data = {name.split("@", 1)[0] for name in set(defined) - nodes}
    assert functions_and_data == map_globals(VERSION_MAP.read_text()), nm.stdout
    assert versions.get("rte_pmd_ivshmem2_pktmbuf_pool_create") == "EXPERIMENTAL", nm.stdout
    assert not [s for s in defined if "ivshmem2" in s and not s.startswith("rte_pmd_ivshmem2_")]


def test_version_node_is_the_installed_dpdk_abi():
    """The map's DPDK_<ABI> node is the ABI of the DPDK libraries the PMD links."""
    r = subprocess.run(["readelf", "--version-info", "-W", str(ivshmem2_paths.PMD)],
                       capture_output=True, text=True, check=True)
    defined, needed = r.stdout.split("Version needs section")
    defined = set(re.findall(r"Name: (DPDK_\d+)", defined))
    needed = set(re.findall(r"Name: (DPDK_\d+)", needed))
    assert len(needed) == 1, r.stdout
    assert defined == needed, r.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    dest = tmp_path_factory.mktemp("install") / "root"
    subprocess.run(["meson", "install", "-C", str(ivshmem2_paths.BUILD), "--no-rebuild",
                    "--destdir", str(dest)], check=True, capture_output=True, timeout=300)
    return dest


def pkg_config(dest: Path, *args: str) -> str:
    pcs = list(dest.rglob("pkgconfig/ivshmem2.pc"))
    assert len(pcs) == 1, sorted(str(p) for p in dest.rglob("*.pc"))
    env = dict(os.environ, PKG_CONFIG_PATH=str(pcs[0].parent), PKG_CONFIG_SYSROOT_DIR=str(dest),
               PKG_CONFIG_LIBDIR="")
    r = subprocess.run(["pkg-config", *args, "ivshmem2"], env=env, capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def test_pkg_config_cflags_reach_every_installed_header(installed, tmp_path):
    cflags = pkg_config(installed, "--cflags").split()
    assert cflags and all(f.startswith("-I" + str(installed)) for f in cflags), cflags
    assert pkg_config(installed, "--libs") == ""
    src = tmp_path / "use_ivshmem2.c"
    lines = []
    for h in HEADERS:
        guard = re.search(r"#ifndef (\w+_H)\b",
                          (ivshmem2_paths.REPO / "include" / "ivshmem2" / h).read_text()).group(1)
        lines += [f"#include <ivshmem2/{h}>", f"#ifndef {guard}", f"#error {h} not included",
                  "#endif"]
    lines += ["int main(void) { return IVSHMEM2_NET_PROTOCOL == 0x4932u ? 0 : 1; }"]
    src.write_text("\n".join(lines) + "\n")
    # Each header on its own, then all of them, from the installed copies only.
    for h in HEADERS:
        one = tmp_path / f"only_{h}.c"
        one.write_text(f"#include <ivshmem2/{h}>\n")
        r = subprocess.run(["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-c", "-o",
                            os.devnull, *cflags, str(one)], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
    exe = tmp_path / "use_ivshmem2"
    r = subprocess.run(["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-o", str(exe),
                        *cflags, str(src)], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert subprocess.run([str(exe)]).returncode == 0


def test_headers_are_installed_once_each(installed):
    found = sorted(p.name for p in installed.rglob("include/ivshmem2/*"))
    assert found == sorted(HEADERS)

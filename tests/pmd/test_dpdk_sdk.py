# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""scripts/dpdk-sdk.sh: the driver-SDK headers of an installed DPDK that has
them (built with -Denable_driver_sdk=true) are used as they are; only
Debian's libdpdk-dev, which lacks them, gets them (and DPDK's pmdinfogen)
from Debian's dpdk source package."""

import os
import subprocess
from pathlib import Path

import pytest

import ivshmem2_paths

SCRIPT = ivshmem2_paths.REPO / "scripts" / "dpdk-sdk.sh"
SDK_HEADERS = [
    "ethdev_driver.h",
    "ethdev_vdev.h",
    "ethdev_pci.h",
    "bus_vdev_driver.h",
    "bus_pci_driver.h",
    "dev_driver.h",
    "bus_driver.h",
]
BUILDTOOLS = ["pmdinfogen.py", "coff.py", "gen-pmdinfo-cfile.py"]


def run_sdk(*args, env=None, timeout=300):
    return subprocess.run([str(SCRIPT), *args], env=env, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="module")
def debian_sdk_dir():
    """The headers for Debian's libdpdk-dev, fetched (or cached) the normal way."""
    r = run_sdk()
    assert r.returncode == 0, r.stderr
    return Path(r.stdout.strip())


class FakeDpdk:
    """A libdpdk.pc of a DPDK "installed" below tmp_path, plus an apt-get that
    records being called, and an empty cache: a fetch would show in both."""

    def __init__(self, tmp_path: Path, sdk_src: Path, headers, cflags_dir=False):
        self.root = tmp_path / "dpdk"
        self.include = self.root / "include"
        self.include.mkdir(parents=True)
        extra = self.root / "extra-include"
        extra.mkdir()
        for h in headers:
            (extra if cflags_dir else self.include).joinpath(h).write_bytes(
                (sdk_src / h).read_bytes())
        self.pc_dir = self.root / "lib" / "pkgconfig"
        self.pc_dir.mkdir(parents=True)
        (self.pc_dir / "libdpdk.pc").write_text(
            f"prefix={self.root}\n"
            "includedir=${prefix}/include\n"
            "libdir=${prefix}/lib\n\n"
            "Name: DPDK\nDescription: fake DPDK for tests\nVersion: 22.11.11\n"
            "Libs: -L${libdir} -lrte_eal\n"
            "Cflags: -I${includedir}" + (f" -I{extra}" if cflags_dir else "") + "\n")
        self.bin = tmp_path / "bin"
        self.bin.mkdir()
        self.apt_called = tmp_path / "apt-get-called"
        fake_apt = self.bin / "apt-get"
        fake_apt.write_text(f"#!/bin/sh\necho \"$@\" >>{self.apt_called}\nexit 1\n")
        fake_apt.chmod(0o755)
        self.cache = tmp_path / "cache"
        self.env = dict(os.environ, PKG_CONFIG_PATH=str(self.pc_dir), IVSHMEM2_CACHE=str(self.cache),
                        PATH=f"{self.bin}:{os.environ['PATH']}")

    def assert_nothing_fetched(self):
        assert not self.apt_called.exists(), f"apt-get ran: {self.apt_called.read_text()}"
        assert not self.cache.exists(), sorted(str(p) for p in self.cache.rglob("*"))


def test_installed_sdk_headers_are_used_and_nothing_fetched(tmp_path, debian_sdk_dir):
    fake = FakeDpdk(tmp_path, debian_sdk_dir, SDK_HEADERS)
    r = run_sdk(env=fake.env)
    assert r.returncode == 0, r.stderr
    assert Path(r.stdout.strip()) == fake.include
    fake.assert_nothing_fetched()


def test_pc_dir_argument_selects_the_libdpdk(tmp_path, debian_sdk_dir):
    """meson passes the directory of the libdpdk.pc it found (--pc-dir)."""
    fake = FakeDpdk(tmp_path, debian_sdk_dir, SDK_HEADERS)
    env = dict(fake.env)
    del env["PKG_CONFIG_PATH"]
    r = run_sdk("--pc-dir", str(fake.pc_dir), "headers", env=env)
    assert r.returncode == 0, r.stderr
    assert Path(r.stdout.strip()) == fake.include
    fake.assert_nothing_fetched()


def test_sdk_headers_in_a_cflags_include_dir_are_found(tmp_path, debian_sdk_dir):
    fake = FakeDpdk(tmp_path, debian_sdk_dir, SDK_HEADERS, cflags_dir=True)
    r = run_sdk(env=fake.env)
    assert r.returncode == 0, r.stderr
    assert Path(r.stdout.strip()) == fake.root / "extra-include"
    fake.assert_nothing_fetched()


@pytest.mark.parametrize("missing", SDK_HEADERS)
def test_a_missing_header_is_not_overlooked(tmp_path, debian_sdk_dir, missing):
    """A self-built DPDK without one SDK header: a clear error, no fetch of
    Debian's headers (they would belong to another DPDK)."""
    fake = FakeDpdk(tmp_path, debian_sdk_dir, [h for h in SDK_HEADERS if h != missing])
    r = run_sdk(env=fake.env)
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert r.stdout == ""
    assert "lacks the driver-SDK headers" in r.stderr
    assert "-Denable_driver_sdk=true" in r.stderr and "-Ddpdk_sdk_dir" in r.stderr
    fake.assert_nothing_fetched()


def test_no_pmdinfogen_for_a_dpdk_that_is_not_debians(tmp_path, debian_sdk_dir):
    fake = FakeDpdk(tmp_path, debian_sdk_dir, SDK_HEADERS)
    r = run_sdk("buildtools", env=fake.env)
    assert r.returncode == 3, (r.stdout, r.stderr)
    assert r.stdout == ""
    assert "is not Debian's libdpdk-dev" in r.stderr
    fake.assert_nothing_fetched()


def test_bad_arguments_are_rejected():
    r = run_sdk("everything")
    assert r.returncode == 1
    assert "unknown argument 'everything'" in r.stderr
    r = run_sdk("--pc-dir")
    assert r.returncode == 1
    assert "--pc-dir needs a directory" in r.stderr


def test_debian_libdpdk_gets_headers_and_pmdinfogen_from_the_source_package(debian_sdk_dir):
    dpdk_include = Path(subprocess.run(["pkg-config", "--variable=includedir", "libdpdk"],
                                       check=True, capture_output=True,
                                       text=True).stdout.strip())
    assert not (dpdk_include / "ethdev_driver.h").exists(), \
        "this libdpdk-dev ships the SDK headers: the fetch path is no longer exercised"
    assert debian_sdk_dir.is_relative_to(ivshmem2_paths.CACHE), debian_sdk_dir
    for h in SDK_HEADERS:
        assert (debian_sdk_dir / h).is_file(), h
    r = run_sdk("buildtools")
    assert r.returncode == 0, r.stderr
    tools = Path(r.stdout.strip())
    assert tools.is_relative_to(ivshmem2_paths.CACHE), tools
    for f in BUILDTOOLS:
        assert (tools / f).is_file(), f


def test_meson_uses_the_installed_sdk_headers(tmp_path, debian_sdk_dir):
    """The whole configure step against a libdpdk.pc that wraps the real DPDK
    and adds an include directory with the SDK headers: meson compiles the PMD
    with that directory and nothing is fetched."""
    fake = FakeDpdk(tmp_path, debian_sdk_dir, SDK_HEADERS)
    real = Path(subprocess.run(["pkg-config", "--variable=pcfiledir", "libdpdk"], check=True,
                               capture_output=True, text=True).stdout.strip()) / "libdpdk.pc"
    lines = []
    for line in real.read_text().splitlines():
        if line.startswith("includedir="):
            lines.append(f"includedir={fake.include}")
            lines.append(f"realincludedir={line.split('=', 1)[1]}")
        elif line.startswith("Cflags:"):
            lines.append(line + " -I${realincludedir}")
        else:
            lines.append(line)
    (fake.pc_dir / "libdpdk.pc").write_text("\n".join(lines) + "\n")
    build = tmp_path / "build"
    r = subprocess.run(["meson", "setup", str(build), str(ivshmem2_paths.REPO), "-Dpmd=enabled",
                        "-Dqemu=disabled"], env=fake.env, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    fake.assert_nothing_fetched()
    ninja = (build / "build.ninja").read_text()
    assert f"-I{fake.include}" in ninja
    assert str(ivshmem2_paths.CACHE / "dpdk-sdk") not in ninja
    assert "PMD info not generated" in r.stdout

# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Fixtures for the QEMU device tests: the project's QEMU under qtest, the real
ivshmem2-server, and the pieces that connect them."""

from pathlib import Path

import pytest

from device_harness import SLOT, Group, GroupConfig, device_args
from device_qtest import PciFunction, QtestMachine
from started import started


def _need(path: Path, what: str, how: str) -> Path:
    if not path.exists():
        pytest.fail(f"{what} not built: {path} is missing ({how})")
    return path


@pytest.fixture(scope="session")
def qemu_bin(paths):
    return _need(paths.QEMU, "QEMU with the ivshmem2 device",
                 "meson setup build -Dqemu=enabled && ninja -C build")


@pytest.fixture(scope="session")
def server_bin(paths):
    return _need(paths.SERVER, "ivshmem2-server", "ninja -C build")


@pytest.fixture
def workdir(short_tmp):
    return short_tmp


@pytest.fixture
def start_group(server_bin, workdir):
    """start_group(GroupConfig) -> Group; stopped at teardown."""
    with started(Group, Group.stop) as make:
        yield lambda config=GroupConfig(): make(server_bin, workdir, config)


@pytest.fixture
def start_qemu(qemu_bin, workdir):
    """start_qemu(args, name=None, ready=True, machine="q35") -> QtestMachine;
    killed at teardown."""
    with started(QtestMachine, QtestMachine.kill) as make:
        def start(args, name=None, ready=True, machine="q35"):
            qt = make(qemu_bin, workdir, name or f"qemu{len(make.items)}", args,
                      machine=machine)
            if ready:
                qt.wait_ready()
            return qt

        yield start


@pytest.fixture
def start_peer(start_qemu):
    """start_peer(socket, props="", device="ivshmem2") -> (QtestMachine, PciFunction)
    with the device's BARs mapped."""

    def start(socket_path, props="", device="ivshmem2", name=None):
        qt = start_qemu(device_args(socket_path, device=device, props=props), name=name)
        pci = PciFunction(qt, SLOT)
        pci.map_bars()
        return qt, pci

    return start

# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Fixtures for tests that boot guests (scripts/guest/harness.py)."""

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
import harness


@pytest.fixture(scope="session")
def guest_harness():
    """The harness module; fails clearly when the project's QEMU is missing."""
    harness.qemu_binary()
    return harness


@pytest.fixture
def results_dir(tmp_path):
    return tmp_path / "guests"


@pytest.fixture
def ivshmem2_server(short_tmp, tmp_path):
    """Start an ivshmem2-server; call it with the server options. Stopped at teardown."""
    servers = []

    def start(*options):
        srv = harness.Server(short_tmp / f"srv{len(servers)}.sock", options,
                             log_path=tmp_path / f"server{len(servers)}.log")
        srv.__enter__()
        servers.append(srv)
        return srv

    yield start
    for srv in servers:
        srv.__exit__(None, None, None)



@pytest.fixture
def background_guests():
    """Start guests without waiting (harness.start_guests); call it like
    start_guests. Every guest is stopped at teardown, also on failure."""
    started = []

    def start(*args, **kwargs):
        guests = harness.start_guests(*args, **kwargs)
        started.extend(guests)
        return guests

    yield start
    harness.stop_guests(started)


@pytest.fixture
def host_node():
    """A DTS SutNode (dts/framework) for host processes next to the guests:
    TestPmdShell, Pktcheck. Everything it started is killed at teardown."""
    from framework import config as dts_config
    from framework.testbed_model.node import SutNode

    node = SutNode(dts_config.load().node)
    yield node
    node.close()

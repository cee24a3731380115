# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Fixtures for the PMD's own tests, which drive testpmd with the DTS framework.

There is one testpmd driver in the project, dts/framework/remote_session/testpmd_shell.py;
these tests use it through a SutNode, which gives every process a unique
--file-prefix and kills whatever a test started, even when it fails.
"""

import pytest

from framework import config as dts_config
from framework.testbed_model.node import SutNode


@pytest.fixture
def sut_node():
    """This host as DTS sees it (dts/conf.yaml); closed after the test."""
    node = SutNode(dts_config.load().node)
    yield node
    node.close()


@pytest.fixture
def scripted(short_tmp):
    """A ScriptedServer (tests/lib/scripted_server.py) factory on fresh sockets;
    every server it made is closed at the end."""
    from scripted_server import ScriptedServer

    servers = []

    def make(script):
        srv = ScriptedServer(short_tmp / f"s{len(servers)}.sock", script)
        servers.append(srv)
        return srv

    yield make
    for srv in servers:
        srv.close()

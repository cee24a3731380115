# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Fault injection under traffic, reduced (tests/pmd/faults_run.py;
scripts/faults.sh runs 100 kills): a peer killed with SIGKILL KILLS times,
the server killed and restarted once, a peer stopped for 5 s once. The
survivor testpmd (ASan+UBSan build as in test_soak.py) must stay up, take
its link down within 100 ms of a departure and 3.5 s of a silent death, see
traffic again within 1 s of the peer's return, and hold the same fds,
shared-memory mappings and mbufs afterwards. Assertions: faults_run.run()."""

import os

import pytest

import faults_run

pytestmark = pytest.mark.pmd

KILLS = int(os.environ.get("IVSHMEM2_FAULT_KILLS", "20"))


def test_faults_under_traffic(sut_node):
    r = faults_run.run(sut_node, kills=KILLS, server_restarts=1, sigstops=1)
    print(faults_run.table(r))
    assert not r["failures"], faults_run.table(r)
    assert r["kills"]["link_down_ms"]["n"] == KILLS
    assert r["sigstop"]["peer_ok"] and r["sigstop"]["peer_lost"] == 0

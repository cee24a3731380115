# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Unit tests of the framework pieces that need no DPDK: params, virtual
devices, @requires, test case collection, results, BlockingApp."""

import json
import signal

import pytest

from framework.config import NodeConfig
from framework.exception import VerifyError
from framework.params.testpmd import PortTopology, SimpleForwardingModes, TestPmdParams
from framework.remote_session.blocking_app import BlockingApp, BlockingAppError
from framework.test_result import DTSResult, Result, TestCaseResult, TestRunResult
from framework.test_suite import TestCaseType, TestSuite, func_test, perf_test
from framework.testbed_model.capability import requires, unmet_requirement
from framework.testbed_model.node import SutNode
from framework.testbed_model.topology import Topology, TopologyType
from framework.testbed_model.virtual_device import VirtualDevice


def test_testpmd_params():
    assert TestPmdParams().to_args() == ["-i"]
    p = TestPmdParams(total_num_mbufs=4096, rx_queues=2, tx_queues=2, max_pkt_len=9014,
                      mbuf_size=[2176, 4096], forward_mode=SimpleForwardingModes.rxonly,
                      port_topology=PortTopology.loop, other_args=["--nb-cores=1"])
    assert p.to_args() == ["-i", "--total-num-mbufs=4096", "--rxq=2", "--txq=2",
                           "--max-pkt-len=9014", "--forward-mode=rxonly",
                           "--port-topology=loop", "--mbuf-size=2176,4096", "--nb-cores=1"]
    assert TestPmdParams(interactive_mode=False, mbuf_size=2176).to_args() == \
        ["--mbuf-size=2176"]
    assert SimpleForwardingModes.fivetswap.value == "5tswap"
    assert SimpleForwardingModes("io") is SimpleForwardingModes.io


def test_virtual_device():
    v = VirtualDevice("net_memif0,role=server,socket=/tmp/m.sock")
    assert str(v) == v.name == "net_memif0,role=server,socket=/tmp/m.sock"
    assert v.driver == "net_memif0"
    assert v == VirtualDevice(str(v)) and v != VirtualDevice("net_ring0")


class _NoRequirement(TestSuite):
    @func_test
    def test_b(self):
        pass

    @perf_test
    def test_a(self):
        pass

    def test_not_a_case(self):
        pass


@requires(topology_type=TopologyType.no_link)
class _NoLink(TestSuite):
    @func_test
    def test_x(self):
        pass

    @requires(topology_type=TopologyType.one_link)
    @func_test
    def test_needs_a_link(self):
        pass

    @requires("RX_OFFLOAD_SCATTER")
    @func_test
    def test_needs_a_nic(self):
        pass


def test_requires_and_topology():
    here = Topology(TopologyType.no_link)
    # Without @requires a case needs upstream's default (two links): skipped here.
    assert "two_links" in unmet_requirement(here, _NoRequirement, _NoRequirement.test_b)
    assert unmet_requirement(here, _NoLink, _NoLink.test_x) is None
    assert "one_link" in unmet_requirement(here, _NoLink, _NoLink.test_needs_a_link)
    assert "RX_OFFLOAD_SCATTER" in unmet_requirement(here, _NoLink, _NoLink.test_needs_a_nic)
    assert unmet_requirement(Topology(TopologyType.two_links), _NoRequirement,
                             _NoRequirement.test_b) is None


def test_collection_and_verify():
    cases = _NoRequirement.get_test_cases()
    assert [name for name, _ in cases] == ["test_b", "test_a"]     # source order
    assert [n for n, _ in _NoRequirement.get_test_cases(TestCaseType.PERFORMANCE)] == ["test_a"]
    suite = _NoRequirement.__new__(_NoRequirement)
    suite.verify(True, "not raised")
    with pytest.raises(VerifyError, match="the message"):
        suite.verify(0, "the message")


def test_results_files(tmp_path):
    res = DTSResult("22.11.11")
    assert res.write(tmp_path / "none") is None          # nothing ran, nothing written
    run = res.add_test_run(TestRunResult("localhost", "no_link", True, False))
    run.add("smoke", TestCaseResult("test_ok", Result.PASS, 1.5))
    run.add("smoke", TestCaseResult("test_bad", Result.FAIL, 2.0, "B rx 0\nmore"))
    run.add("link", TestCaseResult("test_skipped", Result.SKIP, 0.0, "requires one_link"))
    assert res.result() == Result.FAIL
    out = res.write(tmp_path / "out")
    data = json.loads((out / "results.json").read_text())
    assert data["result"] == "FAIL" and data["dpdk_version"] == "22.11.11"
    assert data["summary"]["PASS"] == 1 and data["summary"]["FAIL"] == 1
    assert data["summary"]["SKIP"] == 1 and data["summary"]["PASS_RATE"] == 50.0
    suites = data["test_runs"][0]["test_suites"]
    assert [s["test_suite_name"] for s in suites] == ["smoke", "link"]
    assert suites[0]["test_cases"][1] == {"test_case_name": "test_bad", "result": "FAIL",
                                          "duration_s": 2.0, "message": "B rx 0\nmore"}
    text = (out / "results_summary.txt").read_text()
    assert "FAIL       = 1" in text and "FAIL: smoke.test_bad: B rx 0\n" in text
    assert "test_ok" not in text and "test_skipped" not in text


@pytest.fixture
def node():
    n = SutNode(NodeConfig(name="unit", lcores=[0, 1], eal_memory=[], mbufs=1024,
                           startup_timeout=10, command_timeout=10, log_level="notice"))
    yield n
    n.close()


def test_blocking_app(node):
    app = BlockingApp(node, "/bin/sh", "sh", ["-c", "echo starting; echo ready; exec sleep 30"])
    with app:
        pass
    assert app.returncode == -signal.SIGINT
    app.start_application(end_token="ready")
    assert app.alive() and "starting" in app.output()
    assert app.close(signal.SIGTERM) == -signal.SIGTERM and not app.alive()
    # Started again: a new process, the same log. (The first run, stopped
    # at once by the with-block, may or may not have printed its lines.)
    before = app.output().count("ready")
    app.start_application(end_token="ready")
    assert before >= 1 and app.output().count("ready") == before + 1
    node.kill_all()
    assert not app.alive()


def test_blocking_app_failures(node):
    early = BlockingApp(node, "/bin/sh", "early", ["-c", "echo bye; exit 3"])
    with pytest.raises(BlockingAppError, match=r"exited \(3\) before printing 'ready'"):
        early.start_application(end_token="ready")
    slow = BlockingApp(node, "/bin/sh", "slow", ["-c", "exec sleep 30"])
    with pytest.raises(BlockingAppError, match="not ready within 0.3 s"):
        slow.start_application(ready=lambda: False, timeout=0.3)
    assert slow.wait_for_exit(0.1) == -signal.SIGINT

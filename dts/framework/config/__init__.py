# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""dts/conf.yaml: which suites run, and how the system under test looks."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import List

import yaml

from framework.exception import ConfigError

DTS_DIR = Path(__file__).resolve().parents[2]
DEFAULT_CONF = DTS_DIR / "conf.yaml"


@dataclass
class NodeConfig:
    """The host the suites run on."""

    name: str
    lcores: List[int]
    eal_memory: List[str]
    mbufs: int
    startup_timeout: float
    command_timeout: float
    log_level: str


@dataclass
class TestRunConfig:
    """One entry of test_runs."""

    func: bool
    perf: bool
    test_suites: List[str]
    node: NodeConfig
    vdevs: List[str] = field(default_factory=list)


def _require(d: dict, key: str, where: str):
    if key not in d:
        raise ConfigError(f"{where}: missing key '{key}'")
    return d[key]


def load(path: Path = DEFAULT_CONF) -> TestRunConfig:
    """Load the first test run of @path (DTS_CONF in the environment overrides)."""
    path = Path(os.environ.get("DTS_CONF", path))
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError(f"{path}: {e}") from None
    runs = _require(data, "test_runs", str(path))
    if not runs:
        raise ConfigError(f"{path}: test_runs is empty")
    run = runs[0]
    sut = _require(run, "system_under_test_node", "test_runs[0]")
    node_name = _require(sut, "node_name", "system_under_test_node")
    nodes = {n["name"]: n for n in _require(data, "nodes", str(path))}
    if node_name not in nodes:
        raise ConfigError(f"{path}: no node named '{node_name}'")
    n = nodes[node_name]
    mem = n.get("memory", {})
    node = NodeConfig(
        name=node_name,
        lcores=[int(c) for c in str(n.get("lcores", "0,1")).split(",")],
        eal_memory=[str(a) for a in mem.get("eal", ["--no-huge", "-m", "512"])],
        mbufs=int(mem.get("mbufs", 16384)),
        startup_timeout=float(n.get("timeouts", {}).get("startup", 60)),
        command_timeout=float(n.get("timeouts", {}).get("command", 30)),
        log_level=str(n.get("log_level", "notice")),
    )
    if len(node.lcores) < 2:
        raise ConfigError(f"{path}: node {node_name} needs at least 2 lcores")
    return TestRunConfig(
        func=bool(run.get("func", True)),
        perf=bool(run.get("perf", False)),
        test_suites=[str(s) for s in run.get("test_suites", [])],
        node=node,
        vdevs=[str(v) for v in sut.get("vdevs", []) or []],
    )

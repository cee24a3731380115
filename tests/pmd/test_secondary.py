# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Secondary processes attach to a primary's net_ivshmem2 port.

Real server, stock dpdk-testpmd as the primary (A) and as the peer (B),
Debian's dpdk-proc-info and tests/pmd/ivshmem2_mp_secondary.c as secondaries
of A (same --file-prefix, --proc-type=secondary).
"""

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

import ivshmem2_paths
from ivshmem2_server import Server
from started import interrupt_process

TESTPMD = shutil.which("dpdk-testpmd") or "/usr/bin/dpdk-testpmd"
PROC_INFO = "/usr/bin/dpdk-proc-info"
SECONDARY = ivshmem2_paths.BUILD / "drivers" / "net" / "ivshmem2" / "ivshmem2_mp_secondary"
FRAMES = 20000


def _free_hugepages() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("HugePages_Free:"):
            return int(line.split()[1])
    return 0


@pytest.fixture
def env(tmp_path):
    """Server plus process bookkeeping; kills everything it started, even on failure."""
    if not Path(PROC_INFO).exists() or not Path(TESTPMD).exists():
        pytest.fail(f"{PROC_INFO} / {TESTPMD} missing: install Debian's dpdk package")
    if not SECONDARY.exists():
        pytest.fail(f"{SECONDARY} not built (ninja -C {ivshmem2_paths.BUILD})")
    if _free_hugepages() < 256:
        # Secondaries share the primary's memory: it must be hugepages, not --no-huge.
        pytest.skip("needs >= 256 free hugepages (scripts/setup.sh reserves them)")
    state = {"procs": [], "prefixes": []}
    srv = Server(size="16M", output_size="4M", max_peers=2, vectors=4, protocol=0x4932)
    state["server"] = srv
    state["pmd"] = str(ivshmem2_paths.safe_pmd_path())
    state["tmp"] = tmp_path
    yield state
    for p in reversed(state["procs"]):
        interrupt_process(p)
    srv.cleanup()
    for prefix in state["prefixes"]:
        shutil.rmtree(f"/var/run/dpdk/{prefix}", ignore_errors=True)


def _prefix(env, tag):
    prefix = f"iv2mp{os.getpid()}{tag}"
    env["prefixes"].append(prefix)
    return prefix


def _testpmd(env, name, eal, app, stdin=subprocess.DEVNULL):
    log = open(env["tmp"] / f"{name}.log", "w")
    vdev = f"net_ivshmem2,socket={env['server'].socket_path}"
    cmd = [TESTPMD, *eal, "-d", env["pmd"], "--vdev", vdev, "--", *app,
           "--total-num-mbufs", "8192"]
    p = subprocess.Popen(cmd, stdin=stdin, stdout=log, stderr=subprocess.STDOUT)
    env["procs"].append(p)
    return p


def _log(env, name):
    return (env["tmp"] / f"{name}.log").read_text(errors="replace")


def _proc_info(env, prefix, what):
    r = subprocess.run([PROC_INFO, "--file-prefix", prefix, "-d", env["pmd"], "--", what],
                       capture_output=True, text=True, timeout=120)
    return r.returncode, r.stdout + r.stderr


def _counter(text, name):
    m = re.search(rf"\b{name}:\s*(\d+)", text)
    return int(m.group(1)) if m else None


def _wait_counter(env, prefix, what, name, minimum, timeout=90):
    deadline = time.monotonic() + timeout
    out = ""
    while time.monotonic() < deadline:
        rc, out = _proc_info(env, prefix, what)
        value = _counter(out, name)
        if rc == 0 and value is not None and value >= minimum:
            return value, out
        time.sleep(2)
    raise AssertionError(f"{name} never reached {minimum} in {what}:\n{out}")


def test_proc_info_reads_counters_of_a_running_port(env):
    """dpdk-proc-info (a secondary) attaches and sees the primary's traffic."""
    a = _prefix(env, "a")
    pa = _testpmd(env, "a", ["-l", "0,1", "--file-prefix", a, "-m", "256"],
                  ["--forward-mode=txonly", "--stats-period", "5"])
    _testpmd(env, "b", ["--lcores", "0@1,1@0", "--file-prefix", _prefix(env, "b"),
                        "--no-huge", "-m", "256"],
             ["--forward-mode=rxonly", "--stats-period", "5"])
    tx, out = _wait_counter(env, a, "--stats", "TX-packets", 1)
    assert tx > 0
    assert "NIC statistics for port 0" in out
    good, xout = _wait_counter(env, a, "--xstats", "tx_good_packets", 1)
    assert _counter(xout, "link_up_events") == 1, xout
    assert pa.poll() is None, "primary died while secondaries attached:\n" + _log(env, "a")
    # The counters keep moving: the secondaries did not disturb the primary.
    later, _ = _wait_counter(env, a, "--xstats", "tx_good_packets", good + 1)
    assert later > good


def test_secondary_bursts_round_trip(env):
    """A secondary transmits and receives on the primary's port; every frame comes back."""
    a = _prefix(env, "a")
    # Interactive with an open stdin: the port is started, nobody forwards on it.
    pa = _testpmd(env, "a", ["-l", "0,1", "--file-prefix", a, "-m", "256"], ["-i"],
                  stdin=subprocess.PIPE)
    _testpmd(env, "b", ["--lcores", "0@1,1@0", "--file-prefix", _prefix(env, "b"),
                        "--no-huge", "-m", "256"],
             ["--forward-mode=macswap", "--stats-period", "5"])
    # Link up in the primary before the secondary sends.
    deadline = time.monotonic() + 90
    while "link_up_events: 1" not in _proc_info(env, a, "--xstats")[1]:
        assert time.monotonic() < deadline, "link never came up:\n" + _log(env, "a")
        time.sleep(2)

    r = subprocess.run([str(SECONDARY), "-l", "1", "--proc-type=secondary", "--file-prefix", a,
                        "-d", env["pmd"], "--", str(FRAMES)],
                       capture_output=True, text=True, timeout=180)
    out = r.stdout + r.stderr
    assert f"sent {FRAMES} received {FRAMES} corrupt 0" in out, out
    assert r.returncode == 0, out
    stats = re.search(r"tx_stats (\d+) rx_stats (\d+)", out)
    assert stats and int(stats.group(1)) >= FRAMES and int(stats.group(2)) >= FRAMES, out

    # The secondary's bursts are in the port's shared counters, and the
    # primary survived the secondary's exit.
    rc, info = _proc_info(env, a, "--stats")
    assert rc == 0, info
    assert _counter(info, "RX-packets") >= FRAMES, info
    assert _counter(info, "TX-packets") >= FRAMES, info
    assert pa.poll() is None, _log(env, "a")

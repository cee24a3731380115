# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Rx interrupts: stock l3fwd-power --interrupt-only sleeps while idle and wakes on traffic."""

import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from pmd_harness import Server, TestpmdShell

pytestmark = pytest.mark.pmd

EXAMPLE = Path("/usr/share/dpdk/examples/l3fwd-power")


@pytest.fixture(scope="module")
def l3fwd_power(tmp_path_factory):
    if not EXAMPLE.exists():
        pytest.skip("dpdk-doc example sources not installed (apt-get install dpdk-doc)")
    src = tmp_path_factory.mktemp("l3fwd-power") / "src"
    shutil.copytree(EXAMPLE, src)
    proc = subprocess.run(["make", "-j2"], cwd=src, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return src / "build" / "l3fwd-power"


def _cpu_ticks(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])    # utime + stime


def test_idle_receiver_sleeps_and_traffic_wakes_it(paths, short_tmp, l3fwd_power):
    srv = Server(paths.SERVER, short_tmp / "sock")
    app = tx = None
    try:
        log = open(short_tmp / "l3fwd.log", "w+")
        app = subprocess.Popen(
            [str(l3fwd_power), "-l", "1", "--no-huge", "-m", "512", "--no-pci",
             "--file-prefix", "pmdintr-app", "-d", str(paths.safe_pmd_path()),
             "--vdev", f"net_ivshmem2,socket={srv.sock}", "--",
             "-p", "0x1", "--config=(0,0,1)", "--interrupt-only", "--parse-ptype"],
            stdout=log, stderr=subprocess.STDOUT)
        tx = TestpmdShell(paths.safe_pmd_path(), "pmdintr-tx",
                          f"net_ivshmem2,socket={srv.sock}", lcores="0@1,1@0")
        assert tx.wait_link(True, timeout=60)
        time.sleep(3)                           # let start-up work finish
        t0 = _cpu_ticks(app.pid)
        time.sleep(3)
        idle = _cpu_ticks(app.pid) - t0
        hz = os.sysconf("SC_CLK_TCK")
        assert idle < 0.2 * 3 * hz, f"idle receiver used {idle} ticks in 3 s"

        log.seek(0)
        sleeps_before = log.read().count("sleeps until interrupt")
        tx.cmdline("set fwd txonly")
        tx.cmdline("start")
        time.sleep(2)
        tx.cmdline("stop")
        xs = tx.xstats()
        assert xs["tx_doorbells_sent"] > 0, xs      # the receiver asked for doorbells
        time.sleep(1)
        log.seek(0)
        text = log.read()
        assert text.count("sleeps until interrupt") > sleeps_before, text[-2000:]
        # Polling again after traffic, then back to sleep.
        t1 = _cpu_ticks(app.pid)
        time.sleep(3)
        assert _cpu_ticks(app.pid) - t1 < 0.2 * 3 * hz
        assert app.poll() is None, text[-2000:]
    finally:
        if tx:
            tx.kill()
        if app and app.poll() is None:
            app.send_signal(signal.SIGINT)
            try:
                app.wait(20)
            except subprocess.TimeoutExpired:
                app.kill()
                app.wait()
        srv.stop()

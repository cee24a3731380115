# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Secondary processes attach to a primary's net_ivshmem2 port.

Real server, stock dpdk-testpmd as the primary (A) and as the peer (B) (or
l3fwd-power, to show doorbells), Debian's dpdk-proc-info and
tests/pmd/ivshmem2_mp_secondary.c as secondaries of A (same --file-prefix,
--proc-type=secondary).
"""

import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from framework.ivshmem2.examples import build_example

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
    state = {"procs": [], "prefixes": [], "server": None}
    state["pmd"] = str(ivshmem2_paths.safe_pmd_path())
    state["tmp"] = tmp_path
    yield state
    for p in reversed(state["procs"]):
        if p.poll() is None:
            p.send_signal(signal.SIGCONT)   # in case a test held it
        interrupt_process(p)
    if state["server"] is not None:
        state["server"].cleanup()
    for prefix in state["prefixes"]:
        shutil.rmtree(f"/var/run/dpdk/{prefix}", ignore_errors=True)


def _server(env, **kwargs):
    """The group's server: 2 peers, 4 vectors, 4 MB sections unless @kwargs say otherwise."""
    opts = {"size": "16M", "output_size": "4M", "max_peers": 2, "vectors": 4}
    opts.update(kwargs)
    env["server"] = Server(protocol=0x4932, **opts)
    return env["server"]


def _prefix(env, tag):
    prefix = f"iv2mp{os.getpid()}{tag}"
    env["prefixes"].append(prefix)
    return prefix


# Where primaries put their memory. Secondaries must map the same range; the
# kernel's pick (near the libraries, different in every process with ASLR) is
# sometimes taken in the secondary, mostly under ASan, whose shadow and
# allocator regions move the rest. Far above both, it is free in every process.
PRIMARY_BASE_VIRTADDR = "0x200000000000"


def _testpmd(env, name, eal, app, stdin=subprocess.DEVNULL):
    log = open(env["tmp"] / f"{name}.log", "w")
    vdev = f"net_ivshmem2,socket={env['server'].socket_path}"
    cmd = [TESTPMD, "--base-virtaddr", PRIMARY_BASE_VIRTADDR, *eal, "-d", env["pmd"],
           "--vdev", vdev, "--", *app,
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
    _server(env)
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
    _server(env)
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


def _wait_log(env, name, pattern, timeout, since=0, alive=()):
    """The first match of @pattern in <name>.log after offset @since; the
    processes in @alive must keep running meanwhile."""
    deadline = time.monotonic() + timeout
    while True:
        m = re.search(pattern, _log(env, name)[since:])
        if m:
            return m
        for proc, pname in alive:
            assert proc.poll() is None, \
                f"{pname} exited ({proc.returncode}):\n" + _log(env, pname)[-3000:]
        assert time.monotonic() < deadline, \
            f"no {pattern!r} in {name}'s output after {timeout} s:\n" + _log(env, name)[-3000:]
        time.sleep(0.2)


def _wait_link_up(env, prefix, ups=1, timeout=90):
    """Until the primary's port counted @ups link-ups."""
    deadline = time.monotonic() + timeout
    while (_counter(_proc_info(env, prefix, "--xstats")[1], "link_up_events") or 0) < ups:
        assert time.monotonic() < deadline, f"link up #{ups} never came:\n" + _log(env, "a")
        time.sleep(1)


WAKE = r"lcore \d+ is waked up from rx interrupt on port 0 queue {}\b"
RING_FRAMES = 20


def _l3fwd_power(env, name, queues):
    """Stock l3fwd-power as the peer, asleep on the rx interrupts of @queues rx queues."""
    binary = build_example("l3fwd-power")
    vdev = f"net_ivshmem2,socket={env['server'].socket_path}"
    config = ",".join(f"(0,{q},1)" for q in range(queues))
    log = open(env["tmp"] / f"{name}.log", "w")
    # l3fwd-power logs its wake-ups as USER1 at INFO: only the global level reaches them.
    p = subprocess.Popen(["stdbuf", "-oL", "-eL", str(binary), "-l", "1", "--no-pci",
                          "--file-prefix", _prefix(env, name), "--no-huge", "-m", "256",
                          "-d", env["pmd"], "--vdev", vdev, "--log-level=7", "--",
                          "-p", "0x1", f"--config={config}", "--interrupt-only",
                          "--parse-ptype"],
                         stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    env["procs"].append(p)
    return p


def test_secondary_rings_every_vector(env):
    """A secondary's doorbells reach vectors beyond one rte_mp reply's 8 fds.

    12 vectors per peer; the peer (l3fwd-power) sleeps on 8 rx queues, queue
    q on vector q + 1. The secondary sends single frames on the primary's tx
    queues 0 (vector 1) and 7 (vector 8): each frame must wake the peer's
    queue through its eventfd, not by the 10 ms poll l3fwd-power falls back
    to, which logs no wake-up.
    """
    _server(env, size="48M", output_size="20M", vectors=12)
    a = _prefix(env, "a")
    pa = _testpmd(env, "a", ["-l", "0,1", "--file-prefix", a, "-m", "256"],
                  ["-i", "--rxq=8", "--txq=8"], stdin=subprocess.PIPE)
    peer = _l3fwd_power(env, "l3fwd-power", 8)
    _wait_link_up(env, a)
    _wait_log(env, "l3fwd-power", r"Link up", timeout=60, alive=[(peer, "l3fwd-power")])
    time.sleep(2)   # the peer is asleep on its queues' eventfds

    for txq in (0, 7):
        mark = len(_log(env, "l3fwd-power"))
        r = subprocess.run([str(SECONDARY), "-l", "1", "--proc-type=secondary", "--file-prefix",
                            a, "-d", env["pmd"], "--", "ring", str(txq), str(RING_FRAMES),
                            "100"], capture_output=True, text=True, timeout=120)
        out = r.stdout + r.stderr
        assert r.returncode == 0, out
        assert f"ring txq {txq} sent {RING_FRAMES} " in out, out
        wakes = re.findall(WAKE.format(txq), _log(env, "l3fwd-power")[mark:])
        assert len(wakes) >= RING_FRAMES // 2, \
            f"{RING_FRAMES} frames on tx queue {txq} (vector {txq + 1}) woke the peer's " \
            f"queue {len(wakes)} times:\n{out}"
    assert peer.poll() is None, _log(env, "l3fwd-power")[-3000:]
    assert pa.poll() is None, _log(env, "a")[-3000:]


def _secondary(env, name, prefix, *args):
    """ivshmem2_mp_secondary in the background, output in <tmp>/<name>.log."""
    log = open(env["tmp"] / f"{name}.log", "w")
    p = subprocess.Popen([str(SECONDARY), "-l", "1", "--proc-type=secondary", "--file-prefix",
                          prefix, "-d", env["pmd"], "--", *map(str, args)],
                         stdout=log, stderr=subprocess.STDOUT)
    env["procs"].append(p)
    return p


PROGRESS = r"progress sent (\d+) received (\d+) corrupt (\d+)"


def _soak_received(env):
    """Frames back intact according to the soaking secondary's last progress line."""
    found = re.findall(PROGRESS, _log(env, "soak"))
    return int(found[-1][1]) if found else 0


def _wait_soak_received(env, soak, minimum, timeout):
    deadline = time.monotonic() + timeout
    while _soak_received(env) < minimum:
        assert soak.poll() is None, \
            f"secondary died ({soak.returncode}):\n" + _log(env, "soak")[-3000:]
        assert time.monotonic() < deadline, \
            f"secondary got fewer than {minimum} frames back in {timeout} s:\n" + \
            _log(env, "soak")[-3000:]
        time.sleep(0.5)


@pytest.mark.parametrize("held", ["b", "a"], ids=["same-id", "new-id"])
def test_secondary_traffic_survives_server_restart(env, held):
    """A secondary bursting on the primary's port while the server restarts.

    The server comes back with new memory; the process held with SIGSTOP
    meanwhile reconnects last and so becomes peer 1: with the peer (B) held,
    the primary (A) keeps ID 0; with A held, B takes 0 and A comes back as
    peer 1, with its own section (the only one it and its secondary may
    write) elsewhere. The secondary must follow: no crash, no writes into
    memory nobody reads, and its round trips flow again.
    """
    srv = _server(env)
    a = _prefix(env, "a")
    pa = _testpmd(env, "a", ["-l", "0,1", "--file-prefix", a, "-m", "256",
                             "--log-level=pmd.net.ivshmem2:info"], ["-i"],
                  stdin=subprocess.PIPE)
    _wait_log(env, "a", r"joined as peer 0 ", timeout=60, alive=[(pa, "a")])
    pb = _testpmd(env, "b", ["--lcores", "0@1,1@0", "--file-prefix", _prefix(env, "b"),
                             "--no-huge", "-m", "256"],
                  ["--forward-mode=macswap", "--stats-period", "5"])
    _wait_link_up(env, a)
    soak = _secondary(env, "soak", a, "soak", 300)
    _wait_soak_received(env, soak, 2000, timeout=60)

    hold = pa if held == "a" else pb
    free = "b" if held == "a" else "a"
    mark = len(_log(env, free))
    hold.send_signal(signal.SIGSTOP)
    try:
        srv.stop()
        srv.start()
        # The free one's own word that it is back, not the server's: the
        # server logs a join before the newcomer has taken its messages.
        free_id = int(_wait_log(env, free, r"reconnected to the server as peer (\d+)",
                                timeout=60, since=mark).group(1))
        assert free_id == 0, f"{free} came back as peer {free_id}:\n" + srv.log()[-3000:]
    finally:
        hold.send_signal(signal.SIGCONT)
    new_id = int(_wait_log(env, "a", r"reconnected to the server as peer (\d+)", timeout=60,
                           alive=[(pa, "a"), (soak, "soak")]).group(1))
    assert new_id == (1 if held == "a" else 0), \
        _log(env, "a")[-3000:] + "\nserver:\n" + srv.log()[-3000:]
    _wait_link_up(env, a, ups=2)

    before = _soak_received(env)
    _wait_soak_received(env, soak, before + 2000, timeout=60)
    soak.send_signal(signal.SIGINT)
    soak.wait(30)
    out = _log(env, "soak")
    assert soak.returncode == 0, out[-3000:]
    assert re.search(r"soak sent \d+ received \d+ corrupt 0\b", out), out[-3000:]
    assert pa.poll() is None, _log(env, "a")


def _wakes(env, queue, since):
    return len(re.findall(WAKE.format(queue), _log(env, "l3fwd-power")[since:]))


def _wait_wakes(env, queue, since, minimum, timeout, alive):
    deadline = time.monotonic() + timeout
    while _wakes(env, queue, since) < minimum:
        for proc, pname in alive:
            assert proc.poll() is None, \
                f"{pname} exited ({proc.returncode}):\n" + _log(env, pname)[-3000:]
        assert time.monotonic() < deadline, \
            f"{_wakes(env, queue, since)} wake-ups of the peer's queue {queue} in {timeout} s " \
            f"(wanted {minimum}):\n" + _log(env, "ring")[-2000:]
        time.sleep(0.5)


@pytest.mark.parametrize("held", ["b", "a"], ids=["same-id", "new-id"])
def test_secondary_doorbells_follow_server_restart(env, held):
    """A secondary's doorbells still reach the peer after a server restart.

    The peer (l3fwd-power, 8 rx queues asleep on vectors 1..8 of 12) gets a
    new eventfd for every vector from the restarted server. The secondary
    rings vector 8 (a frame every 100 ms on the primary's tx queue 7) before
    and after the restart. With the peer held until the secondary followed
    the primary (A) to the new memory, A keeps ID 0 and learns the peer's new
    eventfds only later (the secondary must fetch them again then); with A
    held, A comes back as peer 1 with the peer's eventfds already known.
    """
    srv = _server(env, size="48M", output_size="20M", vectors=12)
    a = _prefix(env, "a")
    pa = _testpmd(env, "a", ["-l", "0,1", "--file-prefix", a, "-m", "256",
                             "--log-level=pmd.net.ivshmem2:info"], ["-i", "--rxq=8", "--txq=8"],
                  stdin=subprocess.PIPE)
    _wait_log(env, "a", r"joined as peer 0 ", timeout=60, alive=[(pa, "a")])
    peer = _l3fwd_power(env, "l3fwd-power", 8)
    _wait_link_up(env, a)
    _wait_log(env, "l3fwd-power", r"Link up", timeout=60, alive=[(peer, "l3fwd-power")])
    time.sleep(2)   # past the wake-ups of the link coming up
    mark = len(_log(env, "l3fwd-power"))
    ring = _secondary(env, "ring", a, "ring", 7, 3000, 100)
    alive = [(pa, "a"), (peer, "l3fwd-power"), (ring, "ring")]
    _wait_wakes(env, 7, mark, 5, timeout=30, alive=alive)

    hold = pa if held == "a" else peer
    hold.send_signal(signal.SIGSTOP)
    try:
        srv.stop()
        srv.start()
        if held == "a":
            srv.wait_log(r"peer 0 joined", count=2, timeout=60)
        else:
            # The secondary follows A before the peer's new eventfds exist.
            _wait_log(env, "ring", r"follows the primary to its new shared memory",
                      timeout=60, alive=[(pa, "a"), (ring, "ring")])
    finally:
        hold.send_signal(signal.SIGCONT)
    new_id = int(_wait_log(env, "a", r"reconnected to the server as peer (\d+)", timeout=60,
                           alive=alive).group(1))
    assert new_id == (1 if held == "a" else 0), _log(env, "a")[-3000:]
    _wait_link_up(env, a, ups=2)
    time.sleep(2)   # past the wake-ups of the link coming up
    _wait_wakes(env, 7, len(_log(env, "l3fwd-power")), 10, timeout=60, alive=alive)
    ring.send_signal(signal.SIGINT)
    ring.wait(30)
    assert ring.returncode == 0, _log(env, "ring")[-3000:]

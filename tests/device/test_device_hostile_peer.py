# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""A peer that abuses the shared eventfds cannot stall QEMU.

Group of the real server: QEMU (ID 0), an honest host peer (ID 1) and
tests/lib/hostile_fd_holder.py (ID 2), which holds the eventfds the server
hands every peer, makes them blocking (a property of the shared file) and
fills or drains their counters. While it does, every qtest command (register
reads, doorbells and State writes that signal the hostile peer) must answer
within BOUND seconds, and doorbells between QEMU and the honest peer must
still arrive.
"""

import subprocess
import sys
import time
from pathlib import Path

import pytest

import ivshmem2_paths
import ivshmem2_wire as w
from device_harness import SLOT, GroupConfig, device_args, wait_until
from device_qtest import MSI_ADDR_BASE, Msix, PciFunction
from ivshmem2_peer import Peer
from test_device_hotplug import ACPI_PCIHP_EJECT, eventfds

pytestmark = pytest.mark.qemu

CONFIG = GroupConfig(peers=3, vectors=2, size="64K")
QEMU_ID, HONEST_ID, HOSTILE_ID = 0, 1, 2
BOUND = 1.5         # seconds any qtest command may take under attack
ATTACK = 3.0        # seconds of attack per test
STRACE_DELAY = 0.4   # seconds strace holds back each write of the signalling thread
HOLDER = ivshmem2_paths.REPO / "tests" / "lib" / "hostile_fd_holder.py"


def host_fired(host, vector, timeout):
    try:
        return host.wait_vector(vector, timeout=timeout) > 0
    except TimeoutError:
        return False


class Timed:
    """Runs qtest commands and keeps the slowest round trip."""

    def __init__(self, qt):
        self.qt = qt
        self.worst = 0.0
        # A QEMU that blocks never answers: fail the test, not the session.
        qt.sock.settimeout(BOUND * 4)

    def __call__(self, fn, *args, **kwargs):
        start = time.monotonic()
        try:
            result = fn(*args, **kwargs)
        except OSError as err:  # socket.timeout included
            raise AssertionError(f"QEMU did not answer {fn.__name__}{args} within "
                                 f"{BOUND * 4} s: it is blocked") from err
        self.worst = max(self.worst, time.monotonic() - start)
        return result


@pytest.fixture
def group_under_attack(start_group, start_qemu, workdir):
    """start(attack args) -> (qt, bar0, msix, honest Peer, holder Popen)."""
    procs = []
    hosts = []

    def start(*attack, victim=False):
        group = start_group(CONFIG)
        # debug-threads: the signalling thread is found by its name
        qt = start_qemu(device_args(group.socket) + ["-name", "victim,debug-threads=on"],
                        name="victim")
        pci = PciFunction(qt, SLOT)
        pci.map_bars()
        msix = Msix(pci)
        msix.enable()
        bar0 = pci.bars[0]
        qt.writel(bar0 + w.REG_INT_CONTROL, 1)
        assert qt.readl(bar0 + w.REG_ID) == QEMU_ID
        host = Peer(group.socket)
        hosts.append(host)
        host.wait_ready()
        assert host.id == HONEST_ID
        holder = subprocess.Popen(
            [sys.executable, str(HOLDER), "-S", str(group.socket),
             "--wait-peers", f"{QEMU_ID},{HONEST_ID}"] + list(attack)
            + (["--victim", str(qt.proc.pid)] if victim else []),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True)
        procs.append(holder)
        line = holder.stdout.readline()
        assert line.startswith(f"ready {HOSTILE_ID}"), line + holder.stdout.read()
        host.wait_peer(HOSTILE_ID)
        time.sleep(0.3)  # QEMU learns of ID 2 at the same time as the host peer
        return qt, bar0, msix, host, holder

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    for host in hosts:
        host.close()


def stop_holder(holder):
    holder.terminate()
    out, _ = holder.communicate(timeout=30)
    counts = dict(kv.split("=") for kv in out.split())
    return {k: int(v) for k, v in counts.items()}


def check_honest_traffic(timed, qt, bar0, msix, host):
    """QEMU -> honest peer on both vectors, and honest peer -> QEMU on vector 0."""
    for vector in (0, 1):
        timed(qt.writel, bar0 + w.REG_DOORBELL, w.doorbell(HONEST_ID, vector))
        assert host_fired(host, vector, timeout=2 * BOUND), \
            f"doorbell to the honest peer's vector {vector} lost"
    host.ring(QEMU_ID, 0)
    deadline = time.monotonic() + 2 * BOUND
    while not timed(msix.fired, 0):
        assert time.monotonic() < deadline, "the honest peer's doorbell to QEMU lost"
        time.sleep(0.01)


def test_full_blocking_eventfds_do_not_block_signalling(group_under_attack):
    """The hostile peer fills its vector 0 and never reads, races on vector 1."""
    qt, bar0, msix, host, holder = group_under_attack(
        "--fill", f"{HOSTILE_ID}:0", "--race", f"{HOSTILE_ID}:1")
    timed = Timed(qt)
    deadline = time.monotonic() + ATTACK
    state = 1
    while time.monotonic() < deadline:
        timed(qt.readl, bar0 + w.REG_ID)
        for vector in (0, 1):
            timed(qt.writel, bar0 + w.REG_DOORBELL, w.doorbell(HOSTILE_ID, vector))
        # a State change signals vector 0 of every other peer, the full one too
        timed(qt.writel, bar0 + w.REG_STATE, state)
        state += 1
        assert host_fired(host, 0, timeout=2 * BOUND), "State change not signalled"
        check_honest_traffic(timed, qt, bar0, msix, host)
    # A reset signals vector 0 of the others as well (the full one too).
    qt.qmp().execute("system_reset")
    for _ in range(10):
        timed(qt.readl, MSI_ADDR_BASE)
        time.sleep(0.05)
    assert qt.alive()
    counts = stop_holder(holder)
    assert counts["filled"] == 1 and counts["raced"] > 0, counts
    assert timed.worst < BOUND, f"a qtest command took {timed.worst:.2f} s"


def test_stolen_counts_do_not_block_receiving(group_under_attack):
    """The hostile peer reads QEMU's own vector 1 from blocked threads and adds
    counts to it: QEMU, woken with the thieves, may find the count gone."""
    qt, bar0, msix, host, holder = group_under_attack(
        "--steal", f"{QEMU_ID}:1", victim=True)
    timed = Timed(qt)
    deadline = time.monotonic() + ATTACK
    while time.monotonic() < deadline:
        timed(qt.readl, bar0 + w.REG_ID)
        timed(msix.fired, 1)
        check_honest_traffic(timed, qt, bar0, msix, host)
        time.sleep(0.02)
    assert qt.alive()
    counts = stop_holder(holder)
    assert counts["poked"] > 100 and counts["stolen"] > 0, counts
    assert timed.worst < BOUND, f"a qtest command took {timed.worst:.2f} s"


def tell(holder, command):
    holder.stdin.write(command + "\n")
    holder.stdin.flush()
    return holder.stdout.readline().strip()


def signal_thread(qt):
    for task in Path(f"/proc/{qt.proc.pid}/task").iterdir():
        if (task / "comm").read_text().strip() == "ivshmem2-signal":
            return int(task.name)
    raise AssertionError("QEMU has no ivshmem2-signal thread")


def test_hung_write_is_unstuck(group_under_attack):
    """The hostile peer fills its counter between the signalling thread's
    check for room and its write (strace holds the write back): the write
    hangs until the watchdog takes the count; that eventfd is not rung again
    and QEMU stays responsive throughout."""
    qt, bar0, msix, host, holder = group_under_attack("--hold", f"{HOSTILE_ID}:0")
    timed = Timed(qt)
    tracer = subprocess.Popen(
        ["strace", "-qq", "-o", "/dev/null", "-e", "trace=write",
         "-e", f"inject=write:delay_enter={int(STRACE_DELAY * 1e6)}",
         "-p", str(signal_thread(qt))],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        text=True)
    try:
        time.sleep(0.5)  # attached
        assert tracer.poll() is None, tracer.stderr.read()
        timed(qt.writel, bar0 + w.REG_DOORBELL, w.doorbell(HOSTILE_ID, 0))
        time.sleep(STRACE_DELAY / 4)  # the thread saw room and waits in strace
        assert tell(holder, f"fill {HOSTILE_ID}:0") == "filled"
        deadline = time.monotonic() + STRACE_DELAY + 5
        while "hung" not in qt.stderr():
            assert time.monotonic() < deadline, qt.stderr()
            timed(qt.readl, bar0 + w.REG_ID)
            time.sleep(0.01)
    finally:
        tracer.terminate()
        tracer.wait()
    assert f"doorbell to peer {HOSTILE_ID} vector 0 hung" in qt.stderr()
    # the stuck write went through once the watchdog took the count
    assert tell(holder, f"peek {HOSTILE_ID}:0") == "count 1"
    # not rung again, whatever the guest does
    for _ in range(5):
        timed(qt.writel, bar0 + w.REG_DOORBELL, w.doorbell(HOSTILE_ID, 0))
    timed(qt.writel, bar0 + w.REG_STATE, 7)
    assert host_fired(host, 0, timeout=2 * BOUND)
    time.sleep(0.2)
    assert tell(holder, f"peek {HOSTILE_ID}:0") == "count 1"
    check_honest_traffic(timed, qt, bar0, msix, host)
    stop_holder(holder)
    assert timed.worst < BOUND, f"a qtest command took {timed.worst:.2f} s"


def signal_threads_left(qt):
    """Threads of QEMU named ivshmem2-signal (one that exited is gone from /proc)."""
    left = 0
    for t in Path(f"/proc/{qt.proc.pid}/task").iterdir():
        try:
            left += (t / "comm").read_text().strip() == "ivshmem2-signal"
        except OSError:
            pass    # exited between listing and reading
    return left


def test_unplug_while_a_write_hangs(start_group, start_qemu):
    """device_del while the signalling thread is stuck in a write to a full,
    blocking eventfd: unrealize takes the count, joins the thread and gives
    every eventfd back; QEMU keeps answering."""
    group = start_group(GroupConfig(peers=2, vectors=1, size="64K"))
    qt = start_qemu(["-chardev", f"socket,path={group.socket},id=ivs",
                     "-name", "victim,debug-threads=on"], machine="pc")
    qmp = qt.qmp()
    baseline = eventfds(qt)
    reply = qmp.execute("device_add", driver="ivshmem2", id="iv0", chardev="ivs",
                        addr=f"{SLOT:x}.0")
    assert reply == {"return": {}}, reply
    pci = PciFunction(qt, SLOT)
    bar0 = pci.map_bars()[0]
    holder = subprocess.Popen(
        [sys.executable, str(HOLDER), "-S", str(group.socket), "--wait-peers", "0",
         "--hold", "1:0"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    tracer = None
    try:
        assert holder.stdout.readline().startswith("ready 1")
        timed = Timed(qt)
        assert wait_until(lambda: eventfds(qt) == baseline + 2), "peer 1 not known"
        tracer = subprocess.Popen(
            ["strace", "-qq", "-o", "/dev/null", "-e", "trace=write",
             "-e", f"inject=write:delay_enter={int(STRACE_DELAY * 1e6)}",
             "-p", str(signal_thread(qt))],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        timed(qt.writel, bar0 + w.REG_DOORBELL, w.doorbell(1, 0))
        time.sleep(STRACE_DELAY / 4)
        assert tell(holder, "fill 1:0") == "filled"
        assert timed(qmp.execute, "device_del", id="iv0") == {"return": {}}
        timed(qt.outl, ACPI_PCIHP_EJECT, 1 << SLOT)
        assert wait_until(lambda: timed(pci.cfg_read16, 0) == 0xFFFF), "device not removed"
        assert wait_until(lambda: eventfds(qt) == baseline), "eventfds leaked"
        # Joined; its /proc entry goes once strace, still attached, has reaped it.
        assert wait_until(lambda: not signal_threads_left(qt)), "signal thread left"
        assert qt.alive()
        assert timed.worst < BOUND + STRACE_DELAY, f"a command took {timed.worst:.2f} s"
    finally:
        if tracer:
            tracer.terminate()
            tracer.wait()
        holder.kill()
        holder.wait()

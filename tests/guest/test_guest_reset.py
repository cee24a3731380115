# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""A guest reset under traffic, the fault no host-only test can make.

A host vdev peer (stock testpmd, io forwarding) and testpmd in a guest (PCI
attachment) pass a burst back and forth. The host resets the guest (QMP
system_reset, the reset button: no shutdown, no process exits). The device's
reset clears its state-table entry; the host's link must be down within
100 ms of that, the host must ride out the reboot, and once the rebooted
guest's testpmd brings the link back, the traffic must be back within 1 s.
Before the reset and after the return, with forwarding stopped, the host
holds the same fds, shared memory maps and mbufs, and QEMU the same
eventfds and memfds.

Times as in tests/pmd/faults_run.py: the state-table clear is seen through
the server's memfd, link changes are the arrival of testpmd's event lines,
"traffic back" the first 20 ms poll whose RX-packets grew.
"""

import os
import threading
import time

import pytest

import ivshmem2_paths
from framework.params.testpmd import SimpleForwardingModes
from guest_scripts import PREPARE, SERVER_OPTIONS, WAIT_FILE, guest_config, guest_eal, \
    require_built, wait_for

pytestmark = [pytest.mark.guest, pytest.mark.qemu, pytest.mark.pmd, pytest.mark.slow]

DEPART_MS = 100.0
BACK_MS = 1000.0

RESET_TESTPMD = ("dpdk-testpmd " + guest_eal("reset") +
                 " -- --forward-mode=io --tx-first --stats-period 2 --total-num-mbufs 16384")
# The results directory outlives the reset: the first boot leaves a mark and
# runs testpmd until the reset takes the whole machine away; the second boot
# runs it until the host says stop, then ends the guest.
RESET_GUEST = PREPARE + WAIT_FILE + f"""
if [ ! -e /results/first-boot ]; then
	touch /results/first-boot
	{RESET_TESTPMD} >/results/first.log 2>&1 &
	wait_file /results/never 1000
	echo "guest: not reset within 1000 s" >&2
	exit 1
fi
{RESET_TESTPMD} >/results/second.log 2>&1 &
pid=$!
wait_file /results/stop-now 400
kill -INT $pid
wait $pid
"""


def _device_fds(pid: int) -> int:
    """QEMU's eventfds and memfds: the device's doorbells and shared memory.
    (All its fds would not do: the 9p shares open and close files.)"""
    n = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        n += target == "anon_inode:[eventfd]" or target.startswith("/memfd:")
    return n


def test_guest_reset_under_traffic_host_link_down_then_back(
        guest_harness, ivshmem2_server, background_guests, host_node, results_dir):
    from faults_run import StateTable
    from framework.testbed_model.virtual_device import VirtualDevice
    from sanitized import Victim, resources

    require_built(ivshmem2_paths.PMD)
    srv = ivshmem2_server(*SERVER_OPTIONS)
    host = Victim(host_node, [VirtualDevice(f"net_ivshmem20,socket={srv.sock}")],
                  name="host-reset").start_application()
    host.set_forward_mode(SimpleForwardingModes.io)
    host.start()
    (guest,) = background_guests([RESET_GUEST], results_dir,
                                 config=guest_config(srv.sock, reboot=True))

    def rx():
        return host.show_port_stats(0).rx_packets

    def snapshot():
        host.stop()
        time.sleep(0.3)
        pools = host.mempool_in_use()
        host.start()
        assert pools, "dump_mempool: no mempool in testpmd's answer"
        r = vars(resources(host.pid)).copy()
        r["mbufs_in_use"] = sum(pools.values())
        r["qemu_device_fds"] = _device_fds(guest.proc.pid)
        return r

    wait_for(lambda: host.show_port_info(0).is_link_up, 400, "host link up", guests=[guest])
    wait_for(lambda: rx() > 1000, 120, "traffic from the guest", guests=[guest])
    before = snapshot()

    table = StateTable(srv.proc.pid, 2)
    states = table.entries()
    assert states == [3, 3], f"state table before the reset: {states} (both peers RUN expected)"
    mark = host.event_count()
    # Watch the table from before the command: QEMU answers QMP only when its
    # main loop gets to it, which under TCG can be after the reset is done.
    cleared = []
    watcher = threading.Thread(target=lambda: cleared.append(table.wait_cleared(states, 10)))
    watcher.start()
    t_reset = time.monotonic()
    guest.qmp("system_reset")
    watcher.join()
    t_clear = cleared[0]
    assert t_clear is not None, f"the reset left the state table at {table.entries()}"
    t_down = host.wait_event(mark, 5)
    assert t_down is not None and not host.show_port_info(0).is_link_up, \
        "no link-down event on the host after the reset:\n" + host.output()[-3000:]
    down_ms = (t_down - t_clear) * 1000
    print(f"guest reset: state cleared {(t_clear - t_reset) * 1000:.1f} ms after "
          f"system_reset, host link down {down_ms:.1f} ms after the clear")
    assert down_ms <= DEPART_MS, f"link down {down_ms:.1f} ms after the state clear"
    assert host.alive() and guest.proc.poll() is None, "QEMU ended instead of rebooting"

    # The guest boots again (TCG: tens of seconds) and its testpmd returns.
    mark = host.event_count()
    wait_for(lambda: (guest.dir / "second.log").exists(), 400,
             "the second boot's testpmd", guests=[guest])
    t_up = None
    deadline = time.monotonic() + 400
    while t_up is None and time.monotonic() < deadline:
        t = host.wait_event(mark, deadline - time.monotonic())
        assert t is not None, "link never came back:\n" + host.output()[-3000:]
        mark += 1
        if host.show_port_info(0).is_link_up:
            t_up = t
    base = rx()
    t_rx = None
    while time.monotonic() < t_up + 10:
        time.sleep(0.02)
        if rx() > base:
            t_rx = time.monotonic()
            break
    assert t_rx is not None, "no traffic within 10 s of the link coming back"
    back_ms = (t_rx - t_up) * 1000
    print(f"guest reset: traffic back {back_ms:.1f} ms after the host's link up")
    assert back_ms <= BACK_MS, f"traffic back {back_ms:.1f} ms after link up"
    wait_for(lambda: rx() > base + 1000, 120, "traffic after the reboot", guests=[guest])

    after = snapshot()
    for key in ("fds", "shm_maps", "dev_shm", "dev_hugepages", "mbufs_in_use", "qemu_device_fds"):
        assert after[key] == before[key], f"{key}: {before[key]} before the reset, " \
                                          f"{after[key]} after\nbefore {before}\nafter {after}"
    (guest.dir / "stop-now").touch()
    from harness import finish_guests
    (guest,) = finish_guests([guest], timeout=200)
    guest.assert_ok()
    assert host.alive()
    assert not host.sanitizer_reports(), "\n".join(host.sanitizer_reports())

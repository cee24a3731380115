# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Traffic through net_ivshmem2's PCI attachment in TCG guests:
integrity across two guests, a guest next to a host vdev peer, the
heartbeat after kill -9 of a guest's application, and rx interrupts
(MSI-X through vfio-pci) waking l3fwd-power in a guest."""

import re

import pytest

import harness
import ivshmem2_paths
from framework.params.testpmd import SimpleForwardingModes
from guest_scripts import (PKTCHECK, PREPARE, PREPARE_NO_WAIT, SERVER_OPTIONS, WAIT_FILE,
                           assert_clean_rx, forward_stats, guest_config, guest_eal,
                           pktcheck_json, require_built, wait_for)

pytestmark = [pytest.mark.guest, pytest.mark.qemu, pytest.mark.pmd, pytest.mark.slow]

# Random sizes 60..9000 from one seed on both sides; frames above the mbuf
# data room (2048) are chained on TX and scattered on RX.
SIZES = "random:60-9000"
SEED = 7
GUEST_FRAMES = 100000


def pktcheck_in_guest(mode: str, prepare: str, extra: str = "") -> str:
    return prepare + (
        f"{PKTCHECK} {guest_eal('pc-' + mode)} -- --mode {mode} --frames {GUEST_FRAMES} "
        f"--sizes {SIZES} --seed {SEED} --link-timeout 400 --timeout 500 --progress 10 "
        f"--linger 2 {extra}\n")


def test_pktcheck_across_two_guests_every_frame_verified(guest_harness, ivshmem2_server,
                                                         results_dir):
    """Guest A sends 100000 numbered frames of 60..9000 bytes, guest B
    verifies each: received == sent, none corrupt, duplicated or reordered."""
    require_built(ivshmem2_paths.PMD, PKTCHECK)
    srv = ivshmem2_server(*SERVER_OPTIONS)
    # The receiver binds first; the sender waits until the receiver's port runs.
    rx_cmd = pktcheck_in_guest("rx", PREPARE_NO_WAIT)
    tx_cmd = pktcheck_in_guest("tx", PREPARE)
    rx_guest, tx_guest = guest_harness.run_guests([rx_cmd, tx_cmd], results_dir,
                                                  config=guest_config(srv.sock), timeout=900,
                                                  names=["rx", "tx"])
    tx_guest.assert_ok()
    rx_guest.assert_ok()
    tx = pktcheck_json(tx_guest.stdout, "sender")
    rx = pktcheck_json(rx_guest.stdout, "receiver")
    assert tx["ok"] and tx["tx"]["frames"] == GUEST_FRAMES and tx["tx"]["fins_sent"] == 1, tx
    assert_clean_rx(rx, GUEST_FRAMES, "receiver")
    assert rx["rx"]["frames"] == rx["rx"]["ok"]
    # Jumbo frames really went through: MTU from the largest size, RX scatter on.
    assert "rx scatter on" in rx_guest.stdout, rx_guest.stdout[-2000:]
    assert rx["rx"]["bytes"] > GUEST_FRAMES * 2048, rx["rx"]
    # The PMD's own counter agrees (+ the FIN).
    assert rx["port"]["ipackets"] == GUEST_FRAMES + rx["rx"]["fins"], rx["port"]
    for r in (rx_guest, tx_guest):
        assert "Probe PCI driver: net_ivshmem2_pci (110a:4106)" in r.stderr, r.describe()


def test_guest_and_host_vdev_peer_both_directions(guest_harness, ivshmem2_server,
                                                 background_guests, host_node, results_dir):
    """One peer is a guest (PCI attachment), the other a host process with
    --vdev net_ivshmem2: both send and verify the other's frames."""
    from framework.ivshmem2.pktcheck import Pktcheck
    from framework.testbed_model.virtual_device import VirtualDevice

    require_built(ivshmem2_paths.PMD, PKTCHECK)
    srv = ivshmem2_server(*SERVER_OPTIONS)
    common = ["--frames", str(GUEST_FRAMES), "--sizes", SIZES, "--seed", str(SEED),
              "--link-timeout", "400", "--timeout", "500", "--linger", "2"]
    host = Pktcheck(host_node, [VirtualDevice(f"net_ivshmem20,socket={srv.sock}")],
                    ["--mode", "both", "--id", "1", *common], name="host-pc").start_application()
    guest_cmd = pktcheck_in_guest("both", PREPARE, "--id 2")
    guests = background_guests([guest_cmd], results_dir, config=guest_config(srv.sock))
    (guest,) = harness.finish_guests(guests, timeout=900)
    host_result = host.wait(120)
    guest.assert_ok()
    g = pktcheck_json(guest.stdout, "guest")
    h = host_result.data
    assert host_result.ok, f"host: {host_result.errors}\n{host_result.summary()}"
    assert g["tx"]["frames"] == GUEST_FRAMES == h["tx"]["frames"], (g["tx"], h["tx"])
    assert_clean_rx(g, h["tx"]["frames"], "guest")
    assert_clean_rx(h, g["tx"]["frames"], "host")
    # Link up on both sides (pktcheck would have failed otherwise; the PMD says so too).
    assert "link up to peer" in guest.stderr, guest.describe()
    assert "Probe PCI driver: net_ivshmem2_pci (110a:4106)" in guest.stderr


# Guest side of the kill -9 test: testpmd in io mode with --tx-first (its
# burst circulates through the host's io forwarding); killed with SIGKILL
# when the host says so, started again when the host says so, stopped with
# SIGINT at the end. The host creates the files in /results.
KILL9_TESTPMD = ("dpdk-testpmd " + guest_eal("kill9") +
                 " -- --forward-mode=io --tx-first --stats-period 2 --total-num-mbufs 16384")
KILL9_GUEST = PREPARE + WAIT_FILE + f"""
{KILL9_TESTPMD} >/results/first.log 2>&1 &
pid=$!
wait_file /results/kill-now 400
kill -0 $pid || {{ echo "guest: testpmd died before kill -9" >&2; exit 1; }}
kill -9 $pid
wait $pid || true
echo "$pid" >/results/killed
wait_file /results/restart-now 200
{KILL9_TESTPMD} >/results/second.log 2>&1 &
pid=$!
wait_file /results/stop-now 400
kill -INT $pid
wait $pid
"""


def test_kill9_in_guest_heartbeat_takes_host_link_down_restart_brings_it_back(
        guest_harness, ivshmem2_server, background_guests, host_node, results_dir):
    """kill -9 of testpmd in a guest leaves its device state at RUN; the
    host vdev port sees the heartbeat stand still and takes its link down;
    a new testpmd in the guest brings the link and the traffic back."""
    from framework.remote_session.testpmd_shell import TestPmdShell
    from framework.testbed_model.virtual_device import VirtualDevice

    require_built(ivshmem2_paths.PMD)
    srv = ivshmem2_server(*SERVER_OPTIONS)
    host = TestPmdShell(host_node, [VirtualDevice(f"net_ivshmem20,socket={srv.sock}")],
                        name="host-kill9").start_application()
    host.set_forward_mode(SimpleForwardingModes.io)
    host.start()
    guests = background_guests([KILL9_GUEST], results_dir, config=guest_config(srv.sock))
    gdir = guests[0].dir

    def host_rx():
        return host.show_port_stats(0).rx_packets

    # Phase 1: link up, frames flow.
    wait_for(lambda: host.show_port_info(0).is_link_up, 400, "host link up", guests=guests)
    wait_for(lambda: host_rx() > 1000, 120, "traffic from the guest", guests=guests)
    (gdir / "kill-now").touch()
    wait_for(lambda: (gdir / "killed").exists(), 60, "kill -9 in the guest", guests=guests)
    # The host polls: a dead peer's heartbeat stands still 3 s, the tick sees it.
    assert host.wait_link_status_down(0, timeout=10), \
        f"{host.name}: port 0 link not down within 10 s"
    xstats = host.show_port_xstats(0)
    assert xstats.get("link_heartbeat_timeout_events") == 1, xstats
    assert "no heartbeat from peer" in host.output(), host.output()[-3000:]
    rx_dead = host_rx()

    # Phase 2: a new testpmd in the guest, link and traffic come back.
    (gdir / "restart-now").touch()
    wait_for(lambda: host.show_port_info(0).is_link_up, 300, "host link up after the restart",
             guests=guests)
    wait_for(lambda: host_rx() > rx_dead + 1000, 120, "traffic after the restart",
             guests=guests)
    (gdir / "stop-now").touch()
    (guest,) = harness.finish_guests(guests, timeout=200)
    guest.assert_ok()
    second = (gdir / "second.log").read_text(errors="replace")
    rx, tx = forward_stats(second)
    assert rx > 0 and tx > 0, second[-2000:]
    assert "Probe PCI driver: net_ivshmem2_pci (110a:4106)" in second
    first = (gdir / "first.log").read_text(errors="replace")
    assert "Forward statistics" not in first, "the first testpmd was not killed with -9"
    assert host.alive()


# Guest B: l3fwd-power sleeps in epoll on its rx queue's MSI-X vector (vfio-pci)
# until guest A's frames ring the doorbell; stopped once it logged a wake-up.
WAKE_LOG = r"lcore [0-9]* is waked up from rx interrupt"
L3FWD_POWER_GUEST = PREPARE_NO_WAIT + """
# l3fwd-power logs as USER1 at INFO; only the global level reaches it in 22.11.
"$L3FWD_POWER" -l 1 -n 1 --file-prefix l3fwd-power --log-level=7 -d $pmd -a $bdf \\
	-- -p 0x1 --config='(0,0,1)' --interrupt-only --parse-ptype >/results/l3fwd-power.log 2>&1 &
pid=$!
n=0
until grep -q "$WAKE_PATTERN" /results/l3fwd-power.log; do
	kill -0 $pid || { echo "guest: l3fwd-power exited" >&2; exit 1; }
	n=$((n + 1))
	[ $n -le 2000 ] || { echo "guest: no wake-up within 400 s" >&2; exit 1; }
	sleep 0.2
done
sleep 2
kill -INT $pid
wait $pid || true
"""
TXONLY_GUEST = PREPARE + (
    "timeout --preserve-status -s INT 20 dpdk-testpmd " + guest_eal("txonly") +
    " -- --forward-mode=txonly --stats-period 5 --total-num-mbufs 16384\n")


def test_rx_interrupt_in_guest_l3fwd_power_wakes_on_traffic(guest_harness, ivshmem2_server,
                                                            host_node, results_dir):
    """l3fwd-power --interrupt-only in guest B (MSI-X through vfio-pci and
    the vIOMMU) sleeps until guest A's testpmd sends: the frames wake it."""
    from framework.ivshmem2.examples import build_example

    require_built(ivshmem2_paths.PMD)
    l3fwd_power = build_example("l3fwd-power")
    srv = ivshmem2_server(*SERVER_OPTIONS)
    cfg = guest_config(srv.sock, L3FWD_POWER=str(l3fwd_power), WAKE_PATTERN=WAKE_LOG)
    sleeper, sender = guest_harness.run_guests([L3FWD_POWER_GUEST, TXONLY_GUEST], results_dir,
                                               config=cfg, timeout=700,
                                               names=["l3fwd-power", "txonly"])
    log = (sleeper.directory / "l3fwd-power.log").read_text(errors="replace")
    sleeper.assert_ok()
    sender.assert_ok()
    assert "Probe PCI driver: net_ivshmem2_pci (110a:4106)" in log, log[-3000:]
    assert "no MSI-X" not in log, log[-3000:]
    assert re.search(r"lcore \d+ sleeps until interrupt triggers", log), log[-3000:]
    assert re.search(WAKE_LOG, log), log[-3000:]
    _, tx = forward_stats(sender.stdout)
    assert tx > 0, sender.stdout[-2000:]

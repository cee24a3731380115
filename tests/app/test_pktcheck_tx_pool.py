# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""ivshmem2-pktcheck --tx-pool: mbufs from rte_pmd_ivshmem2_pktmbuf_pool_create()
on the net_ivshmem2 port, so TX (and forwarding what RX got) is zero-copy.

Two pktcheck processes joined by an ivshmem2-server, every frame verified;
the errors for a port that is not net_ivshmem2, for a pool that does not fit
the output section, and for a PMD that is not loaded."""

import json
import os
import subprocess
from pathlib import Path

import pytest

import ivshmem2_paths
from ivshmem2_server import Server

PKTCHECK = ivshmem2_paths.BUILD / "app" / "ivshmem2-pktcheck" / "ivshmem2-pktcheck"
POOL_SYMBOL = "rte_pmd_ivshmem2_pktmbuf_pool_create"
OUTPUT_SIZE = "16M"
MBUFS = 2048        # 2048 x 2176 B: well inside what 16M leaves beside the rings
# The stress case: more segments than the sender's ring holds (1024 entries)
# and a receiver that takes one frame per burst, so segments are held, refused
# and reclaimed while the peer reads the ones before them.
SENDER_MBUFS = 3200
TOO_MANY = 16383    # pktcheck's default: 35 MB, more than any 16M section holds


def _pmd_has_pool_api() -> bool:
    if not ivshmem2_paths.PMD.exists():
        return False
    out = subprocess.run(["nm", "-D", "--defined-only", str(ivshmem2_paths.PMD)],
                         capture_output=True, text=True, check=False).stdout
    return any(line.split()[-1].split("@")[0] == POOL_SYMBOL for line in out.splitlines()
               if line.strip())


needs_pool_api = pytest.mark.skipif(
    not _pmd_has_pool_api(),
    reason=f"the built PMD does not export {POOL_SYMBOL} (zero-copy TX pool not in this tree)")


@pytest.fixture
def pktcheck():
    if not PKTCHECK.exists():
        pytest.skip(f"{PKTCHECK} not built")
    return PKTCHECK


def _cmd(name, eal, args, cpu=0):
    return [str(PKTCHECK), "-l", str(cpu), "--no-huge", "-m", "512", "--no-pci",
            "--file-prefix", f"pktpool-{name}-{os.getpid()}", "--log-level=error",
            "--log-level=pmd.net.ivshmem2:notice", *eal, "--", *map(str, args)]


def _result(p_out: str) -> dict:
    for line in p_out.splitlines():
        if line.startswith("PKTCHECK_JSON "):
            return json.loads(line[len("PKTCHECK_JSON "):])
    return {}


def _ivshmem2_eal(server):
    return ["-d", str(ivshmem2_paths.safe_pmd_path()),
            "--vdev", f"net_ivshmem2,socket={server.socket_path}"]


@pytest.fixture
def server():
    if not ivshmem2_paths.PMD.exists():
        pytest.skip("PMD not built")
    with Server(size="64M", output_size=OUTPUT_SIZE, max_peers=2, vectors=9,
                protocol=0x4932) as s:
        yield s


def _pair(server, rx_args, tx_args, timeout=120):
    """Receiver first (it waits for the FINs), then the sender; both results."""
    rx = subprocess.Popen(_cmd("rx", _ivshmem2_eal(server), rx_args, cpu=0),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        tx = subprocess.run(_cmd("tx", _ivshmem2_eal(server), tx_args, cpu=1),
                            capture_output=True, text=True, timeout=timeout, check=False)
        rx_out, _ = rx.communicate(timeout=timeout)
    finally:
        if rx.poll() is None:
            rx.kill()
            rx.wait()
    return (rx.returncode, _result(rx_out), rx_out), \
        (tx.returncode, _result(tx.stdout), tx.stdout + tx.stderr)


@needs_pool_api
@pytest.mark.parametrize("size, burst, rx_burst, mbufs", [
    (64, 32, 32, MBUFS), (1518, 32, 32, MBUFS),
    # 256 frames of 5 segments: more than the ring holds, so the burst re-reads
    # the consumer's head mid-burst (entries it passed must be reclaimed first).
    (9000, 256, 1, SENDER_MBUFS), (1518, 256, 32, SENDER_MBUFS)])
def test_tx_pool_sender_every_frame_verified(pktcheck, server, size, burst, rx_burst, mbufs):
    """Sender on the port's pool, receiver on an ordinary pool: every frame
    arrives intact, in order, exactly once."""
    frames = 20000
    common = ["--sizes", size, "--progress", "0", "--link-timeout", "60", "--timeout", "90"]
    (rrc, rd, rout), (trc, td, tout) = _pair(
        server, ["--mode", "rx", "--burst", rx_burst, *common],
        ["--mode", "tx", "--tx-pool", "--mbufs", mbufs, "--burst", burst,
         "--frames", frames, *common])
    assert trc == 0, tout[-3000:]
    assert burst * -(-size // 2048) <= 1024 or td["tx"]["refused"] > 0, "the ring never filled"
    assert f"--tx-pool: {mbufs} mbufs in port 0's output section" in tout
    assert rrc == 0 and rd["ok"], rout[-3000:]
    assert td["tx"]["frames"] == frames
    assert rd["rx"]["data_frames"] == frames and rd["rx"]["lost"] == 0
    assert rd["rx"]["bytes"] >= frames * size
    assert rd["errors"] == []


@needs_pool_api
def test_tx_pool_on_both_peers_forwarding_verified(pktcheck, server):
    """Both peers on their port's pool: the sender's frames and the pong's
    retransmissions of what it received are zero-copy; every frame that
    comes back is verified (mixed 64/1518/9000 B)."""
    frames = 6000
    common = ["--sizes", "64,1518,9000", "--progress", "0", "--link-timeout", "60"]
    pong = subprocess.Popen(_cmd("pong", _ivshmem2_eal(server),
                                 ["--mode", "pong", "--tx-pool", "--mbufs", MBUFS,
                                  "--timeout", "90", *common], cpu=0),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        both = subprocess.run(_cmd("both", _ivshmem2_eal(server),
                                   ["--mode", "both", "--tx-pool", "--mbufs", MBUFS,
                                    "--window", 256, "--frames", frames, "--timeout", "90",
                                    *common], cpu=1),
                              capture_output=True, text=True, timeout=120, check=False)
    finally:
        pong.send_signal(2)
        pong_out, _ = pong.communicate(timeout=60)
    d = _result(both.stdout)
    assert both.returncode == 0 and d["ok"], (both.stdout + both.stderr)[-3000:]
    assert d["rx"]["data_frames"] == frames and d["rx"]["lost"] == 0
    assert "--tx-pool: 2048 mbufs" in pong_out, pong_out[-2000:]


@needs_pool_api
def test_tx_pool_too_many_mbufs_says_raise_o(pktcheck, server):
    p = subprocess.run(_cmd("big", _ivshmem2_eal(server),
                            ["--mode", "tx", "--tx-pool", "--mbufs", TOO_MANY]),
                       capture_output=True, text=True, timeout=60, check=False)
    assert p.returncode == 2, p.stdout + p.stderr
    assert f"{TOO_MANY} mbufs of 2176 bytes do not fit in port 0's output section: " \
        "raise the server's -o or lower --mbufs" in p.stderr


@needs_pool_api
def test_tx_pool_on_a_port_that_is_not_ivshmem2(pktcheck):
    """The PMD is loaded (the function exists) but port 0 is net_null."""
    p = subprocess.run(_cmd("null", ["-d", str(ivshmem2_paths.safe_pmd_path()),
                                     "--vdev", "net_null0"],
                            ["--mode", "tx", "--tx-pool", "--mbufs", MBUFS]),
                       capture_output=True, text=True, timeout=60, check=False)
    assert p.returncode == 2, p.stdout + p.stderr
    assert "--tx-pool: port 0 (net_null) is not a net_ivshmem2 port" in p.stderr


def test_tx_pool_without_the_pmd_loaded(pktcheck):
    """No net_ivshmem2 PMD in the process: a clear error, not a crash."""
    p = subprocess.run(_cmd("nopmd", ["--vdev", "net_null0"],
                            ["--mode", "tx", "--tx-pool", "--mbufs", MBUFS]),
                       capture_output=True, text=True, timeout=60, check=False)
    assert p.returncode == 2, p.stdout + p.stderr
    assert f"--tx-pool: {POOL_SYMBOL} not found: load a net_ivshmem2 PMD" in p.stderr


def test_help_lists_tx_pool(pktcheck):
    p = subprocess.run(_cmd("help", [], ["--help"]), capture_output=True, text=True,
                       timeout=60, check=False)
    assert p.returncode == 0 and "--tx-pool" in p.stdout
    assert "--mbufs must fit in the section (server -o)" in p.stdout

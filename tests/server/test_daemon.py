# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Daemon mode, PID file and clean shutdown on SIGTERM/SIGINT."""

import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from ivshmem2_server import run_server, server_binary


def test_daemon_mode_with_pidfile(make_server, make_peer, short_tmp):
    pidfile = short_tmp / "srv.pid"
    name = f"iv2-srv-{uuid.uuid4().hex[:8]}"
    srv = make_server(foreground=False, pidfile=pidfile, shm_name=name, max_peers=3)
    # The command returned only once the daemon was serving.
    assert srv.proc.returncode == 0
    pid = int(pidfile.read_text())
    assert pid == srv.pid and pid != srv.proc.pid
    assert srv.alive()
    # Detached: its own session, stdio on /dev/null, cwd /.
    assert os.getsid(pid) != os.getsid(0)
    assert os.readlink(f"/proc/{pid}/fd/2") == "/dev/null"
    assert os.readlink(f"/proc/{pid}/cwd") == "/"
    a, b = make_peer(srv), make_peer(srv)
    a.wait_ready()
    b.wait_ready()
    b.ring(0, 0)
    assert a.wait_vector(0) == 1
    srv.stop(signal.SIGTERM)
    assert not srv.alive()
    assert not pidfile.exists()
    assert not srv.socket_path.exists()
    assert not Path(f"/dev/shm/{name}").exists()
    a.wait_closed(timeout=10)


def test_daemon_relative_paths_survive_chdir(short_tmp):
    """Relative -S/-p are resolved before the daemon changes to /."""
    proc = subprocess.run([str(server_binary()), "-S", "rel.sock", "-p", "rel.pid"],
                          cwd=short_tmp, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    pid = int((short_tmp / "rel.pid").read_text())
    try:
        assert (short_tmp / "rel.sock").exists()
    finally:
        os.kill(pid, signal.SIGTERM)
    for _ in range(500):
        if not (short_tmp / "rel.pid").exists():
            break
        time.sleep(0.02)
    assert not (short_tmp / "rel.pid").exists()
    assert not (short_tmp / "rel.sock").exists()


def test_daemon_start_failure_is_reported_by_the_command(short_tmp):
    sock = short_tmp / "s.sock"
    res = run_server(["-S", str(sock), "-p", str(short_tmp / "no" / "such" / "dir" / "pid")])
    assert res.returncode == 1
    assert res.stderr.splitlines() == [
        f"ivshmem2-server: error: pidfile {short_tmp}/no/such/dir/pid: No such file or directory"]
    assert not sock.exists()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_signal_cleans_up_everything(make_server, make_peer, short_tmp, sig):
    pidfile = short_tmp / "fg.pid"
    name = f"iv2-srv-{uuid.uuid4().hex[:8]}"
    srv = make_server(pidfile=pidfile, shm_name=name, max_peers=3)
    assert int(pidfile.read_text()) == srv.pid
    peers = [make_peer(srv) for _ in range(3)]
    for p in peers:
        p.wait_ready()
    assert srv.stop(sig) == 0
    assert not pidfile.exists()
    assert not srv.socket_path.exists()
    assert not Path(f"/dev/shm/{name}").exists()
    assert "shutting down" in srv.log()
    for p in peers:
        p.wait_closed(timeout=10)


def test_foreground_without_p_writes_no_pidfile(make_server):
    srv = make_server()
    assert "-p" not in srv.args
    assert not Path("/run/ivshmem2-server.pid").exists() or \
        int(Path("/run/ivshmem2-server.pid").read_text()) != srv.pid

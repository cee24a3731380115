# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""ivshmem2-server's command line: every bad option or layout is one clear
line on stderr and a non-zero exit, and nothing is left behind."""

import os
import re
import resource
import socket
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from ivshmem2_peer import Peer
from ivshmem2_server import Server, ServerError, run_server, server_binary, socket_listening

BAD = [
    (["-V", "0"], "-V/--vectors 0: expected 1 to 64"),
    (["-V", "65"], "-V/--vectors 65: expected 1 to 64"),
    (["-V", "x"], "-V/--vectors 'x'"),
    (["-n", "1"], "a group needs at least 2 peers"),
    (["-n", "1025"], "more peers than the 4096-byte state table holds"),
    (["-P", "0x8000", "-n", "3"], "is virtio (>= 0x8000): it needs -n 2"),
    (["-P", "0x10000"], "-P/--protocol '0x10000': expected a 16-bit number"),
    (["-l", "4M", "-o", "3K"], "multiples of the page size"),
    (["-l", "1M", "-n", "2", "-o", "512K"], "do not fit in the shared memory"),
    (["-l", "0"], "-l/--size '0'"),
    (["-l", "4Q"], "-l/--size '4Q'"),
    (["--bogus"], "unknown option '--bogus'"),
    (["extra"], "unexpected argument 'extra'"),
    (["-M", "a/b"], "-M/--shm 'a/b'"),
    (["-M", "x", "--memfd"], "exclude each other"),
    (["-m", "/nonexistent-ivshmem2-dir"], "-m/--shm-dir /nonexistent-ivshmem2-dir"),
    (["-m", "/etc/hostname"], "not a directory"),
    (["--numa-node", "99"], "--numa-node 99: no such NUMA node"),
    (["--numa-node", "x"], "--numa-node 'x'"),
    (["--log-level", "loud"], "--log-level 'loud'"),
    (["--queue-limit", "0"], "--queue-limit '0': expected a number from 1 to 16777216"),
    (["--id-quarantine", "3601"], "--id-quarantine '3601': expected seconds from 0 to 3600"),
    (["--id-quarantine", "5s"], "--id-quarantine '5s': expected seconds from 0 to 3600"),
    (["-S", "/tmp/" + "s" * 103], "-S/--socket '/tmp/" + "s" * 103 + "': path longer than "
     "107 bytes"),
    (["-p", ""], "-p/--pidfile: empty path"),
    (["-o", "4Q"], "-o/--output-size '4Q'"),
    (["-n", "x"], "-n/--max-peers 'x'"),
    (["-l"], "option -l needs an argument"),
]


@pytest.mark.parametrize("args,error", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_option_is_one_line_and_leaves_nothing(short_tmp, args, error):
    sock = short_tmp / "s.sock"
    res = run_server(["-F", "-S", str(sock)] + args)
    assert res.returncode != 0
    lines = res.stderr.splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("ivshmem2-server: error: ")
    assert error in lines[0]
    assert not sock.exists()
    assert list(short_tmp.iterdir()) == []


def test_hugetlbfs_page_alignment_is_checked(short_tmp, hugetlbfs):
    sock = short_tmp / "s.sock"
    res = run_server(["-F", "-S", str(sock), "-m", str(hugetlbfs), "-l", "8M", "-o", "64K"])
    assert res.returncode == 1
    assert "multiples of the page size" in res.stderr and "page size 2M" in res.stderr
    assert not sock.exists()


def test_help_lists_every_option():
    res = run_server(["--help"])
    assert res.returncode == 0
    for opt in ("-F, --foreground", "-v, --verbose", "-p, --pidfile", "-S, --socket",
                "-M, --shm", "-m, --shm-dir", "-l, --size", "-o, --output-size",
                "-n, --max-peers", "-V, --vectors", "-P, --protocol", "--memfd",
                "--numa-node", "--log-level", "--queue-limit", "--version"):
        assert opt in res.stdout, opt
    assert run_server(["-h"]).stdout == res.stdout


def test_version():
    res = run_server(["--version"])
    assert res.returncode == 0
    assert re.match(r"ivshmem2-server \S+ \(protocol version 2\)$", res.stdout.strip())


def test_existing_posix_object_is_refused(short_tmp):
    name = f"iv2-srv-test-{uuid.uuid4().hex[:8]}"
    path = f"/dev/shm/{name}"
    with open(path, "wb") as f:
        f.write(b"precious")
    try:
        sock = short_tmp / "s.sock"
        res = run_server(["-F", "-S", str(sock), "-M", name])
        assert res.returncode == 1
        assert f"-M/--shm {name}: File exists" in res.stderr
        assert not sock.exists()
        with open(path, "rb") as f:
            assert f.read() == b"precious"
    finally:
        os.unlink(path)


def test_socket_path_that_is_not_a_socket(short_tmp):
    path = short_tmp / "not-a-socket"
    path.write_text("keep me")
    res = run_server(["-F", "-S", str(path)])
    assert res.returncode == 1
    assert "exists and is not a socket" in res.stderr
    assert path.read_text() == "keep me"


def test_refuses_a_socket_owned_by_a_live_server(make_server, make_peer):
    first = make_server(max_peers=3)
    a = make_peer(first)
    a.wait_ready()
    res = run_server(["-F", "-S", str(first.socket_path)])
    assert res.returncode == 1
    assert "another server is already listening on" in res.stderr
    # The first server is unharmed and keeps its socket; the check did not
    # even connect (no peer joined and left).
    assert first.alive() and first.socket_path.exists()
    assert a.poll(0.3) == []
    assert "peer 1 joined" not in first.log()
    b = make_peer(first)
    b.wait_ready()
    b.ring(a.id, 0)
    assert a.wait_vector(0) == 1


def test_replaces_a_stale_socket(short_tmp, make_server, make_peer):
    path = short_tmp / "stale.sock"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(str(path))
    s.close()  # a socket file nobody listens on
    srv = make_server(socket_path=path)
    srv.wait_log("removed stale socket")
    make_peer(srv).wait_ready()


def test_server_restart_with_the_same_socket_path(short_tmp, make_server, make_peer):
    path = short_tmp / "restart.sock"
    first = make_server(socket_path=path)
    a = make_peer(first)
    a.wait_ready()
    assert first.stop() == 0
    assert not path.exists()
    assert a.wait_closed(timeout=10) == []
    second = make_server(socket_path=path)
    b = make_peer(second)
    b.wait_ready()
    assert b.id == 0
    # And after a crash (SIGKILL) the stale socket is replaced.
    second.stop(9)
    assert path.exists()
    third = make_server(socket_path=path)
    third.wait_log("removed stale socket")
    c = make_peer(third)
    c.wait_ready()
    assert c.id == 0


def test_helper_reports_a_failed_start():
    with pytest.raises(ServerError, match="exited with 1"):
        Server(vectors=0)


def _low_fd_limit():
    resource.setrlimit(resource.RLIMIT_NOFILE, (4096, 4096))


def test_too_few_file_descriptors_is_refused_at_start(short_tmp):
    sock = short_tmp / "s.sock"
    res = subprocess.run([str(server_binary()), "-F", "-S", str(sock), "-n", "256", "-V", "64",
                          "-l", "2M"], capture_output=True, text=True, timeout=60,
                         preexec_fn=_low_fd_limit)
    assert res.returncode == 1
    assert len(res.stderr.splitlines()) == 1
    assert ("-n 256 -V 64 need 16657 file descriptors but RLIMIT_NOFILE allows 4096 "
            "(hard limit 4096)") in res.stderr
    assert not sock.exists()


def test_soft_fd_limit_is_raised_to_the_hard_limit(short_tmp):
    """256 x 64 needs more than a soft limit of 1024 but fits the hard one."""
    def limits():
        resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 20000))

    sock = short_tmp / "s.sock"
    proc = subprocess.Popen([str(server_binary()), "-F", "-S", str(sock), "-n", "256", "-V",
                             "64", "-l", "2M"], stderr=subprocess.PIPE, text=True,
                            preexec_fn=limits)
    try:
        deadline = time.monotonic() + 30
        # The socket file appears at bind(), before listen(): wait for listen.
        while not socket_listening(sock):
            assert proc.poll() is None, proc.stderr.read()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        soft = None
        for line in open(f"/proc/{proc.pid}/limits"):
            if line.startswith("Max open files"):
                soft = int(line.split()[3])
        assert soft == 20000
        Peer(sock).close()
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
    assert proc.returncode == 0


def test_log_levels(make_server, make_peer):
    quiet = make_server(log_level="warning")
    make_peer(quiet).wait_ready()
    assert "info:" not in quiet.log() and "debug:" not in quiet.log()
    chatty = make_server(log_level=None, extra_args=["-v"])
    make_peer(chatty).wait_ready()
    chatty.wait_log(r"debug: peer 0: INIT and 1 EVENT_FDs queued")
    assert "info: peer 0 joined" in chatty.log()


def test_systemd_unit_example_options_work(make_server, make_peer):
    """The unit file's ExecStart options start a working server."""
    unit = Path(__file__).resolve().parents[2] / "server" / "ivshmem2-server.service"
    exec_start = next(line for line in unit.read_text().splitlines()
                      if line.startswith("ExecStart="))
    argv = exec_start.split("=", 1)[1].split()
    assert argv[0].endswith("/ivshmem2-server") and "-F" in argv
    opts = argv[1:]
    del opts[opts.index("-S"):opts.index("-S") + 2]  # our own socket path
    srv = make_server(log_level=None, extra_args=[o for o in opts if o != "-F"])
    a, b = make_peer(srv), make_peer(srv)
    a.wait_ready()
    b.wait_ready()
    assert (a.init.max_peers, a.init.vectors) == (2, 2)

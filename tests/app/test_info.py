# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""ivshmem2-info without DPDK: the real server with Python peers that write
hostile values, scripted info servers for every error, options, --watch.

The live-group tests with testpmd peers are in tests/pmd/test_info.py.
"""

import json
import os
import pty
import re
import signal
import socket
import struct
import subprocess
import threading
import time

import pytest

import ivshmem2_paths
import ivshmem2_wire as w
from ivshmem2_peer import Peer
from ivshmem2_server import Server

NET_PROTOCOL = 0x4932
NET_MAGIC = 0x544E3249
# The layout version of include/ivshmem2/net.h (its one definition).
NET_LAYOUT_VERSION = int(re.search(r"#define\s+IVSHMEM2_NET_LAYOUT_VERSION\s+(\d+)u",
                                   (ivshmem2_paths.REPO / "include" / "ivshmem2" / "net.h")
                                   .read_text()).group(1))
SECTION_HEADER = struct.Struct("<IIQIIIIIII")  # magic .. heartbeat (net.h)
CHANNEL = struct.Struct("<IIIII6s")            # session, ack, tx/rx queues, mtu, mac


def info_binary():
    path = ivshmem2_paths.INFO
    assert path.exists(), f"{path} not built (ninja -C {ivshmem2_paths.BUILD})"
    return path


def run_info(*args, timeout=30):
    return subprocess.run([str(info_binary()), *map(str, args)], capture_output=True,
                          text=True, timeout=timeout, check=False)


def info_json(path):
    res = run_info("--json", path)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert len(lines) == 1, res.stdout
    return json.loads(lines[0])


def one_error_line(res, code=1):
    """The run failed with @code and said why on exactly one line."""
    assert res.returncode == code, (res.returncode, res.stdout, res.stderr)
    assert res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    return lines[0]


@pytest.fixture
def server():
    srv = Server(size="16M", output_size="4M", max_peers=2, vectors=1, protocol=NET_PROTOCOL,
                 info_socket=True)
    yield srv
    srv.cleanup()


# --- a real group whose peers write nonsense -------------------------------

def test_hostile_values_are_shown_as_invalid_not_trusted(server):
    with Peer(server.socket_path) as a, Peer(server.socket_path) as b:
        a.wait_ready()
        b.wait_ready()
        a.wait_peer(b.id)
        shown = info_json(server.info_path)
        rings = shown["rings"]
        assert (rings["queues"], rings["ring_size"], rings["header_size"]) == (1, 1024, 4096)
        # Since layout version 2: the pool area follows the queue area, 4 KiB aligned, to the end.
        assert rings["pool_offset"] % 4096 == 0
        assert rings["pool_offset"] >= rings["header_size"] + rings["queue_stride"]
        assert rings["pool_offset"] + rings["pool_size"] == 4 << 20
        q_area = rings["header_size"]   # the single channel's only queue area
        # a: state 9, a header claiming another owner, 99 tx queues, tail 5000.
        a.set_state(9, notify=False)
        a.write_output(0, SECTION_HEADER.pack(NET_MAGIC, NET_LAYOUT_VERSION, 4 << 20, 2, 1, 1,
                                              1024, 2112, 1, 7))
        a.write_output(64 + 64 * b.id, CHANNEL.pack(0x11, 0x22, 99, 1, 1500, b"\x02\0\0\0\0\x0a"))
        a.write_output(q_area, struct.pack("<I", 5000))
        # b: a valid header with a heartbeat that stands still, acks a's
        # session, consumer head 0 of a -> b, and wake 77 (no such vector).
        b.set_state(3, notify=False)
        b.write_output(0, SECTION_HEADER.pack(NET_MAGIC, NET_LAYOUT_VERSION, 4 << 20, 2, b.id, 1,
                                              1024, 2112, 1, 5))
        b.write_output(64 + 64 * a.id, CHANNEL.pack(0x22, 0x11, 1, 1, 9000, b"\x02\0\0\0\0\x0b"))
        b.write_output(q_area + 64, struct.pack("<I", 0))
        b.write_output(q_area + 128, struct.pack("<I", 77))

        shown = info_json(server.info_path)
        pa, pb = shown["peers"]
        assert (pa["id"], pa["state"], pa["state_name"]) == (a.id, 9, "invalid")
        assert not pa["section"]["valid"] and "owner 1, expected 0" in pa["section"]["problem"]
        assert pb["state_name"] == "RUN" and pb["section"]["valid"]
        # Standing still is reported only after watching it for a second.
        assert pb["section"]["heartbeat_advancing"] is False
        assert pb["section"]["heartbeat_gap_ms"] == 1000
        (ab,) = pa["channels"]
        assert (ab["remote"], ab["session"], ab["ack"], ab["tx_queues"]) == (b.id, 0x11, 0x22, 99)
        assert ab["queues_valid"] is False
        assert ab["acked"] is True and ab["link_up"] is False   # a's section is invalid
        assert ab["mac"] == "02:00:00:00:00:0a" and ab["mtu"] == 1500
        (ring,) = ab["rings"]
        assert (ring["tail"], ring["head"], ring["occupancy"]) == (5000, 0, 5000)
        assert ring["consistent"] is False
        assert (ring["wake"], ring["wake_valid"]) == (77, False)
        (ba,) = pb["channels"]
        assert ba["rings"][0]["consistent"] and ba["rings"][0]["wake_valid"]

        res = run_info(server.info_path)
        assert res.returncode == 0, res.stderr
        for text in ("state invalid (9)", "INVALID, owner 1, expected 0", "used 5000/1024 "
                     "INCONSISTENT", "77 (invalid: not a vector)",
                     "tx 99 rx 1 queues (invalid: above the layout's queues)",
                     "STANDS STILL", "link down"):
            assert text in res.stdout, f"{text!r} not in:\n{res.stdout}"
        # The peers heard nothing of the two info runs.
        assert a.poll(0.2) == [] and b.poll(0.0) == []


def test_group_without_peers_and_stale_state_entries(server):
    with Peer(server.socket_path) as a:
        a.wait_ready()
        shown = info_json(server.info_path)
        assert shown["server"]["connected"] == [a.id]
        (p,) = shown["peers"]
        assert (p["connected"], p["state_name"], p["channels"]) == (True, "RESET", [])
        assert p["section"]["problem"].startswith("magic 0x00000000")
    assert info_json(server.info_path)["peers"] == []


def test_other_protocols_show_states_only():
    with Server(size="1M", output_size="64K", protocol=1, info_socket=True) as srv, \
            Peer(srv.socket_path) as a:
        a.wait_ready()
        a.set_state(1, notify=False)
        shown = info_json(srv.info_path)
        assert shown["rings"] is None and "0x4932" in shown["rings_reason"]
        assert [(p["id"], p["state"]) for p in shown["peers"]] == [(a.id, 1)]
        assert "section" not in shown["peers"][0]
        res = run_info(srv.info_path)
        assert "rings     none: not the net_ivshmem2 protocol" in res.stdout
        assert f"peer {a.id}: state INIT" in res.stdout


def test_text_report_of_the_group(server):
    res = run_info("-I", server.info_path)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0] == f"group {server.info_path}: server pid {server.pid}, protocol version 2"
    assert lines[1] == ("  options   -l 16M -o 4M -n 2 -V 1 -P 0x4932 (net_ivshmem2), memfd, "
                        "page 4K, no NUMA binding")
    assert lines[2] == ("  layout    state table 4K at 0, R/W 8188K at 4K, 2 output sections "
                        "of 4M at 8M")
    assert lines[3].startswith("  rings     1 queue pair(s) x 1024 slots per peer pair")
    assert lines[4] == "  peers     0 of 2 connected: none"


# --- --watch ----------------------------------------------------------------

def test_watch_count_prints_that_many_refreshes(server):
    start = time.monotonic()
    res = run_info("--watch", "2", server.info_path)
    took = time.monotonic() - start
    assert res.returncode == 0, res.stderr
    assert res.stdout.count("group ") == 2, res.stdout
    assert "\033[2J" not in res.stdout, "cleared the screen of a pipe"
    assert took >= 1.0, f"two refreshes in {took:.2f} s, not a second apart"
    res = run_info("--json", "--watch=3", server.info_path)
    assert res.returncode == 0, res.stderr
    assert [json.loads(line)["server"]["max_peers"] for line in res.stdout.splitlines()] == \
        [2, 2, 2]


def test_watch_clears_the_screen_on_a_terminal(server):
    master, slave = pty.openpty()
    try:
        proc = subprocess.run([str(info_binary()), "--watch", "2", str(server.info_path)],
                              stdout=slave, stderr=subprocess.PIPE, timeout=30, check=False)
        os.close(slave)
        slave = -1
        out = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:     # EIO: the terminal's other side is closed
                break
            if not chunk:
                break
            out += chunk
    finally:
        if slave >= 0:
            os.close(slave)
        os.close(master)
    assert proc.returncode == 0, proc.stderr
    assert out.count(b"\033[H\033[2J") == 2 and out.count(b"group ") == 2, out[:300]


def test_watch_until_sigint(server):
    proc = subprocess.Popen([str(info_binary()), "--json", "--watch", str(server.info_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()
        assert json.loads(first)["socket"] == str(server.info_path)
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=5)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err


def test_watch_ends_with_an_error_when_the_server_goes(server):
    proc = subprocess.Popen([str(info_binary()), "--watch", str(server.info_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().startswith("group ")
        server.stop()
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 1
    assert "No such file or directory" in err or "nobody listens" in err, err


# --- wrong sockets ----------------------------------------------------------

def test_missing_socket(short_tmp):
    line = one_error_line(run_info(short_tmp / "nope.sock"))
    assert line == (f"ivshmem2-info: error: {short_tmp}/nope.sock: No such file or directory "
                    f"(is ivshmem2-server running with -I {short_tmp}/nope.sock?)")


def test_not_a_socket(short_tmp):
    (short_tmp / "file").write_text("x")
    assert one_error_line(run_info(short_tmp / "file")).endswith("file: not a socket")


def test_stale_socket(short_tmp):
    path = short_tmp / "stale.sock"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.bind(str(path))
    s.close()
    assert "nobody listens there" in one_error_line(run_info(path))


def test_server_without_info_socket_is_a_clear_error_and_nobody_joins():
    with Server(size="1M", output_size="64K") as srv, Peer(srv.socket_path) as a:
        a.wait_ready()
        line = one_error_line(run_info(srv.socket_path))
        assert "not an ivshmem2 info socket" in line and "-I PATH" in line, line
        assert a.poll(0.2) == [], "the peer heard of the info client"
        assert srv.log().count(" joined ") == 1 and " left" not in srv.log()


def test_a_stream_socket_of_another_program(short_tmp):
    path = short_tmp / "other.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.bind(str(path))
        s.listen()
        assert "not an ivshmem2 info socket" in one_error_line(run_info(path))


class ScriptedInfoServer:
    """A SOCK_SEQPACKET listener that answers one client with @reply(conn)."""

    def __init__(self, path, reply):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.sock.bind(str(path))
        self.sock.listen()
        self.sock.settimeout(10)
        self.reply = reply
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        with conn:
            self.reply(conn)
            self.done.wait(10)     # stay open: the client must not wait for EOF

    def close(self):
        self.done.set()
        self.sock.close()
        self.thread.join(10)


def memfd(size):
    fd = os.memfd_create("fake-ivshmem2")
    os.ftruncate(fd, size)
    return fd


def send_info(info, ids=(), mem=None, extra=b"", raw=None):
    def reply(conn):
        msg = raw if raw is not None else w.msg_info(info, ids, extra)
        fds = [] if mem is None else [mem]
        socket.send_fds(conn, [msg], fds)
    return reply


GOOD = w.Info(max_peers=2, vectors=1, protocol=NET_PROTOCOL, shm_size=16 << 20,
              output_section_size=4 << 20)

# case: (reply from mem(size) -> memfd, the message ivshmem2-info must give)
SCRIPTED = {
    "silence": (lambda mem: lambda conn: None,
                "no answer within 2000 ms: not an ivshmem2 info socket?"),
    "garbage": (lambda mem: send_info(None, raw=b"hello, world"),
                "bad INFO from the server: not an INFO message"),
    "old version": (lambda mem: send_info(w.Info(version=1, compatible_version=1)),
                    "the server's protocol version is older than ours"),
    "newer only": (lambda mem: send_info(w.Info(version=3, compatible_version=3)),
                   "the server no longer serves our protocol version"),
    "IDs cut short": (lambda mem: send_info(w.Info(num_peers=2), ids=[0]),
                      "peer list cut short"),
    "ID twice": (lambda mem: send_info(w.Info(num_peers=2), ids=[1, 1]),
                 "peer ID 1 listed twice"),
    "ID too big": (lambda mem: send_info(w.Info(num_peers=1), ids=[2]),
                   "peer ID 2 not below max_peers"),
    "no fd": (lambda mem: send_info(GOOD), "INFO message without the memory fd"),
    "impossible layout": (lambda mem: send_info(w.Info(shm_size=16 << 20,
                                                       output_section_size=16 << 20),
                                                mem=mem(16 << 20)),
                          "the server announced an impossible layout: state table and output "
                          "sections do not fit"),
    "memory too small": (lambda mem: send_info(GOOD, mem=mem(4 << 20)),
                         "the memory has 4194304 bytes, fewer than the 16777216 of the layout"),
}


@pytest.mark.parametrize("case", list(SCRIPTED))
def test_scripted_info_server_errors(short_tmp, case):
    make_reply, expected = SCRIPTED[case]
    fds = []

    def mem(size):
        fds.append(memfd(size))
        return fds[-1]

    srv = ScriptedInfoServer(short_tmp / "scripted.sock", make_reply(mem))
    try:
        line = one_error_line(run_info(short_tmp / "scripted.sock"))
    finally:
        srv.close()
        for fd in fds:
            os.close(fd)
    assert expected in line, line


def test_a_later_server_with_more_fields_is_understood(short_tmp):
    fd = memfd(16 << 20)
    info = w.Info(max_peers=2, vectors=2, protocol=NET_PROTOCOL, shm_size=16 << 20,
                  output_section_size=4 << 20, num_peers=1, version=3)
    srv = ScriptedInfoServer(short_tmp / "later.sock",
                             send_info(info, ids=[1], mem=fd, extra=b"\xff" * 16))
    try:
        res = run_info("--json", short_tmp / "later.sock")
    finally:
        srv.close()
        os.close(fd)
    assert res.returncode == 0, res.stderr
    shown = json.loads(res.stdout)
    assert shown["server"]["connected"] == [1] and shown["server"]["version"] == 3
    assert shown["server"]["pid"] == os.getpid()


# --- options ----------------------------------------------------------------

@pytest.mark.parametrize("args, error", [
    ((), "no info socket given"),
    (("--watch", "0", "x"), "--watch '0': expected a number of refreshes above 0"),
    (("--watch=soon", "x"), "--watch 'soon'"),
    (("--bogus", "x"), "unknown option '--bogus'"),
    (("a", "b"), "unexpected argument 'b'"),
    (("-I", "a", "b"), "unexpected argument 'b'"),
    (("-I",), "-I/--info-socket needs a path"),
])
def test_bad_usage(args, error):
    line = one_error_line(run_info(*args), code=2)
    assert error in line, line


def test_help_and_version():
    res = run_info("--help")
    assert res.returncode == 0 and "INFO_SOCKET" in res.stdout and "--watch" in res.stdout
    res = run_info("--version")
    assert res.returncode == 0 and "protocol version 2" in res.stdout

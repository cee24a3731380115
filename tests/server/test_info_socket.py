# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""The info socket (ivshmem2-server -I): INFO with a read-only memory fd for
inspection tools, which never become peers."""

import errno
import fcntl
import mmap
import os
import signal
import socket
import struct

import pytest

import ivshmem2_wire as w
from ivshmem2_peer import Peer


def ask_info(path):
    """Connect like ivshmem2-info: (Info, peer IDs, memory fd, raw message)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as s:
        s.settimeout(5)
        s.connect(str(path))
        msg, fds, flags, _ = socket.recv_fds(s, w.MSG_INFO_MAX_LEN + 1, 4)
        assert not flags & socket.MSG_TRUNC, "INFO longer than MSG_INFO_MAX_LEN"
        assert s.recv(1) == b"", "the server keeps the info connection open"
    assert len(fds) == 1, f"INFO with {len(fds)} fds"
    mtype, length = w.HEADER.unpack_from(msg)
    assert (mtype, length) == (w.MSG_INFO, len(msg))
    info, ids = w.parse_info(msg)
    assert w.info_check(info, len(msg)) == "OK", info
    return info, ids, fds[0], msg


def test_info_reports_the_options_and_the_peers_in_order(make_server, make_peer):
    # --id-quarantine 0: the departed peer's ID goes to the next one at once
    srv = make_server(size="1M", output_size="64K", max_peers=4, vectors=3, protocol=0x4932,
                      info_socket=True, id_quarantine=0)
    info, ids, fd, msg = ask_info(srv.info_path)
    os.close(fd)
    assert info == w.Info(max_peers=4, vectors=3, protocol=0x4932,
                          backend=w.INFO_BACKEND_MEMFD, shm_size=1 << 20,
                          output_section_size=64 << 10, page_size=w.PAGE, num_peers=0)
    assert ids == [] and len(msg) == w.INFO_LEN
    a, b, c = (make_peer(srv) for _ in range(3))
    for p in (a, b, c):
        p.wait_ready()
    b.close()
    a.wait_peer_gone(1)
    d = make_peer(srv)          # takes the freed ID 1, last in connection order
    d.wait_ready()
    info, ids, fd, msg = ask_info(srv.info_path)
    os.close(fd)
    assert (info.num_peers, ids) == (3, [0, 2, 1])
    assert len(msg) == w.INFO_LEN + 12


def test_memory_fd_is_read_only_and_shows_the_group(make_server, make_peer):
    srv = make_server(size="1M", output_size="64K", info_socket=True)
    a = make_peer(srv)
    a.wait_ready()
    a.set_state(3)
    a.write_output(0, b"I2NT-from-peer-0")
    _, _, fd, _ = ask_info(srv.info_path)
    try:
        assert fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_RDONLY
        assert os.fstat(fd).st_size == 1 << 20
        with pytest.raises(PermissionError):
            mmap.mmap(fd, 1 << 20, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        with pytest.raises(OSError) as e:
            os.write(fd, b"x")
        assert e.value.errno == errno.EBADF
        m = mmap.mmap(fd, 1 << 20, mmap.MAP_SHARED, mmap.PROT_READ)
        assert struct.unpack_from("<I", m, 0)[0] == 3
        off = a.layout.output_offset(a.id)
        assert m[off:off + 16] == b"I2NT-from-peer-0"
        m.close()
    finally:
        os.close(fd)


def test_info_clients_are_invisible_to_peers(make_server, make_peer):
    srv = make_server(size="1M", output_size="64K", max_peers=3, info_socket=True)
    a, b = make_peer(srv), make_peer(srv)
    a.wait_ready()
    b.wait_ready()
    a.wait_peer(b.id)
    seen = len(a.log), len(b.log)
    for _ in range(20):
        os.close(ask_info(srv.info_path)[2])
    assert a.poll(0.3) == [] and b.poll(0.0) == [], "a peer heard of an info client"
    assert (len(a.log), len(b.log)) == seen
    c = make_peer(srv)          # the info clients took no ID
    c.wait_ready()
    assert c.id == 2
    assert srv.log().count(" joined ") == 3 and " left" not in srv.log()


def test_wrong_socket_kind_is_refused_at_connect(make_server):
    srv = make_server(size="1M", output_size="64K", info_socket=True)
    # A peer (stream) at the info socket and an info client at the peer socket.
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        with pytest.raises(OSError) as e:
            s.connect(str(srv.info_path))
        assert e.value.errno == errno.EPROTOTYPE
    with pytest.raises(OSError) as e:
        Peer(srv.info_path, timeout=2)
    assert e.value.errno == errno.EPROTOTYPE
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as s:
        with pytest.raises(OSError) as e:
            s.connect(str(srv.socket_path))
        assert e.value.errno == errno.EPROTOTYPE
    assert "joined" not in srv.log()


def test_backend_and_page_size_of_posix_memory(make_server):
    name = f"iv2-info-{os.getpid()}"
    srv = make_server(size="1M", output_size="64K", shm_name=name, info_socket=True)
    info, _, fd, _ = ask_info(srv.info_path)
    os.close(fd)
    assert (info.backend, info.page_size, info.numa_node) == \
        (w.INFO_BACKEND_POSIX, w.PAGE, w.INFO_NO_NUMA_NODE)


def test_hugetlbfs_memory_is_shared_read_only_too(make_server, make_peer, hugetlbfs):
    """-m on hugetlbfs (a hugetlb memfd, or a file there): 2M pages, read-only fd."""
    srv = make_server(size="16M", output_size="4M", shm_dir=hugetlbfs, info_socket=True)
    a = make_peer(srv)
    a.wait_ready()
    a.set_state(2)
    info, ids, fd, _ = ask_info(srv.info_path)
    try:
        assert (info.backend, info.page_size, ids) == (w.INFO_BACKEND_DIR, 2 << 20, [0])
        assert fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_RDONLY
        with pytest.raises(PermissionError):
            mmap.mmap(fd, 16 << 20, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        m = mmap.mmap(fd, 16 << 20, mmap.MAP_SHARED, mmap.PROT_READ)
        assert struct.unpack_from("<I", m, 0)[0] == 2
        m.close()
    finally:
        os.close(fd)


def test_info_socket_file_lifecycle(make_server, short_tmp):
    info = short_tmp / "i.sock"
    # A stale info socket (nobody listening) is replaced ...
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    stale.bind(str(info))
    stale.close()
    srv = make_server(size="1M", output_size="64K", info_socket=info)
    os.close(ask_info(info)[2])
    assert "removed stale socket" in srv.log()
    # ... a live one is not ...
    other = make_server(size="1M", output_size="64K", info_socket=info, start=False)
    with pytest.raises(Exception, match="another server is already listening on"):
        other.start(timeout=10)
    assert srv.alive()
    assert not other.socket_path.exists(), "the failed server left its peer socket"
    # ... and it is gone when the server stops.
    assert srv.stop(signal.SIGTERM) == 0
    assert not info.exists() and not srv.socket_path.exists()


def test_info_path_equal_to_peer_path_is_refused(short_tmp):
    from ivshmem2_server import run_server

    sock = short_tmp / "s.sock"
    res = run_server(["-F", "-S", sock, "-I", sock, "-o", "64K", "-l", "1M"])
    assert res.returncode == 1
    assert res.stderr.strip().splitlines() == [
        f"ivshmem2-server: error: -I/--info-socket {sock}: must differ from the peer "
        "socket -S"]
    assert list(short_tmp.iterdir()) == []

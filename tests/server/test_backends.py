# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Shared-memory backends of ivshmem2-server (memfd, POSIX shm, a file in a
directory, hugetlbfs) and the NUMA binding."""

import fcntl
import os
import signal
import uuid
from pathlib import Path

import pytest

from ivshmem2_server import run_server


def fd_target(fd):
    return os.readlink(f"/proc/self/fd/{fd}")


def exchange(a, b):
    """The two peers share memory and doorbells."""
    a.wait_ready()
    b.wait_ready()
    a.wait_peer(b.id)
    b.wait_peer(a.id)
    b.write_rw(0, b"via " + fd_target(b.shm_fd).encode()[:40])
    assert a.read(a.layout.rw_section_offset, 4) == b"via "
    if a.layout.output_section_size:
        a.write_output(8, b"out of a")
        assert b.read_output(a.id, 8, 8) == b"out of a"
    a.ring(b.id, 0)
    assert b.wait_vector(0) == 1


SEAL_SIZE = fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW
UNSEALED_WARNING = "cannot be sealed: any peer can resize it"


def seals(fd):
    return fcntl.fcntl(fd, fcntl.F_GET_SEALS)


def numa_node0():
    if not Path("/sys/devices/system/node/node0").exists():
        pytest.skip("the kernel exposes no NUMA nodes (/sys/devices/system/node)")


def test_memfd_is_the_default_and_sealed(make_server, make_peer):
    srv = make_server()
    a, b = make_peer(srv), make_peer(srv)
    assert fd_target(a.shm_fd).startswith("/memfd:ivshmem2")
    exchange(a, b)
    # Sealed: no peer can shrink (SIGBUS for everyone) or grow the memory.
    with pytest.raises(PermissionError):
        os.ftruncate(a.shm_fd, 4096)
    with pytest.raises(PermissionError):
        os.ftruncate(a.shm_fd, 8 << 20)
    assert seals(a.shm_fd) & SEAL_SIZE == SEAL_SIZE
    assert "memfd, sealed" in srv.log()
    assert UNSEALED_WARNING not in srv.log()


def test_posix_shm_object_lives_while_the_server_runs(make_server, make_peer):
    name = f"iv2-srv-{uuid.uuid4().hex[:8]}"
    obj = Path("/dev/shm") / name
    srv = make_server(shm_name=name, size="2M", output_size="512K")
    assert obj.exists()
    a, b = make_peer(srv), make_peer(srv)
    st = os.fstat(a.shm_fd)
    assert (st.st_ino, st.st_size) == (obj.stat().st_ino, 2 << 20)
    exchange(a, b)
    # kept for the seed's users, with a warning: peers can resize it
    srv.wait_log(r"warning: shm: a POSIX shm object " + UNSEALED_WARNING)
    assert seals(a.shm_fd) & SEAL_SIZE == 0
    assert srv.stop(signal.SIGINT) == 0
    assert not obj.exists()
    assert not srv.socket_path.exists()


def test_file_in_a_directory(make_server, make_peer, short_tmp):
    d = short_tmp / "mem"
    d.mkdir()
    srv = make_server(shm_dir=d, max_peers=3, output_size="4K")
    a, b = make_peer(srv), make_peer(srv)
    assert fd_target(a.shm_fd).startswith(str(d) + "/ivshmem2.")
    assert fd_target(a.shm_fd).endswith("(deleted)")
    assert list(d.iterdir()) == []  # unlinked at once
    exchange(a, b)
    srv.wait_log(r"warning: shm: a file in a directory " + UNSEALED_WARNING)


def test_hugetlbfs_is_a_sealed_hugetlb_memfd(make_server, make_peer, hugetlbfs):
    """-m on hugetlbfs: huge pages of the mount's size, as a memfd whose size
    is sealed (a file on hugetlbfs could not be)."""
    srv = make_server(shm_dir=hugetlbfs, size="8M", output_size="2M")
    srv.wait_log(r"hugetlb memfd, sealed, pages of /dev/hugepages, page 2M")
    a, b = make_peer(srv), make_peer(srv)
    assert fd_target(a.shm_fd).startswith("/memfd:ivshmem2")
    assert os.fstat(a.shm_fd).st_blksize == 2 << 20  # huge pages
    assert seals(a.shm_fd) & SEAL_SIZE == SEAL_SIZE
    with pytest.raises(PermissionError):
        os.ftruncate(a.shm_fd, 2 << 20)
    assert a.shm_size == 8 << 20
    assert a.layout.output_section_offset == 4 << 20
    exchange(a, b)
    assert "warning" not in srv.log()


def test_hugetlbfs_small_size_becomes_one_huge_page(make_server, make_peer, hugetlbfs):
    srv = make_server(shm_dir=hugetlbfs, size="64K")
    srv.wait_log(r"shm size 64K rounded up to 2M")
    a = make_peer(srv)
    assert a.shm_size == 2 << 20


def test_numa_node_0_binds_and_reports(make_server, make_peer):
    numa_node0()
    srv = make_server(numa_node=0, size="4M")
    srv.wait_log(r"shm: memory lives on NUMA node 0 \((\d+) of \1 sampled pages\)")
    a, b = make_peer(srv), make_peer(srv)
    exchange(a, b)


def test_numa_node_0_on_hugetlbfs(make_server, make_peer, hugetlbfs):
    numa_node0()
    srv = make_server(numa_node=0, shm_dir=hugetlbfs, size="4M")
    srv.wait_log(r"shm: memory lives on NUMA node 0 \(2 of 2 sampled pages\)")
    exchange(make_peer(srv), make_peer(srv))


def test_numa_node_0_with_posix_shm(make_server, make_peer):
    numa_node0()
    srv = make_server(numa_node=0, shm_name=f"iv2-srv-{uuid.uuid4().hex[:8]}")
    srv.wait_log(r"memory lives on NUMA node 0")
    exchange(make_peer(srv), make_peer(srv))


def test_numa_node_99_is_a_clear_error(short_tmp):
    numa_node0()
    sock = short_tmp / "s.sock"
    res = run_server(["-F", "-S", str(sock), "--numa-node", "99"])
    assert res.returncode == 1
    assert res.stderr.strip().splitlines() == [
        "ivshmem2-server: error: --numa-node 99: no such NUMA node with memory "
        f"(this machine has nodes 0-{max_node()})"]
    assert not sock.exists()


def max_node():
    nodes = [int(p.name[4:]) for p in Path("/sys/devices/system/node").glob("node[0-9]*")]
    return max(nodes)

# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Fixtures for the ivshmem2-server tests: servers and peers that are
always cleaned up, even when a test fails. Under IVSHMEM2_SERVER_VALGRIND=1
a test fails if valgrind reported anything for one of its servers."""

import pytest

from ivshmem2_peer import Peer
from ivshmem2_server import Server
from started import started


def _stop(srv: Server) -> None:
    srv.cleanup()
    errors = srv.valgrind_errors()
    if errors:
        raise AssertionError(f"valgrind found errors in the server:\n{errors}\n"
                             f"server log:\n{srv.log()}")


@pytest.fixture
def make_server():
    """Factory: make_server(**Server kwargs) -> started Server."""
    with started(Server, _stop) as make:
        yield make


def _connect(target, **kwargs) -> Peer:
    return Peer(getattr(target, "socket_path", target), **kwargs)


@pytest.fixture
def make_peer():
    """Factory: make_peer(server_or_path, **Peer kwargs) -> connected Peer."""
    with started(_connect, Peer.close) as make:
        yield make


@pytest.fixture
def server(make_server):
    """A default server: 4 peers, 2 vectors, 1M with 64K output sections."""
    return make_server(max_peers=4, vectors=2, size="1M", output_size="64K")


HUGETLBFS = "/dev/hugepages"


@pytest.fixture
def hugetlbfs():
    """The hugetlbfs mount (scripts/setup.sh mounts it with 2M pages)."""
    import os
    from pathlib import Path

    with open("/proc/mounts") as f:
        mounted = any(line.split()[1] == HUGETLBFS and line.split()[2] == "hugetlbfs"
                      for line in f)
    if not mounted:
        pytest.skip(f"{HUGETLBFS} is not a hugetlbfs mount (run scripts/setup.sh as root)")
    free = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("HugePages_Free:"):
                free = int(line.split()[1])
    if free < 8:
        pytest.skip(f"only {free} free huge pages (scripts/setup.sh reserves 1024)")
    assert os.access(HUGETLBFS, os.W_OK)
    return Path(HUGETLBFS)

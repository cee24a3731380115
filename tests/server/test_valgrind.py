# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""A few server cases under valgrind (memcheck, full leak check, fds left
open) in the normal suite. The whole suite runs that way with

    IVSHMEM2_SERVER_VALGRIND=1 /usr/bin/python3 -m pytest tests/server

(tests/lib/ivshmem2_server.py); any report fails the test whose server had it.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ivshmem2_server import server_binary, valgrind_enabled

HERE = Path(__file__).resolve().parent

# Joining, leaving, quarantined IDs, peers vanishing mid-message, a peer
# dropped for falling behind, signals, daemon start-up and its failure, the
# sealed and the POSIX backends, start-up errors: about 45 s under valgrind.
CASES = [
    "test_protocol.py::test_departed_id_is_quarantined_while_others_are_free",
    "test_protocol.py::test_peers_vanishing_mid_message",
    "test_robustness.py::test_client_too_far_behind_is_dropped",
    "test_daemon.py",
    "test_backends.py::test_memfd_is_the_default_and_sealed",
    "test_backends.py::test_posix_shm_object_lives_while_the_server_runs",
    "test_cli.py::test_existing_posix_object_is_refused",
    "test_cli.py::test_too_few_file_descriptors_is_refused_at_start",
]


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind is not installed "
                    "(scripts/setup.sh installs it)")
@pytest.mark.skipif(valgrind_enabled(), reason="the whole suite runs under valgrind already")
def test_server_cases_under_valgrind():
    if "asan" in os.environ.get("LD_PRELOAD", "") or b"libasan" in server_binary().read_bytes():
        pytest.skip("a sanitizer build (scripts/test-sanitizers.sh) cannot run under valgrind")
    env = dict(os.environ, IVSHMEM2_SERVER_VALGRIND="1")
    res = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         *(str(HERE / case) for case in CASES)],
        cwd=HERE.parents[1], env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout[-6000:] + res.stderr[-2000:]
    summary = res.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "skipped" not in summary, res.stdout[-2000:]

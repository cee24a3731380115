# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Fixtures shared by every test directory."""

from pathlib import Path

import pytest

import ivshmem2_paths


@pytest.fixture(scope="session")
def paths():
    """Build products (ivshmem2_paths module)."""
    return ivshmem2_paths


@pytest.fixture
def short_tmp(tmp_path_factory):
    """A short directory for UNIX socket paths (sun_path holds 108 bytes)."""
    import tempfile

    d = Path(tempfile.mkdtemp(prefix="iv2-"))
    yield d
    import shutil

    shutil.rmtree(d, ignore_errors=True)

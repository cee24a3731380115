# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""The testbed: the system under test, its topology, capabilities and virtual devices."""

# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""A small DTS-style framework: suites with hooks, verify(), testpmd shells.

The names follow upstream DPDK DTS (TestSuite, func_test, perf_test,
TestPmdShell, VirtualDevice) so suites read the same; the implementation
is local, runs on this host only, and is driven by pytest through
dts/conftest.py.
"""

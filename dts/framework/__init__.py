# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""A small DTS framework in the module layout of upstream DPDK DTS (24.11).

The module paths and names follow upstream (remote_session/testpmd_shell.py,
remote_session/blocking_app.py, testbed_model/{node,topology,capability,
virtual_device}.py, params/testpmd.py, test_suite.py, test_result.py) so a
suite reads the same; the implementation is local: one node (this host), no
traffic generator (the NO_LINK topology), driven by pytest through
dts/conftest.py. What only net_ivshmem2 needs (its server and groups,
ivshmem2-pktcheck, strace counts, stock examples) is in framework/ivshmem2/.
"""

# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""What only the net_ivshmem2 suites need, beside the upstream-shaped framework.

group.py: ivshmem2-server as a BlockingApp, a group per case and its vdevs;
suite.py: the base of the net_ivshmem2 suites; pktcheck.py: ivshmem2-pktcheck;
traffic.py: one-way traffic between two testpmd shells; strace.py: syscall
counts; examples.py: stock DPDK examples built from /usr/share/dpdk/examples.
"""

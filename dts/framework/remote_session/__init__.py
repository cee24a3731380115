# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Applications the suites run on the node: interactive testpmd and blocking apps."""

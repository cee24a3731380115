# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""The CPU flags of this machine, as /proc/cpuinfo lists them."""


def cpu_flags():
    """The set of flags of the first CPU (empty when /proc/cpuinfo has none)."""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    return set()

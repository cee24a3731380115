# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Command line parameters of the applications the suites run."""

from __future__ import annotations

from typing import List


class Params:
    """Parameters that render themselves as an argument list."""

    def to_args(self) -> List[str]:
        """The arguments, in order."""
        raise NotImplementedError

    def __str__(self) -> str:
        return " ".join(self.to_args())

# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Factory fixtures that stop everything they started, even when a test fails.

    @pytest.fixture
    def make_server():
        with started(Server, Server.cleanup) as make:
            yield make          # make(**kwargs) -> Server; make.items: all so far
"""

from __future__ import annotations

import signal
import subprocess
from contextlib import contextmanager
from typing import Callable, Iterator, List


class Starter:
    """Calls @make and remembers each result for @stop."""

    def __init__(self, make: Callable, stop: Callable):
        self._make = make
        self._stop = stop
        self.items: List = []

    def __call__(self, *args, **kwargs):
        item = self._make(*args, **kwargs)
        self.items.append(item)
        return item

    def stop_all(self) -> None:
        """Stop in reverse order of start; every item is stopped even if one fails."""
        error = None
        for item in reversed(self.items):
            try:
                self._stop(item)
            except Exception as e:  # noqa: BLE001 - stop the others, then report
                error = error or e
        self.items = []
        if error is not None:
            raise error


@contextmanager
def started(make: Callable, stop: Callable) -> Iterator[Starter]:
    starter = Starter(make, stop)
    try:
        yield starter
    finally:
        starter.stop_all()


def interrupt_process(proc: subprocess.Popen, timeout: float = 30.0) -> None:
    """Stop a DPDK app as a user would (SIGINT: ports closed), SIGKILL if it hangs."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()

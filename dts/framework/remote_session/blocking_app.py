# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Applications that run in the background until they exit or are stopped.

    app = BlockingApp(node, "/usr/bin/foo", name="foo", app_params=["-x", "1"])
    app.start_application(end_token="ready")     # returns once "ready" was printed
    ...
    rc = app.close()                              # SIGINT, then SIGKILL if it hangs

Unlike TestPmdShell, nothing is sent to its input: the application reads no
commands. Its stdout and stderr go to a log file in the node's work
directory (never a pipe nobody reads), read by output() and wait_output().
The process is tracked by the SutNode, so it is killed after the case even
when the case failed.
"""

from __future__ import annotations

import re
import signal
import subprocess
import time
from pathlib import Path, PurePath
from typing import Callable, List, Optional, Sequence, Union

from framework.exception import DTSError
from framework.testbed_model.node import SutNode


class BlockingAppError(DTSError):
    """A blocking application exited or did not get ready in time."""


class BlockingApp:
    """One background process on @node: @path with @app_params.

    @command_prefix goes before @path (e.g. ["stdbuf", "-oL"] or a wrapper).
    """

    def __init__(self, node: SutNode, path: Union[str, PurePath], name: Optional[str] = None,
                 app_params: Sequence[object] = (), *,
                 command_prefix: Sequence[str] = ()):
        self.node = node
        self.path = path
        self.name = name or PurePath(path).name
        self.command: List[str] = [*command_prefix, str(path), *[str(a) for a in app_params]]
        self.log_path: Path = node.workdir / f"{node.file_prefix(self.name)}.log"
        self.proc: Optional[subprocess.Popen] = None
        self.returncode: Optional[int] = None

    # --- start ---
    def start_application(self, end_token: Optional[str] = None,
                          ready: Optional[Callable[[], bool]] = None,
                          timeout: Optional[float] = None) -> "BlockingApp":
        """Start the application; with @end_token wait until that regex
        appears in its output, with @ready until ready() is true. Starting
        it again after it exited (or was closed) runs a new process with
        the same command, appending to the same log."""
        if self.alive():
            return self
        mark = len(self.output())
        with open(self.log_path, "ab") as log:
            self.proc = self.node.track(subprocess.Popen(
                self.command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True))
        self.returncode = None
        timeout = timeout if timeout is not None else self.node.config.startup_timeout
        if end_token is not None:
            self.wait_output(end_token, timeout, since=mark)
        if ready is not None:
            deadline = time.monotonic() + timeout
            while not ready():
                if not self.alive():
                    raise BlockingAppError(f"{self.name} exited ({self.proc.returncode}) "
                                           f"during start-up:\n{self.output()[-3000:]}")
                if time.monotonic() > deadline:
                    raise BlockingAppError(f"{self.name} not ready within {timeout} s:\n"
                                           f"{self.output()[-3000:]}")
                time.sleep(0.02)
        return self

    # --- state and output ---
    @property
    def pid(self) -> int:
        assert self.proc is not None, f"{self.name} was never started"
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def running(self) -> bool:
        """Same as alive()."""
        return self.alive()

    def output(self) -> str:
        """Everything the application printed so far (all its runs)."""
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def wait_output(self, pattern: str, timeout: float, since: int = 0) -> re.Match:
        """Wait until regex @pattern appears in the output after offset @since."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            m = rx.search(self.output(), since)
            if m:
                return m
            if not self.alive():
                # One last look: the final lines may have arrived with the exit.
                m = rx.search(self.output(), since)
                if m:
                    return m
                raise BlockingAppError(f"{self.name} exited ({self.proc and self.proc.returncode})"
                                       f" before printing {pattern!r}:\n{self.output()[-3000:]}")
            if time.monotonic() > deadline:
                raise BlockingAppError(f"{self.name}: no {pattern!r} within {timeout} s:\n"
                                       f"{self.output()[-3000:]}")
            time.sleep(0.05)

    # --- stop ---
    def send_signal(self, sig: int) -> None:
        if self.alive():
            self.proc.send_signal(sig)

    def wait_for_exit(self, timeout: float, interrupt: bool = True) -> int:
        """Wait until the application exits; after @timeout send SIGINT (if
        @interrupt) and, 15 s later, SIGKILL. Returns the exit status."""
        assert self.proc is not None, f"{self.name} was never started"
        try:
            self.returncode = self.proc.wait(timeout)
            return self.returncode
        except subprocess.TimeoutExpired:
            pass
        if interrupt:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.returncode = self.proc.wait(15)
                return self.returncode
            except subprocess.TimeoutExpired:
                pass
        self.proc.kill()
        self.returncode = self.proc.wait()
        return self.returncode

    def close(self, sig: int = signal.SIGINT, timeout: float = 30.0) -> Optional[int]:
        """Send @sig and wait for the exit (SIGKILL after @timeout); returns
        the exit status, None if it never ran. Idempotent."""
        if self.proc is None:
            return None
        if self.alive():
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.returncode = self.proc.returncode
        return self.returncode

    def __enter__(self) -> "BlockingApp":
        return self.start_application()

    def __exit__(self, *exc) -> None:
        self.close()

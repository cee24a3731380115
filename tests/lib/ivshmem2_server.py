# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Start and stop the real ivshmem2-server binary for tests.

    from ivshmem2_server import Server
    with Server(max_peers=4, vectors=2) as srv:       # started, socket ready
        peer = Peer(srv.socket_path)
    # stopped with SIGTERM; srv.log() still has its output

The binary is ivshmem2_paths.SERVER unless IVSHMEM2_SERVER names another
one (e.g. a sanitizer build). IVSHMEM2_SERVER_WRAPPER, if set, is a command
prefix such as "strace -f -o /tmp/s.log".

IVSHMEM2_SERVER_VALGRIND=1 runs every server under valgrind (memcheck,
--leak-check=full, --error-exitcode=99): run_server() gets valgrind's
report on stderr, a Server writes it to files in its work directory (with
--track-fds=yes in the foreground), and keeps it (valgrind_errors(), also after cleanup()),
daemons included: memory errors, leaks, and fds the server itself opened
and left open at exit. The fixtures of tests/server fail a test whose
server had any.

Readiness: the socket is listed as listening in /proc/net/unix, so a
connect is accepted. The helper does not probe by connecting (that would
make it a peer of the group).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import List, Optional, Sequence

import ivshmem2_paths


class ServerError(RuntimeError):
    """The server did not start or stop as expected; the message has its log."""


def server_binary() -> Path:
    """The server binary tests run; fails clearly if it is not built."""
    path = Path(os.environ.get("IVSHMEM2_SERVER", ivshmem2_paths.SERVER))
    if not path.exists():
        raise FileNotFoundError(f"{path} not built (run scripts/build.sh or ninja -C build)")
    return path


def socket_listening(path) -> bool:
    """Is a UNIX socket bound to @path listening (per /proc/net/unix)?"""
    want = str(path)
    with open("/proc/net/unix") as f:
        next(f)
        for line in f:
            fields = line.split(None, 7)
            # Num RefCount Protocol Flags Type St Inode Path; 0x10000 = listening
            if len(fields) == 8 and int(fields[3], 16) & 0x10000 and \
                    fields[7].rstrip("\n") == want:
                return True
    return False


VALGRIND_EXIT = 99


def valgrind_enabled() -> bool:
    """Is IVSHMEM2_SERVER_VALGRIND set (to anything but "" or "0")?"""
    return os.environ.get("IVSHMEM2_SERVER_VALGRIND", "") not in ("", "0")


def valgrind_command(log_dir=None, track_fds: bool = False) -> List[str]:
    """valgrind's command prefix; with @log_dir its reports go to files there
    (one per process: a daemon's child too), else to stderr. @track_fds also
    reports fds left open at exit (not for daemons: the parents of the
    double fork exit with the daemon's fds open, as they should)."""
    cmd = ["valgrind", "-q", f"--error-exitcode={VALGRIND_EXIT}", "--leak-check=full",
           "--show-leak-kinds=definite,indirect,possible",
           "--errors-for-leak-kinds=definite,indirect,possible"]
    if log_dir is not None:
        cmd.append(f"--log-file={log_dir}/valgrind.%p.log")
    if track_fds:
        cmd.append("--track-fds=yes")
    return cmd


def valgrind_findings(report: str) -> str:
    """@report (one valgrind log) without the fds a process inherited and
    kept open at exit (--track-fds lists those too): what is left is a
    finding."""
    kept, block = [], []
    lines = [re.sub(r"^==\d+== ?", "", line) for line in report.splitlines()]
    for line in lines + [""]:
        if line.startswith("FILE DESCRIPTORS:"):
            continue
        if line.strip():
            block.append(line)
            continue
        if block and not (block[0].startswith("Open ") and
                          any("<inherited from parent>" in b for b in block)):
            kept += block + [""]
        block = []
    return "\n".join(kept).strip()


def _wrapper(log_dir=None, track_fds: bool = False) -> List[str]:
    prefix = valgrind_command(log_dir, track_fds) if valgrind_enabled() else []
    return prefix + shlex.split(os.environ.get("IVSHMEM2_SERVER_WRAPPER", ""))


def run_server(args: Sequence[str], timeout: float = 60.0) -> subprocess.CompletedProcess:
    """Run the server with @args to completion (bad options, --help);
    returns the CompletedProcess with text stdout/stderr."""
    return subprocess.run(_wrapper() + [str(server_binary())] + [str(a) for a in args],
                          capture_output=True, text=True, timeout=timeout, check=False)


class Server:
    """One ivshmem2-server process.

    Keyword args map to options (None: server default):
        socket_path (-S; default: a fresh private temp dir/ivshmem2.sock),
        size (-l, e.g. "4M"), output_size (-o), max_peers (-n), vectors (-V),
        protocol (-P), memfd (--memfd), shm_name (-M), shm_dir (-m),
        info_socket (-I; True: info.sock in the private temp dir),
        numa_node (--numa-node), log_level (--log-level, default "info"),
        queue_limit (--queue-limit), id_quarantine (--id-quarantine),
        pidfile (-p), extra_args (appended).
        foreground=False runs it as a daemon (needs pidfile; log() is empty,
        the daemon logs to syslog).
    start() is called by the constructor unless start=False.
    """

    def __init__(self, socket_path=None, *, size=None, output_size=None, max_peers=None,
                 vectors=None, protocol=None, memfd: bool = False, shm_name=None,
                 info_socket=None,
                 shm_dir=None, numa_node=None, log_level: Optional[str] = "info",
                 queue_limit=None, id_quarantine=None, pidfile=None,
                 foreground: bool = True,
                 extra_args: Sequence[str] = (), start: bool = True,
                 timeout: float = 30.0):
        self.workdir = Path(tempfile.mkdtemp(prefix="iv2-srv-"))
        self.socket_path = Path(socket_path) if socket_path else self.workdir / "ivshmem2.sock"
        self.log_path = self.workdir / "server.log"
        if info_socket is True:
            info_socket = self.workdir / "info.sock"
        self.info_path = Path(info_socket) if info_socket else None
        self.pidfile = Path(pidfile) if pidfile else None
        self.foreground = foreground
        if not foreground and not self.pidfile:
            self.pidfile = self.workdir / "server.pid"
        args: List[str] = ["-S", str(self.socket_path)]
        if foreground:
            args.append("-F")
        if self.pidfile:
            args += ["-p", str(self.pidfile)]
        for opt, val in (("-l", size), ("-o", output_size), ("-n", max_peers),
                         ("-V", vectors), ("-P", protocol), ("-M", shm_name),
                         ("-I", self.info_path),
                         ("-m", shm_dir), ("--numa-node", numa_node),
                         ("--log-level", log_level), ("--queue-limit", queue_limit),
                         ("--id-quarantine", id_quarantine)):
            if val is not None:
                args += [opt, hex(val) if opt == "-P" and isinstance(val, int) else str(val)]
        if memfd:
            args.append("--memfd")
        args += [str(a) for a in extra_args]
        self.args = args
        self.proc: Optional[subprocess.Popen] = None
        self.pid: Optional[int] = None
        self.returncode: Optional[int] = None
        self._logf = None
        self._final_log: Optional[str] = None
        self._final_valgrind: Optional[str] = None
        if start:
            try:
                self.start(timeout)
            except BaseException:
                self.cleanup()
                raise

    @property
    def command(self) -> List[str]:
        """The full command line."""
        return _wrapper(self.workdir, track_fds=self.foreground) + [str(server_binary())] \
            + self.args

    def valgrind_errors(self) -> str:
        """What valgrind reported for this server (and a daemon's child), ""
        if nothing or not under valgrind (kept after cleanup())."""
        if self._final_valgrind is not None:
            return self._final_valgrind
        reports = []
        for path in sorted(self.workdir.glob("valgrind.*.log")):
            text = valgrind_findings(path.read_text(errors="replace"))
            if text:
                reports.append(f"{path.name}:\n{text}")
        return "\n".join(reports)

    def log(self) -> str:
        """Everything the server wrote to stdout/stderr so far (kept after
        cleanup())."""
        if self._final_log is not None:
            return self._final_log
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def wait_log(self, pattern: str, timeout: float = 10.0, count: int = 1) -> re.Match:
        """Wait until regex @pattern matches the log @count times; returns
        the last match."""
        deadline = time.monotonic() + timeout
        while True:
            found = list(re.finditer(pattern, self.log()))
            if len(found) >= count:
                return found[count - 1]
            if time.monotonic() > deadline:
                raise ServerError(f"{len(found)} of {count} {pattern!r} in the server log "
                                  f"after {timeout} s:\n" + self.log())
            time.sleep(0.02)

    def start(self, timeout: float = 30.0) -> "Server":
        """Start the server and wait until its socket accepts connections."""
        self._logf = open(self.log_path, "ab")
        # The log goes to a file, never a pipe nobody reads (that would block it).
        self.proc = subprocess.Popen(self.command, stdin=subprocess.DEVNULL, stdout=self._logf,
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        if not self.foreground:
            try:
                rc = self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                raise ServerError("daemon start-up did not finish:\n" + self.log()) from None
            if rc != 0:
                raise ServerError(f"daemon start-up failed ({rc}):\n" + self.log())
            self.pid = int(self.pidfile.read_text().strip())
            if not self.socket_path.exists():
                raise ServerError("daemon reported ready without a socket")
            return self
        self.pid = self.proc.pid
        while True:
            if self.proc.poll() is not None:
                self.returncode = self.proc.returncode
                raise ServerError(f"server exited with {self.returncode}:\n" + self.log())
            if socket_listening(self.socket_path):
                return self
            if time.monotonic() > deadline:
                raise ServerError(f"server not ready within {timeout} s:\n" + self.log())
            time.sleep(0.02)

    def alive(self) -> bool:
        """Is the server process still running?"""
        if self.pid is None:
            return False
        if self.proc is not None and self.proc.pid == self.pid:
            return self.proc.poll() is None
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        # A daemon's zombie is reaped by init; check it is not a zombie.
        try:
            return Path(f"/proc/{self.pid}/stat").read_text().split()[2] != "Z"
        except (FileNotFoundError, IndexError):
            return False

    def send_signal(self, sig: int) -> None:
        """Send @sig to the server."""
        if self.pid is not None and self.alive():
            os.kill(self.pid, sig)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> Optional[int]:
        """Send @sig and wait for the exit; returns the exit status (None for
        a daemon, which is not our child). SIGKILL after @timeout."""
        if self.pid is None:
            return self.returncode
        if self.proc is not None and self.proc.pid == self.pid:
            if self.proc.poll() is None:
                self.proc.send_signal(sig)
                try:
                    self.proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
                    self.returncode = self.proc.returncode
                    raise ServerError(f"server ignored signal {sig}:\n" + self.log()) from None
            self.returncode = self.proc.returncode
        else:
            self.send_signal(sig)
            deadline = time.monotonic() + timeout
            while self.alive():
                if time.monotonic() > deadline:
                    os.kill(self.pid, signal.SIGKILL)
                    raise ServerError(f"daemon {self.pid} ignored signal {sig}")
                time.sleep(0.02)
        self.pid = None
        return self.returncode

    def cleanup(self) -> None:
        """Stop (SIGKILL if needed) and remove the work directory."""
        try:
            if self.pid is not None and self.alive():
                self.stop(signal.SIGTERM, timeout=10)
        except ServerError:
            pass
        finally:
            if self.proc is not None and self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            if self._logf:
                self._logf.close()
                self._logf = None
            if self._final_log is None:
                self._final_log = self.log()
            if self._final_valgrind is None:
                self._final_valgrind = self.valgrind_errors()
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc) -> None:
        self.cleanup()

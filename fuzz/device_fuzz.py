#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Replay fuzzer of the QEMU ivshmem2 device's server-message handling.

Each iteration runs the real qemu-system-x86_64 (-accel qtest, the device on
a chardev socket) against a fake server that sends one script: a seed of
fuzz/corpus/device/ first, then mutations of them. Scripts use the format of
fuzz/fuzz_script.h (the same as fuzz_vdev's inputs).

QEMU must either refuse the device during realize (exit status 1 with an
"ivshmem2" error), or come up, keep working while the rest of the script
arrives (registers, doorbells to every peer, state writes, MSI-X), and quit
cleanly (status 0) when asked. A signal, another status, an assertion or
sanitizer report, or a hang is a failure: the input is saved to --out and the
run exits 1.

    fuzz/device_fuzz.py --iterations 200 --seconds 600      # mutate for a while
    fuzz/device_fuzz.py --replay build-fuzz/device-crashes/crash-*   # reproduce
"""

import argparse
import fcntl
import hashlib
import os
import random
import re
import runpy
import shutil
import socket
import struct
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
runpy.run_path(str(REPO / "scripts" / "pythonpath.py"))

import device_qtest as dq  # noqa: E402
import ivshmem2_wire as w  # noqa: E402

SLOT = 4    # as tests/device/device_harness.py places the device


def device_args(socket_path):
    return ["-chardev", f"socket,path={socket_path},id=ivs",
            "-device", f"ivshmem2,chardev=ivs,addr={SLOT:02x}.0"]


# fuzz_script.c's tables (index: the record's byte mod 8).
MEM_SIZES = [64 << 10, 256 << 10, 1 << 20, 4 << 20, 0, (64 << 10) + 100, 2 << 20, 8 << 10]
OUT_SIZES = [0, 4096, 64 << 10, 1 << 20, 3 * 4096, 1000, None, 1 << 40]
FD_EVENTFD, FD_MEMFD, FD_PIPE, FD_MEMFD_RO, FD_SHM = range(5)
MAX_SENDS = 256
NET_PROTOCOL = 0x4932

READY_WAIT = 2.0   # a held connection is closed if realize has not finished by then
QUIT_WAIT = 10.0
MAX_PAUSE_MS = 1000
BAD_STDERR = re.compile(r"Assertion|assertion failed|core dumped|AddressSanitizer|"
                        r"runtime error|Segmentation|Aborted|Bail out|qemu: fatal")


class Send:
    def __init__(self, data=b"", fds=(), shm_size=0, pause_ms=0):
        self.data = data
        self.fds = list(fds)
        self.shm_size = shm_size
        self.pause_ms = pause_ms


class Script:
    """The decoded script: sends of the first connection, and whether it is held."""

    def __init__(self, data: bytes):
        self.sends = []
        self.hold = False
        pos = 0
        conn = 0
        pause = 0

        def rd():
            nonlocal pos
            if pos >= len(data):
                return 0
            pos += 1
            return data[pos - 1]

        def add(send):
            nonlocal pause
            if conn == 0 and len(self.sends) < MAX_SENDS:
                send.pause_ms = pause
                self.sends.append(send)
            pause = 0

        total = 0
        while pos < len(data) and total < MAX_SENDS:
            op = rd() % 8
            if op == 0:
                spec, n = rd(), rd()
                body = bytes(rd() for _ in range(n))
                add(Send(body, [(spec >> (2 + 2 * i)) & 3 for i in range(spec & 3)]))
            elif op == 1:
                args = [rd() for _ in range(6)]
                add(self._init(*args))
            elif op == 2:
                id_, vec, t = rd(), rd(), rd() & 3
                add(self._event_fd(id_, vec, t))
            elif op == 3:
                add(Send(struct.pack("<III", w.MSG_PEER_GONE, w.PEER_GONE_LEN, rd())))
            elif op == 4:
                id_, peers, vectors, mem, others = (rd() for _ in range(5))
                add(self._init(id_, peers, vectors, mem, 0, 0))
                for i in range(8):
                    if others >> i & 1 and i != id_:
                        for v in range(vectors):
                            add(self._event_fd(i, v, FD_EVENTFD))
                for v in range(vectors):
                    add(self._event_fd(id_, v, FD_EVENTFD))
            elif op == 5:
                conn += 1
            elif op == 6:
                pause = min(pause + rd(), MAX_PAUSE_MS)
            elif op == 7:
                if conn == 0:
                    self.hold = True
            total = len(self.sends)

    @staticmethod
    def _init(id_, peers, vectors, mem, out, flags):
        shm = MEM_SIZES[mem % 8]
        osz = OUT_SIZES[out % 8]
        if osz == 0:
            osz = (shm - 4096) // peers // 4096 * 4096 if peers and shm > 4096 else 0
        elif osz is None:
            osz = shm
        length = w.INIT_LEN + (8 if flags & 0x20 else 0)
        msg = struct.pack("<IIIIIIIIQ", w.MSG_INIT, length + (1 if flags & 0x40 else 0),
                          1 if flags & 0x01 else w.PROTOCOL_VERSION,
                          0 if flags & 0x80 else 3 if flags & 0x02 else w.PROTOCOL_VERSION,
                          id_, peers, vectors, 0 if flags & 0x04 else NET_PROTOCOL, osz)
        msg += bytes(length - len(msg))
        fds = [] if flags & 0x08 else [FD_EVENTFD if flags & 0x10 else FD_SHM]
        return Send(msg, fds, shm)

    @staticmethod
    def _event_fd(id_, vector, fd_type):
        return Send(struct.pack("<IIII", w.MSG_EVENT_FD, w.EVENT_FD_LEN, id_, vector), [fd_type])


def make_fd(kind, shm_size):
    if kind == FD_EVENTFD:
        return os.eventfd(0, os.EFD_CLOEXEC)
    if kind == FD_PIPE:
        r, wr = os.pipe()
        os.close(wr)
        return r
    size = 64 << 10 if kind in (FD_MEMFD, FD_MEMFD_RO) else shm_size
    fd = os.memfd_create("device-fuzz", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    os.ftruncate(fd, size)
    if kind != FD_MEMFD:    # sealed against resizing as the server's (not type 1)
        fcntl.fcntl(fd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW)
    if kind != FD_MEMFD_RO:
        return fd
    ro = os.open(f"/proc/self/fd/{fd}", os.O_RDONLY | os.O_CLOEXEC)
    os.close(fd)
    return ro


class FakeServer:
    """Serves one connection: the script's sends, then closed or held."""

    def __init__(self, path, script):
        self.script = script
        self.ready = threading.Event()   # QEMU is up: a held connection stays
        self.done = threading.Event()    # the iteration is over
        self.sent = threading.Event()
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(str(path))
        self.sock.listen(1)
        self.sock.settimeout(30)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            conn, _ = self.sock.accept()
        except OSError:
            self.sent.set()
            return
        with conn:
            for s in self.script.sends:
                if s.pause_ms:
                    time.sleep(s.pause_ms / 1000)
                fds = [make_fd(k, s.shm_size) for k in s.fds]
                try:
                    if fds:
                        socket.send_fds(conn, [s.data or b"\0"], fds)
                    elif s.data:
                        conn.sendall(s.data)
                except OSError:
                    pass    # QEMU may have refused the device already
                finally:
                    for fd in fds:
                        os.close(fd)
            self.sent.set()
            if self.script.hold and self.ready.wait(READY_WAIT):
                self.done.wait(60)

    def close(self):
        self.done.set()
        self.ready.set()
        try:
            self.sock.shutdown(socket.SHUT_RDWR)    # wakes a pending accept()
        except OSError:
            pass
        self.sock.close()
        self.thread.join(10)


def exercise(qt):
    """What a guest driver does with the device: all of it must keep working."""
    pci = dq.PciFunction(qt, SLOT)
    pci.map_bars()
    bar0 = pci.bars[0]
    own = qt.readl(bar0 + w.REG_ID)
    peers = qt.readl(bar0 + w.REG_MAX_PEERS)
    assert peers >= 2 and own < peers, f"registers: ID {own} of {peers}"
    msix = dq.Msix(pci)
    msix.enable()
    qt.writel(bar0 + w.REG_INT_CONTROL, 1)
    for peer in list(range(min(peers, 8))) + [peers, 0xFFFF]:
        for vector in (0, 1, msix.nvec, 0xFFFF):
            qt.writel(bar0 + w.REG_DOORBELL, w.doorbell(peer, vector))
    qt.writel(bar0 + w.REG_STATE, 3)
    qt.writel(bar0 + w.REG_STATE, 0)
    for v in range(min(msix.nvec, 4)):
        msix.fired(v)
    return own


def run_one(qemu, data, workdir, verbose=False):
    """Returns (ok, outcome, detail)."""
    script = Script(data)
    sock_path = workdir / "srv.sock"
    srv = FakeServer(sock_path, script)
    qt = None
    try:
        try:
            qt = dq.QtestMachine(qemu, workdir, "qemu", device_args(sock_path))
            qt.wait_ready()
        except dq.QemuFailed as err:
            if err.returncode == 1 and "ivshmem2" in err.stderr and \
                    not BAD_STDERR.search(err.stderr):
                return True, "refused", err.stderr
            return False, f"exit {err.returncode}", err.stderr
        except (TimeoutError, OSError) as err:
            return False, "hang at start", f"{err}: {qt.stderr() if qt else ''}"
        srv.ready.set()
        try:
            exercise(qt)
            srv.sent.wait(10)   # the rest of the script reached QEMU
            exercise(qt)
            qmp = qt.qmp()
        except (ConnectionError, OSError, RuntimeError, AssertionError) as err:
            if qt.proc.poll() is None:
                qt.kill()
            return False, "died while running", f"{err}\nstatus {qt.proc.returncode}\n" \
                                                 f"{qt.stderr()}"
        try:
            qmp.execute("quit")
        except (ConnectionError, OSError):
            pass    # QEMU may close QMP before its reply
        try:
            rc = qt.proc.wait(QUIT_WAIT)
        except Exception:  # noqa: BLE001 - subprocess.TimeoutExpired
            return False, "hang at quit", qt.stderr()
        err_text = qt.stderr()
        if rc != 0 or BAD_STDERR.search(err_text):
            return False, f"quit with status {rc}", err_text
        return True, "ran", err_text
    finally:
        if qt is not None:
            qt.kill()
        srv.close()
        try:
            sock_path.unlink()
        except FileNotFoundError:
            pass


def mutate(rng, data, corpus):
    data = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        choice = rng.randrange(7)
        if choice == 0 and data:
            i = rng.randrange(len(data))
            data[i] ^= 1 << rng.randrange(8)
        elif choice == 1 and data:
            data[rng.randrange(len(data))] = rng.choice([0, 1, 2, 3, 7, 0x40, 0x7F, 0x80, 0xFF,
                                                         rng.randrange(256)])
        elif choice == 2:
            i = rng.randrange(len(data) + 1)
            data[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 4)))
        elif choice == 3 and len(data) > 1:
            i = rng.randrange(len(data))
            del data[i:i + rng.randint(1, 4)]
        elif choice == 4 and data:
            i = rng.randrange(len(data))
            j = min(len(data), i + rng.randint(1, 16))
            k = rng.randrange(len(data) + 1)
            data[k:k] = data[i:j]
        elif choice == 5 and corpus:
            other = rng.choice(corpus)
            data = data[:rng.randrange(len(data) + 1)] + other[rng.randrange(len(other) + 1):]
        else:
            # a well-formed record: op and arguments (see fuzz_script.h)
            op = rng.randrange(8)
            nargs = [None, 6, 3, 1, 5, 0, 1, 0][op]
            if op == 0:
                n = rng.randrange(24)
                rec = bytes([0, rng.randrange(256), n]) + bytes(rng.randrange(256)
                                                                 for _ in range(n))
            else:
                rec = bytes([op]) + bytes(rng.choice([0, 1, 2, 3, rng.randrange(256)])
                                          for _ in range(nargs))
            i = rng.randrange(len(data) + 1)
            data[i:i] = rec
    return bytes(data[:512])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--qemu", help="qemu-system-x86_64 with the device "
                    "(default: $IVSHMEM2_QEMU or the build directory's)")
    ap.add_argument("--corpus", action="append", type=Path,
                    help="seed directory (default: fuzz/corpus/device)")
    ap.add_argument("--iterations", type=int, default=50,
                    help="mutated scripts to run after the seeds (default 50)")
    ap.add_argument("--seconds", type=float, default=300,
                    help="stop mutating after this long (default 300)")
    ap.add_argument("--seed", type=int, help="random seed (default: from the clock)")
    ap.add_argument("--out", type=Path, default=REPO / "build-fuzz" / "device-crashes",
                    help="where failing inputs are written")
    ap.add_argument("--replay", nargs="+", type=Path, help="run these inputs only")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()

    qemu = args.qemu or os.environ.get("IVSHMEM2_QEMU")
    if not qemu:
        import ivshmem2_paths
        qemu = ivshmem2_paths.QEMU
    qemu = Path(qemu)
    if not qemu.exists():
        print(f"device_fuzz: {qemu} not found (build with scripts/build.sh -Dqemu=enabled "
              f"or pass --qemu)", file=sys.stderr)
        return 2
    dq.TIMEOUT = 20.0   # qtest and QMP replies; a hang fails the iteration

    seed = args.seed if args.seed is not None else int(time.time() * 1000) & 0xFFFFFFFF
    rng = random.Random(seed)
    if args.replay:
        inputs = [(str(p), p.read_bytes()) for p in args.replay]
        corpus = []
    else:
        dirs = args.corpus or [REPO / "fuzz" / "corpus" / "device"]
        inputs = [(str(p), p.read_bytes()) for d in dirs for p in sorted(d.iterdir())
                  if p.is_file()]
        corpus = [data for _, data in inputs]
    print(f"device_fuzz: {qemu}, seed {seed}, {len(inputs)} corpus inputs, "
          f"{0 if args.replay else args.iterations} mutations", flush=True)

    start = time.monotonic()
    outcomes = {}
    messages = set()
    failures = 0
    runs = 0
    workdir = Path(tempfile.mkdtemp(prefix="iv2fz-"))
    try:
        def one(name, data):
            nonlocal failures, runs
            runs += 1
            ok, outcome, detail = run_one(qemu, data, workdir, args.verbose)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
            # Distinct messages of QEMU (numbers masked): a rough coverage measure.
            messages.update(re.sub(r"\d+", "N", line) for line in detail.splitlines()
                            if "ivshmem2" in line)
            if args.verbose or not ok:
                last = detail.strip().splitlines()[-1] if detail.strip() else ""
                print(f"  {name}: {outcome}: {(detail if not ok else last)[-2000:]}",
                      flush=True)
            if not ok:
                failures += 1
                args.out.mkdir(parents=True, exist_ok=True)
                crash = args.out / f"crash-{hashlib.sha1(data).hexdigest()}"
                crash.write_bytes(data)
                print(f"device_fuzz: FAILURE ({outcome}), input saved as {crash}; reproduce "
                      f"with: fuzz/device_fuzz.py --qemu {qemu} --replay {crash}", flush=True)

        for name, data in inputs:
            one(name, data)
        if not args.replay:
            for i in range(args.iterations):
                if time.monotonic() - start > args.seconds or not corpus:
                    break
                one(f"mutation {i}", mutate(rng, rng.choice(corpus), corpus))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    elapsed = time.monotonic() - start
    print(f"device_fuzz: {runs} runs in {elapsed:.1f} s ({runs / elapsed:.2f}/s), outcomes "
          + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items()))
          + f", {len(messages)} distinct device messages", flush=True)
    print(f"device_fuzz: {runs - failures} runs ok, {failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

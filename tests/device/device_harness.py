# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""The real ivshmem2-server as a test group, and QEMU command-line pieces."""

import os
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

import ivshmem2_wire as w

SLOT = 4  # the device sits at 00:04.0 in every test machine


def parse_size(text) -> int:
    text = str(text)
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    if text[-1] in units:
        return int(text[:-1]) * units[text[-1]]
    return int(text, 0)


@dataclass
class GroupConfig:
    """Options of one ivshmem2-server group, and the layout peers must see."""

    peers: int = 2
    vectors: int = 1
    size: str = "64K"
    output: str = "0"
    protocol: int = 0

    @property
    def shm_size(self) -> int:
        size = w.PAGE  # the server rounds up to a power of two, at least a page
        while size < parse_size(self.size):
            size *= 2
        return size

    @property
    def output_size(self) -> int:
        return parse_size(self.output)

    @property
    def rw_size(self) -> int:
        return self.shm_size - w.STATE_TABLE_SIZE - self.peers * self.output_size

    @property
    def output_offset(self) -> int:
        return self.shm_size - self.peers * self.output_size

    def __str__(self):
        return (f"n{self.peers}-V{self.vectors}-l{self.size}-o{self.output}"
                f"-P{self.protocol:#x}")


class Group:
    """A running ivshmem2-server with its memory as a POSIX shm object."""

    def __init__(self, server: Path, workdir: Path, config: GroupConfig):
        self.config = config
        self.socket = workdir / f"srv-{uuid.uuid4().hex[:6]}.sock"
        self.shm_name = f"ivshmem2-dev-{uuid.uuid4().hex[:8]}"
        self.log_path = workdir / f"{self.socket.stem}.log"
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [str(server), "-F", "-S", str(self.socket), "-M", self.shm_name,
             "-l", config.size, "-o", config.output, "-n", str(config.peers),
             "-V", str(config.vectors), "-P", hex(config.protocol)],
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while not self.socket.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"ivshmem2-server did not start: {self.log_path.read_text()}")
            time.sleep(0.02)

    def shm(self):
        """Open the group's memory from the host (read/write file object)."""
        return open(f"/dev/shm/{self.shm_name}", "r+b", buffering=0)

    def read_shm(self, offset, size) -> bytes:
        with self.shm() as f:
            f.seek(offset)
            return f.read(size)

    def write_shm(self, offset, data: bytes):
        with self.shm() as f:
            f.seek(offset)
            f.write(data)

    def log(self) -> str:
        return self.log_path.read_text()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        try:
            os.unlink(f"/dev/shm/{self.shm_name}")
        except FileNotFoundError:
            pass


def device_args(socket_path, device="ivshmem2", chardev_id="ivs", props=""):
    opts = f"{device},chardev={chardev_id},addr={SLOT:02x}.0"
    if props:
        opts += "," + props
    return ["-chardev", f"socket,path={socket_path},id={chardev_id}", "-device", opts]


def wait_until(predicate, timeout=10.0):
    """Poll @predicate until it is true (returns True) or @timeout s pass (False)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True

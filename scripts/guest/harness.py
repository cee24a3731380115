# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Boot N guests, run a shell command in each, collect the results.

Each guest is a QEMU process booting the cached Debian kernel and busybox
initramfs (see image.py). Its root is the host's / (read-only over 9p with
a tmpfs overlay), so host binaries and the repository are visible at the
same paths; its directory in the results dir is shared writable as
/results and receives command.sh, stdout, stderr, exit-code and the
console log. With an ivshmem2 server socket each guest gets
``-chardev socket,path=SOCK,id=ivs -device ivshmem2,chardev=ivs``.

Accelerator: KVM where it really works, TCG otherwise (chosen by
select_accel(); override with IVSHMEM2_GUEST_ACCEL=kvm|tcg).
QEMU binary: the project's build (tests/lib/ivshmem2_paths.QEMU), or
$IVSHMEM2_GUEST_QEMU / the qemu argument.
"""

import json
import os
import shlex
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Sequence

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
import image
import ivshmem2_paths

QBOOT = Path("/usr/share/qemu/qboot.rom")
FIRMWARE_DIR = Path("/usr/share/qemu")
EXIT_MARKER = "IVSHMEM2_GUEST_EXIT="
DEFAULT_TIMEOUT = 600.0     # seconds; two TCG guests share two cores


class GuestError(RuntimeError):
    """A guest could not be started or prepared."""


def kvm_usable() -> bool:
    """True if /dev/kvm is a real VMX/SVM KVM that boots Linux guests.

    PVM (kvm_pvm) exposes /dev/kvm too, but stock kernels hang under it.
    """
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return False
    if Path("/sys/module/kvm_pvm").exists():
        return False
    return Path("/sys/module/kvm_intel").exists() or Path("/sys/module/kvm_amd").exists()


def select_accel() -> str:
    forced = os.environ.get("IVSHMEM2_GUEST_ACCEL")
    if forced:
        if forced not in ("kvm", "tcg"):
            raise GuestError(f"IVSHMEM2_GUEST_ACCEL={forced}: expected kvm or tcg")
        return forced
    return "kvm" if kvm_usable() else "tcg"


def qemu_binary(override: Optional[str] = None) -> Path:
    path = Path(override or os.environ.get("IVSHMEM2_GUEST_QEMU") or ivshmem2_paths.QEMU)
    if not path.exists():
        raise GuestError(f"QEMU binary {path} not found (build it with scripts/build-qemu.sh "
                         "or set IVSHMEM2_GUEST_QEMU)")
    return path


def qemu_has_device(qemu: Path, device: str) -> bool:
    out = subprocess.run([str(qemu), "-device", "help"], capture_output=True,
                         text=True, timeout=60).stdout
    return f'name "{device}"' in out


def _tail(path: Path, lines: int) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(missing)"
    return "\n".join(text.splitlines()[-lines:]) or "(empty)"


@dataclass
class GuestConfig:
    """How to boot one guest."""
    memory_mb: int = 1024
    cpus: int = 2
    hugepages: int = 256            # 2 MiB pages reserved on the kernel command line
    viommu: bool = True             # intel-iommu with interrupt remapping (vfio-pci)
    ivshmem_socket: Optional[str] = None
    ivshmem_device: str = "ivshmem2"
    extra_qemu_args: Sequence[str] = ()
    extra_cmdline: str = ""
    env: dict = field(default_factory=dict)
    # A reset reboots the guest (the command runs again) instead of ending QEMU.
    reboot: bool = False


@dataclass
class GuestResult:
    name: str
    directory: Path
    exit_code: Optional[int]
    timed_out: bool
    qemu_returncode: Optional[int]
    boot_seconds: Optional[float]
    elapsed: float

    @property
    def stdout(self) -> str:
        return self._read("stdout")

    @property
    def stderr(self) -> str:
        return self._read("stderr")

    @property
    def console(self) -> Path:
        return self.directory / "console.log"

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out

    def assert_ok(self) -> None:
        """Raise AssertionError with every log tail unless the command exited 0."""
        if not self.ok:
            raise AssertionError(self.describe())

    def _read(self, name: str) -> str:
        try:
            return (self.directory / name).read_text(errors="replace")
        except OSError:
            return ""

    def describe(self, lines: int = 30) -> str:
        """A failure message: what happened, then the tails of every log."""
        if self.timed_out:
            what = f"timed out after {self.elapsed:.0f} s and was stopped"
        elif self.exit_code is None:
            what = f"ended without an exit code (QEMU rc {self.qemu_returncode})"
        else:
            what = f"command exit code {self.exit_code}"
        parts = [f"guest {self.name}: {what} (logs in {self.directory})"]
        for name in ("stdout", "stderr", "qemu.log", "console.log"):
            parts.append(f"--- {name} (tail) ---\n{_tail(self.directory / name, lines)}")
        return "\n".join(parts)


class Guest:
    """One QEMU process running one command."""

    def __init__(self, name: str, directory: Path, command: str, config: GuestConfig,
                 qemu: Path, accel: str, kernel: Path, initramfs: Path):
        self.name, self.dir, self.command, self.cfg = name, Path(directory), command, config
        self.qemu, self.accel, self.kernel, self.initramfs = qemu, accel, kernel, initramfs
        self.proc: Optional[subprocess.Popen] = None
        self.sockdir = Path(tempfile.mkdtemp(prefix="iv2g-"))
        self.qmp_path = self.sockdir / "qmp.sock"
        self.started = 0.0
        self.timed_out = False
        self.ended: Optional[float] = None
        self.boot_seconds: Optional[float] = None   # QEMU start to command start

    def cmdline(self) -> List[str]:
        cfg = self.cfg
        append = ["console=ttyS0", "panic=-1", "quiet", "loglevel=4",
                  f"iv2.name={self.name}", "rdinit=/init"]
        if cfg.hugepages:
            append += ["hugepagesz=2M", f"hugepages={cfg.hugepages}"]
        if cfg.viommu:
            append += ["intel_iommu=on", "iommu=pt"]
        if cfg.extra_cmdline:
            append.append(cfg.extra_cmdline)
        if self.accel == "kvm":
            accel, cpu = ["-accel", "kvm"], ["-cpu", "host"]
        else:
            accel, cpu = ["-accel", "tcg,thread=multi"], ["-cpu", "max"]
        args = [str(self.qemu), "-name", self.name, "-nodefaults", "-no-user-config",
                "-display", "none", *([] if cfg.reboot else ["-no-reboot"]),
                "-machine", "q35,kernel-irqchip=split", *accel, *cpu,
                "-smp", str(cfg.cpus), "-m", str(cfg.memory_mb),
                "-bios", str(QBOOT), "-L", str(FIRMWARE_DIR),
                "-kernel", str(self.kernel), "-initrd", str(self.initramfs),
                "-append", " ".join(append),
                "-chardev", f"file,id=console,path={self.dir / 'console.log'}",
                "-serial", "chardev:console",
                "-qmp", f"unix:{self.qmp_path},server=on,wait=off"]
        if cfg.viommu:
            # Before any other PCI device, so every device sits behind it.
            args += ["-device", "intel-iommu,intremap=on"]
        args += ["-fsdev", "local,id=hostroot,path=/,security_model=none,readonly=on,"
                 "multidevs=remap",
                 "-device", "virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot",
                 "-fsdev", f"local,id=results,path={self.dir},security_model=none,"
                 "multidevs=remap",
                 "-device", "virtio-9p-pci,fsdev=results,mount_tag=results"]
        if cfg.ivshmem_socket:
            args += ["-chardev", f"socket,path={cfg.ivshmem_socket},id=ivs",
                     "-device", f"{cfg.ivshmem_device},chardev=ivs"]
        return args + list(cfg.extra_qemu_args)

    def _write_command(self, index: int, count: int) -> None:
        env = {"IVSHMEM2_GUEST_NAME": self.name, "IVSHMEM2_GUEST_INDEX": str(index),
               "IVSHMEM2_GUEST_COUNT": str(count), "IVSHMEM2_REPO": str(REPO),
               **self.cfg.env}
        lines = ["# written by scripts/guest/harness.py"]
        lines += [f"export {k}={shlex.quote(str(v))}" for k, v in env.items()]
        lines.append(self.command)
        (self.dir / "command.sh").write_text("\n".join(lines) + "\n")

    def start(self, index: int = 0, count: int = 1) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        for stale in ("stdout", "stderr", "exit-code", "console.log", "qemu.log"):
            (self.dir / stale).unlink(missing_ok=True)
        self._write_command(index, count)
        args = self.cmdline()
        (self.dir / "qemu.cmdline").write_text(shlex.join(args) + "\n")
        self.started = time.monotonic()
        with open(self.dir / "qemu.log", "wb") as log:
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)

    def qmp(self, command: str) -> dict:
        """Run one QMP command; its answer (events that arrive first are skipped)."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(10)
            s.connect(str(self.qmp_path))
            replies = s.makefile("r")
            json.loads(replies.readline())          # the greeting
            for cmd in ("qmp_capabilities", command):
                s.sendall(json.dumps({"execute": cmd}).encode() + b"\n")
                while True:
                    answer = json.loads(replies.readline())
                    if "event" not in answer:
                        break
                if "error" in answer:
                    raise GuestError(f"guest {self.name}: QMP {cmd}: {answer['error']}")
            return answer

    def _qmp_quit(self) -> None:
        try:
            self.qmp("quit")
        except (OSError, ValueError, GuestError):
            pass

    def stop(self) -> None:
        """Stop QEMU: QMP quit, then SIGTERM, then SIGKILL."""
        if self.proc and self.proc.poll() is None:
            self._qmp_quit()
            for sig, wait in ((None, 5), (signal.SIGTERM, 5), (signal.SIGKILL, 10)):
                if sig is not None and self.proc.poll() is None:
                    self.proc.send_signal(sig)
                try:
                    self.proc.wait(wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        for f in self.sockdir.glob("*"):
            f.unlink(missing_ok=True)
        try:
            self.sockdir.rmdir()
        except OSError:
            pass

    def result(self) -> GuestResult:
        code = None
        try:
            code = int((self.dir / "exit-code").read_text().strip())
        except (OSError, ValueError):
            for line in _tail(self.dir / "console.log", 50).splitlines():
                if line.startswith(EXIT_MARKER):
                    code = int(line[len(EXIT_MARKER):].strip() or -1)
        rc = self.proc.returncode if self.proc else None
        return GuestResult(self.name, self.dir, code, self.timed_out, rc,
                           self.boot_seconds, (self.ended or time.monotonic()) - self.started)



def wait_all(guests: Sequence[Guest], timeout: float) -> None:
    """Wait for every guest to power off; stop the ones still running at the deadline."""
    deadline = time.monotonic() + timeout
    pending = list(guests)
    while pending:
        for g in list(pending):
            if g.boot_seconds is None and (g.dir / "stdout").exists():
                g.boot_seconds = time.monotonic() - g.started
            if g.proc.poll() is not None:
                g.ended = time.monotonic()
                pending.remove(g)
        if pending and time.monotonic() > deadline:
            for g in pending:
                g.timed_out = True
                g.ended = time.monotonic()
                g.stop()
            break
        time.sleep(0.2)


def start_guests(commands: Sequence[str], results_dir, *,
                 config: Optional[GuestConfig] = None,
                 configs: Optional[Sequence[GuestConfig]] = None, qemu: Optional[str] = None,
                 accel: Optional[str] = None, names: Optional[Sequence[str]] = None,
                 stagger: float = 0.5) -> List[Guest]:
    """Boot one guest per command and return at once (see run_guests).

    The caller must end them with finish_guests() (or Guest.stop()), also
    when something fails in between: host-side steps can run meanwhile.
    """
    results_dir = Path(results_dir)
    results_dir.mkdir(parents=True, exist_ok=True)
    qemu_path = qemu_binary(qemu)
    accel = accel or select_accel()
    _, kernel, initramfs = image.prepare()
    configs = list(configs) if configs else [config or GuestConfig()] * len(commands)
    if len(configs) != len(commands):
        raise GuestError("one GuestConfig per command expected")
    names = list(names) if names else [f"guest{i}" for i in range(len(commands))]
    guests = [Guest(n, results_dir / n, c, cfg, qemu_path, accel, kernel, initramfs)
              for n, c, cfg in zip(names, commands, configs)]
    try:
        for i, g in enumerate(guests):
            g.start(i, len(guests))
            if stagger and i + 1 < len(guests):
                time.sleep(stagger)
    except BaseException:
        stop_guests(guests)
        raise
    return guests


def stop_guests(guests: Sequence[Guest]) -> None:
    """Stop every guest still running; safe to call more than once."""
    for g in guests:
        if g.proc is not None:
            g.stop()


def finish_guests(guests: Sequence[Guest], timeout: float = DEFAULT_TIMEOUT
                  ) -> List[GuestResult]:
    """Wait for the guests to power off (stopping them at the deadline)."""
    try:
        wait_all(guests, timeout)
    finally:
        stop_guests(guests)
    return [g.result() for g in guests]


def run_guests(commands: Sequence[str], results_dir, *, timeout: float = DEFAULT_TIMEOUT,
               config: Optional[GuestConfig] = None, configs: Optional[Sequence[GuestConfig]] = None,
               qemu: Optional[str] = None, accel: Optional[str] = None,
               names: Optional[Sequence[str]] = None, stagger: float = 0.5) -> List[GuestResult]:
    """Boot one guest per command, wait for all, return their results in order.

    Guests start in order (the first one to reach an ivshmem2 server gets
    the lowest free ID) and are always stopped before this returns.
    """
    guests = start_guests(commands, results_dir, config=config, configs=configs, qemu=qemu,
                          accel=accel, names=names, stagger=stagger)
    return finish_guests(guests, timeout)


def run_guest(command: str, results_dir, **kwargs) -> GuestResult:
    return run_guests([command], results_dir, **kwargs)[0]


class Server:
    """An ivshmem2-server in the foreground, stopped on exit.

    options: extra server arguments, e.g. ["-l", "4M", "-n", "2", "-V", "2"].
    """

    def __init__(self, sock_path, options: Sequence[str] = (), binary: Optional[str] = None,
                 log_path=None):
        self.binary = Path(binary or os.environ.get("IVSHMEM2_SERVER") or ivshmem2_paths.SERVER)
        self.sock = Path(sock_path)
        self.options = list(options)
        self.log_path = Path(log_path) if log_path else None
        self.proc: Optional[subprocess.Popen] = None

    def __enter__(self):
        if not self.binary.exists():
            raise GuestError(f"ivshmem2-server {self.binary} not built (run scripts/build.sh)")
        args = [str(self.binary), "-F", "-S", str(self.sock), *self.options]
        log = open(self.log_path, "wb") if self.log_path else subprocess.DEVNULL
        self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        if self.log_path:
            log.close()
        deadline = time.monotonic() + 30
        while not self.sock.exists():
            if self.proc.poll() is not None:
                raise GuestError(f"ivshmem2-server exited with {self.proc.returncode}: "
                                 f"{shlex.join(args)}")
            if time.monotonic() > deadline:
                self.__exit__()
                raise GuestError(f"ivshmem2-server did not create {self.sock}")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.sock.unlink(missing_ok=True)

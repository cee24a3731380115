# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Guest boot files: a Debian kernel and a busybox initramfs, no disk image.

Everything lands in a cache outside the clone,
``~/.cache/ivshmem2/guest-<kernel version>/``:

- ``linux-image-<ver>.deb``  the package, from ``apt-get download``
- ``vmlinux``               the uncompressed ELF from the bzImage XZ payload
                            (boots quickly with qboot, no decompression)
- ``modules/*.ko``          the few modules the guest needs
- ``initramfs.cpio``        busybox-static + init.sh + modules
- ``*.stamp``               the inputs each product was built from; a
                            product whose inputs changed is rebuilt
"""

import fcntl
import hashlib
import lzma
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
INIT_SCRIPT = HERE / "init.sh"

# Modules the guest loads, in this order after their dependencies:
# 9p root and results share, overlay for a writable root, and the two
# ways to hand a PCI device to DPDK (vfio-pci behind the vIOMMU, uio).
GUEST_MODULES = (
    "virtio_pci",
    "9pnet_virtio",
    "9p",
    "overlay",
    "vfio_iommu_type1",
    "vfio-pci",
    "uio_pci_generic",
)

BUSYBOX_CANDIDATES = ("/bin/busybox", "/usr/bin/busybox")
KERNEL_META_PACKAGE = "linux-image-amd64"
XZ_MAGIC = b"\xfd7zXZ\x00"


class ImageError(RuntimeError):
    """The guest kernel or initramfs could not be prepared."""


def cache_root() -> Path:
    base = os.environ.get("IVSHMEM2_CACHE")
    if base:
        return Path(base)
    xdg = os.environ.get("XDG_CACHE_HOME", str(Path.home() / ".cache"))
    return Path(xdg) / "ivshmem2"


def _log(msg: str) -> None:
    print(f"guest-image: {msg}", file=sys.stderr, flush=True)


def kernel_version() -> str:
    """The kernel to use: $IVSHMEM2_GUEST_KERNEL, or the one Debian's
    linux-image-amd64 depends on, or the newest one already cached."""
    forced = os.environ.get("IVSHMEM2_GUEST_KERNEL")
    if forced:
        return forced
    try:
        out = subprocess.run(
            ["apt-cache", "depends", KERNEL_META_PACKAGE],
            capture_output=True, text=True, check=True, timeout=60,
        ).stdout
        for line in out.splitlines():
            dep = line.strip()
            if dep.startswith("Depends: linux-image-"):
                return dep.split("linux-image-", 1)[1]
    except (OSError, subprocess.SubprocessError):
        pass
    cached = sorted(p.name[len("guest-"):] for p in cache_root().glob("guest-*")
                    if (p / "vmlinux").exists())
    if cached:
        return cached[-1]
    raise ImageError(f"cannot find the kernel version ({KERNEL_META_PACKAGE} "
                     "unknown to apt and nothing cached); set IVSHMEM2_GUEST_KERNEL")


def _digest(*parts) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p if isinstance(p, bytes) else str(p).encode())
        h.update(b"\0")
    return h.hexdigest()


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _fresh(stamp: Path, digest: str, *products: Path) -> bool:
    return (stamp.exists() and stamp.read_text().strip() == digest
            and all(p.exists() for p in products))


def _download_deb(kver: str, dest: Path) -> Path:
    deb = dest / f"linux-image-{kver}.deb"
    if deb.exists():
        return deb
    with tempfile.TemporaryDirectory(dir=dest) as tmp:
        os.chmod(tmp, 0o755)    # apt drops to _apt for the download
        _log(f"downloading linux-image-{kver}")
        res = subprocess.run(["apt-get", "download", "-q", f"linux-image-{kver}"],
                             cwd=tmp, capture_output=True, text=True, timeout=600)
        debs = list(Path(tmp).glob("*.deb"))
        if res.returncode != 0 or not debs:
            raise ImageError(f"apt-get download linux-image-{kver} failed: "
                             f"{res.stderr.strip()[-400:]}")
        os.replace(debs[0], deb)
    return deb


def extract_vmlinux(bzimage: bytes) -> bytes:
    """Return the ELF kernel inside a bzImage with an XZ payload."""
    start = bzimage.find(XZ_MAGIC)
    if start < 0:
        raise ImageError("no XZ payload in the bzImage")
    dec = lzma.LZMADecompressor(format=lzma.FORMAT_XZ)
    try:
        # Trailing bytes after the stream (size field, padding) end up in unused_data.
        elf = dec.decompress(bzimage[start:])
    except lzma.LZMAError as e:
        raise ImageError(f"bzImage XZ payload: {e}") from e
    if not elf.startswith(b"\x7fELF"):
        raise ImageError("bzImage payload is not an ELF kernel")
    return elf


def _modinfo_depends(ko: Path) -> list:
    # .modinfo holds NUL-separated key=value strings.
    data = ko.read_bytes()
    idx = data.find(b"\0depends=")
    if idx < 0:
        return []
    end = data.index(b"\0", idx + 1)
    value = data[idx + len(b"\0depends="):end].decode()
    return [d for d in value.split(",") if d]


def _norm(name: str) -> str:
    return name.replace("-", "_")


def module_load_order(moddir: Path, wanted) -> list:
    """Paths of the wanted modules and their dependencies, dependencies first."""
    index = {_norm(p.name[:-3]): p for p in moddir.rglob("*.ko")}
    order, seen = [], set()

    def visit(name, chain):
        key = _norm(name)
        if key in seen:
            return
        if key in chain:
            raise ImageError(f"module dependency loop at {name}")
        if key not in index:
            raise ImageError(f"module {name} not found in {moddir} "
                             "(built in, or compressed modules?)")
        for dep in _modinfo_depends(index[key]):
            visit(dep, chain | {key})
        seen.add(key)
        order.append(index[key])

    for name in wanted:
        visit(name, frozenset())
    return order


def prepare_kernel(kver: str, dest: Path):
    """vmlinux and modules/ for kver in dest, rebuilt when the module list changes."""
    vmlinux, moddir = dest / "vmlinux", dest / "modules"
    stamp = dest / "kernel.stamp"
    digest = _digest("kernel-v1", kver, *GUEST_MODULES)
    if _fresh(stamp, digest, vmlinux, moddir / "load-order"):
        return vmlinux, moddir
    deb = _download_deb(kver, dest)
    with tempfile.TemporaryDirectory(dir=dest) as tmp:
        _log(f"unpacking {deb.name}")
        subprocess.run(["dpkg-deb", "-x", str(deb), tmp], check=True, timeout=600)
        root = Path(tmp)
        bzimage = root / "boot" / f"vmlinuz-{kver}"
        if not bzimage.exists():
            raise ImageError(f"{deb.name} has no boot/vmlinuz-{kver}")
        tmp_vmlinux = dest / "vmlinux.tmp"
        tmp_vmlinux.write_bytes(extract_vmlinux(bzimage.read_bytes()))
        order = module_load_order(root / "lib" / "modules" / kver, GUEST_MODULES)
        shutil.rmtree(moddir, ignore_errors=True)
        moddir.mkdir()
        for ko in order:
            shutil.copy2(ko, moddir / ko.name)
        (moddir / "load-order").write_text("".join(ko.name + "\n" for ko in order))
        shutil.copy2(root / "boot" / f"config-{kver}", dest / "config")
        os.replace(tmp_vmlinux, vmlinux)
    stamp.write_text(digest + "\n")
    return vmlinux, moddir


def _busybox() -> Path:
    for cand in BUSYBOX_CANDIDATES:
        p = Path(cand)
        if p.exists():
            return p.resolve()
    raise ImageError("busybox not found: apt-get install busybox-static")


def build_initramfs(moddir: Path, dest: Path) -> Path:
    """initramfs.cpio: busybox, /init and the modules, rebuilt on any input change."""
    out, stamp = dest / "initramfs.cpio", dest / "initramfs.stamp"
    busybox = _busybox()
    modules = (moddir / "load-order").read_text().split()
    digest = _digest("initramfs-v1", _file_digest(busybox), _file_digest(INIT_SCRIPT),
                     *(_file_digest(moddir / m) for m in modules))
    if _fresh(stamp, digest, out):
        return out
    _log("building initramfs")
    with tempfile.TemporaryDirectory(dir=dest) as tmp:
        root = Path(tmp) / "root"
        for d in ("bin", "dev", "proc", "sys", "lib/modules", "lower", "rw", "newroot"):
            (root / d).mkdir(parents=True)
        shutil.copy2(busybox, root / "bin" / "busybox")
        shutil.copy2(INIT_SCRIPT, root / "init")
        os.chmod(root / "init", 0o755)
        for m in modules:
            shutil.copy2(moddir / m, root / "lib" / "modules" / m)
        (root / "lib" / "modules" / "load-order").write_text("".join(m + "\n" for m in modules))
        names = subprocess.run(["find", "."], cwd=root, capture_output=True,
                               check=True, text=True).stdout
        tmp_out = dest / "initramfs.cpio.tmp"
        with open(tmp_out, "wb") as f:
            subprocess.run([str(busybox), "cpio", "-o", "-H", "newc"], cwd=root,
                           input=names.encode(), stdout=f, stderr=subprocess.DEVNULL,
                           check=True)
        os.replace(tmp_out, out)
    stamp.write_text(digest + "\n")
    return out


def prepare(kver: str = None):
    """Return (kernel version, vmlinux path, initramfs path), building what is stale."""
    kver = kver or kernel_version()
    dest = cache_root() / f"guest-{kver}"
    dest.mkdir(parents=True, exist_ok=True)
    with open(dest / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)    # parallel test runs build once
        vmlinux, moddir = prepare_kernel(kver, dest)
        initramfs = build_initramfs(moddir, dest)
    return kver, vmlinux, initramfs


if __name__ == "__main__":
    kv, vm, ird = prepare(sys.argv[1] if len(sys.argv) > 1 else None)
    print(f"{kv} {vm} {ird}")

# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Short runs of every fuzzer (fuzz/README.md): each must find nothing.

The libFuzzer harnesses are built by fuzz/build.sh (clang, in build-fuzz/)
and run for IVSHMEM2_FUZZ_SECONDS (default 15) each from the committed
corpus, regression inputs included; new inputs go to a temporary directory,
never into the repository. The device is fuzzed by replaying mutated server
scripts against the real QEMU (fuzz/device_fuzz.py). Long runs:
fuzz/run-long.sh.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

FUZZ = Path(__file__).resolve().parent
REPO = FUZZ.parent
SECONDS = int(os.environ.get("IVSHMEM2_FUZZ_SECONDS", "15"))
TARGETS = ["ring", "rx", "vdev", "server"]

import ivshmem2_paths

pytestmark = pytest.mark.fuzz


@pytest.fixture(scope="session")
def fuzz_build():
    """build-fuzz/ (or $IVSHMEM2_FUZZ_BUILD_DIR), brought up to date."""
    proc = subprocess.run([str(FUZZ / "build.sh")], capture_output=True, text=True,
                          timeout=3600)
    if proc.returncode != 0:
        pytest.fail(f"fuzz/build.sh failed:\n{proc.stderr[-4000:]}")
    return Path(proc.stdout.strip().splitlines()[-1])


def stat(log, name):
    m = re.search(rf"stat::{name}:\s+(\d+)", log)
    return int(m.group(1)) if m else None


@pytest.mark.parametrize("target", TARGETS)
def test_fuzzer_finds_nothing(fuzz_build, target, tmp_path):
    binary = fuzz_build / "fuzz" / f"fuzz_{target}"
    assert binary.exists(), f"{binary} not built (fuzz/build.sh)"
    seeds = FUZZ / "corpus" / target
    nb_seeds = len([p for p in seeds.iterdir() if p.is_file()])
    assert nb_seeds > 0, f"no seeds in {seeds}"
    work = tmp_path / "new"
    work.mkdir()
    proc = subprocess.run(
        [str(binary), f"-max_total_time={SECONDS}", "-timeout=30", "-print_final_stats=1",
         f"-artifact_prefix={tmp_path}/", str(work), str(seeds)],
        capture_output=True, text=True, timeout=SECONDS + 300, cwd=tmp_path)
    log = proc.stdout + proc.stderr
    found = sorted(p.name for p in tmp_path.iterdir() if p.is_file())
    assert proc.returncode == 0 and not found, \
        f"fuzz_{target} found something ({found}):\n{log[-6000:]}"
    execs = stat(log, "number_of_executed_units")
    assert execs is not None and execs >= nb_seeds, log[-3000:]
    m = re.findall(r"cov: (\d+) ft: (\d+)", log)
    assert m and int(m[-1][0]) > 50, f"coverage too low to be a real run:\n{log[-3000:]}"
    print(f"fuzz_{target}: {execs} executions, cov {m[-1][0]}, ft {m[-1][1]}")


def test_seeds_are_generated(tmp_path):
    """The committed seeds are what fuzz/make_seeds.py writes (regress-* aside)."""
    subprocess.run([sys.executable, str(FUZZ / "make_seeds.py"), "--out", str(tmp_path)],
                   check=True, timeout=60)
    for target_dir in tmp_path.iterdir():
        made = {p.name: p.read_bytes() for p in target_dir.iterdir()}
        kept = {p.name: p.read_bytes() for p in (FUZZ / "corpus" / target_dir.name).iterdir()
                if p.name.startswith("seed-")}
        assert made == kept, f"fuzz/corpus/{target_dir.name} differs from make_seeds.py " \
                             f"(run fuzz/make_seeds.py)"


@pytest.mark.qemu
def test_device_replay_fuzzer_finds_nothing(tmp_path):
    qemu = Path(os.environ.get("IVSHMEM2_QEMU") or ivshmem2_paths.QEMU)
    if not qemu.exists():
        pytest.fail(f"{qemu} not built (scripts/build.sh -Dqemu=enabled, or set IVSHMEM2_QEMU)")
    seeds = len(list((FUZZ / "corpus" / "device").iterdir()))
    proc = subprocess.run(
        [sys.executable, str(FUZZ / "device_fuzz.py"), "--qemu", str(qemu), "--iterations",
         str(SECONDS * 3), "--seconds", str(SECONDS * 2), "--out", str(tmp_path / "crashes")],
        capture_output=True, text=True, timeout=SECONDS * 2 + 600)
    log = proc.stdout + proc.stderr
    m = re.search(r"(\d+) runs ok, (\d+) failures", log)
    assert proc.returncode == 0 and m and m.group(2) == "0", log[-6000:]
    assert int(m.group(1)) >= seeds, log[-3000:]
    print(log.strip().splitlines()[-2])

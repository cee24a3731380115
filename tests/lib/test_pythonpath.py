# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""One import path: pytest.ini's pythonpath, read by scripts/pythonpath.py, and no
sys.path patches anywhere else."""

import re
import runpy
import subprocess
import sys

import ivshmem2_paths

REPO = ivshmem2_paths.REPO


def test_pythonpath_dirs_exist_and_match_pytest():
    mod = runpy.run_path(str(REPO / "scripts" / "pythonpath.py"))
    dirs = mod["paths"]()
    assert [d.relative_to(REPO).as_posix() for d in dirs][:2] == ["dts", "tests/lib"]
    for d in dirs:
        assert d.is_dir(), f"{d} in pytest.ini's pythonpath does not exist"
        assert str(d) in sys.path, f"pytest did not put {d} on sys.path"


def test_script_outside_pytest_gets_the_same_path():
    code = ("import runpy, sys; runpy.run_path(sys.argv[1]); "
            "import framework.remote_session.testpmd_shell, ivshmem2_paths, sanitized; "
            "print('ok')")
    proc = subprocess.run([sys.executable, "-c", code, str(REPO / "scripts" / "pythonpath.py")],
                          capture_output=True, text=True, cwd="/", timeout=60, check=False)
    assert proc.stdout.strip() == "ok", proc.stderr


def test_no_sys_path_patches():
    files = subprocess.run(["git", "-C", str(REPO), "ls-files", "*.py"], capture_output=True,
                           text=True, check=True).stdout.split()
    patch = re.compile(r"sys\.path\.(insert|append)\(|sys\.path\[[^]]*\]\s*=")
    found = [f for f in files if f not in ("tests/lib/test_pythonpath.py", "scripts/pythonpath.py")
             and patch.search((REPO / f).read_text(errors="replace"))]
    assert not found, f"sys.path patched in {found}: add the directory to pytest.ini's pythonpath"

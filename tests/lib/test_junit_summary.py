# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""The closing line of scripts/test.sh adds up both pytest runs correctly."""

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).with_name("junit_summary.py")


def _report(path, tests, failures, errors, skipped):
    path.write_text('<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" '
                    f'errors="{errors}" failures="{failures}" skipped="{skipped}" '
                    f'tests="{tests}" time="1.0"/></testsuites>')
    return str(path)


def _run(*paths):
    return subprocess.run([sys.executable, str(SCRIPT), *paths], capture_output=True, text=True)


def test_all_passed_adds_up_and_exits_zero(tmp_path):
    r = _run(_report(tmp_path / "a.xml", 300, 0, 0, 0), _report(tmp_path / "b.xml", 150, 0, 0, 2))
    assert r.returncode == 0, r.stdout
    assert r.stdout.splitlines()[-1] == "448 passed, 0 failed", r.stdout
    assert "2 skipped" in r.stdout


def test_errors_count_as_failed(tmp_path):
    r = _run(_report(tmp_path / "a.xml", 10, 1, 2, 0))
    assert r.returncode == 1
    assert r.stdout.splitlines()[-1] == "7 passed, 3 failed", r.stdout


def test_missing_report_is_a_failure(tmp_path):
    r = _run(_report(tmp_path / "a.xml", 5, 0, 0, 0), str(tmp_path / "never-written.xml"))
    assert r.returncode == 1
    assert r.stdout.splitlines()[-1] == "5 passed, 1 failed", r.stdout

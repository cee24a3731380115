# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Put the project's Python import path on sys.path, for scripts run outside pytest.

The list is pytest.ini's `pythonpath` (one list, so the scripts and the
tests never disagree). A script runs this file first:

    import runpy
    REPO = Path(__file__).resolve().parents[1]
    runpy.run_path(str(REPO / "scripts" / "pythonpath.py"))
"""

import configparser
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def paths():
    """The directories of pytest.ini's pythonpath, absolute, in order."""
    ini = configparser.ConfigParser()
    ini.read(REPO / "pytest.ini")
    return [REPO / p for p in ini.get("pytest", "pythonpath", fallback="").split()]


for _p in reversed(paths()):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

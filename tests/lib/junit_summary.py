# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Add up pytest JUnit XML reports and print one line: "N passed, N failed".

Errors count as failed; skipped tests are reported on the line before.
Usage: junit_summary.py REPORT.xml [REPORT.xml ...]   (a missing report is a failure)
"""

import sys
import xml.etree.ElementTree as ET


def counts(path):
    """(passed, failed, skipped) of one report."""
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    passed = failed = skipped = 0
    for s in suites:
        tests, fail, err, skip = (int(s.get(k, 0)) for k in ("tests", "failures", "errors",
                                                              "skipped"))
        failed += fail + err
        skipped += skip
        passed += tests - fail - err - skip
    return passed, failed, skipped


def main(paths):
    passed = failed = skipped = 0
    for path in paths:
        try:
            p, f, s = counts(path)
        except (OSError, ET.ParseError) as e:
            print(f"{path}: no report ({e})")
            f, p, s = 1, 0, 0
        passed, failed, skipped = passed + p, failed + f, skipped + s
    if skipped:
        print(f"{skipped} skipped")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Set up a Debian 12 machine, build everything (QEMU included) and run the
# whole test suite with pytest, then the server, PMD and DTS suites again
# under ASan+UBSan; the last line is "N passed, N failed" over both runs.
# Extra arguments run one pytest selection instead, e.g.
#   scripts/test.sh -k server        scripts/test.sh tests/device
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

start=$(date +%s)
"$repo/scripts/build.sh" -Dqemu=enabled
echo "test: build ready after $(($(date +%s) - start)) s"

# Debian's interpreter carries python3-pytest; a pyenv shim first in PATH does not.
pytest=(/usr/bin/python3 -m pytest -p no:cacheprovider)
if [ $# -gt 0 ]; then
	exec "${pytest[@]}" "$@"
fi

# The whole suite, then the server, PMD and DTS suites again under ASan+UBSan;
# the last line adds both runs up.
reports=$repo/build/test-reports
rm -rf "$reports"
mkdir -p "$reports"
status=0
"${pytest[@]}" --junitxml="$reports/suite.xml" || status=$?
echo "test: server, PMD and DTS suites under ASan+UBSan (scripts/test-sanitizers.sh)"
"$repo/scripts/test-sanitizers.sh" -q --junitxml="$reports/sanitizers.xml" || status=$?
/usr/bin/python3 "$repo/tests/lib/junit_summary.py" "$reports/suite.xml" \
	"$reports/sanitizers.xml" || status=1
exit $status

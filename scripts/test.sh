#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Set up the machine (Debian 12 or 13), build everything (QEMU included), run the
# whole test suite with pytest, then the server, PMD and DTS suites again
# under ASan+UBSan, then the server, PMD, DTS and device suites on the Debian
# 13 stack (DPDK 24.11, QEMU 10.0) in a cached trixie root
# (scripts/test-debian13.sh; IVSHMEM2_DEBIAN13=0 skips that stage); the last
# line is "N passed, N failed" over all runs.
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
deb13=()
if grep -qs '^VERSION_CODENAME=trixie' /etc/os-release; then
	echo "test: Debian 13 stage skipped: this machine is Debian 13, the runs above were on it"
elif [ "${IVSHMEM2_DEBIAN13:-1}" = 0 ]; then
	echo "test: Debian 13 stage skipped (IVSHMEM2_DEBIAN13=0)"
else
	echo "test: server, PMD, DTS and device suites on Debian 13 (scripts/test-debian13.sh)"
	"$repo/scripts/test-debian13.sh" -q --junitxml="$reports/debian13.xml" || status=$?
	deb13=("$reports/debian13.xml")
fi
/usr/bin/python3 "$repo/tests/lib/junit_summary.py" "$reports/suite.xml" \
	"$reports/sanitizers.xml" "${deb13[@]}" || status=1
exit $status

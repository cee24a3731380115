#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Build the server, the PMD and the apps with AddressSanitizer and
# UndefinedBehaviorSanitizer (into build-sanitize/) and run the suites that
# exercise them: server, PMD (incl. hostile peers, secondary processes) and
# the DTS suites. Stock dpdk-testpmd is not instrumented, so the sanitizer
# runtimes are preloaded into every process the tests start; any report
# fails the process that hit it, and so the test.
# Extra arguments go to pytest, e.g.  scripts/test-sanitizers.sh -x tests/pmd
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
export IVSHMEM2_BUILD_DIR=${IVSHMEM2_BUILD_DIR:-$repo/build-sanitize}

"$repo/scripts/build.sh" -Dqemu=disabled -Db_sanitize=address,undefined -Db_lundef=false

asan=$(gcc -print-file-name=libasan.so)
ubsan=$(gcc -print-file-name=libubsan.so)
# Leaks: DPDK's EAL keeps its allocations until exit by design.
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=0:exitcode=86
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:exitcode=87:suppressions=$repo/scripts/sanitizers/ubsan.supp

# Only options given (e.g. -q, -x): still the instrumented suites, not all of tests/.
paths=no
for arg in "$@"; do
	case $arg in -*) ;; *) paths=yes ;; esac
done
[ $paths = yes ] || set -- "$@" tests/server tests/pmd dts
LD_PRELOAD="$asan $ubsan" exec /usr/bin/python3 -m pytest -p no:cacheprovider "$@"

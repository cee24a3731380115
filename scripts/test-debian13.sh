#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
#
# Build and test the Debian 13 stack (DPDK 24.11, QEMU 10.0) from a Debian 12
# host, inside the cached trixie root of scripts/debian13-root.sh: the server,
# PMD, DTS and device suites, built into build-debian13/ by scripts/build.sh
# (QEMU 10.0 included, cached in $IVSHMEM2_CACHE beside 7.2's).
#
#   scripts/test-debian13.sh [PYTEST ARGS]
#
# Options alone (e.g. -q --junitxml=FILE) run those suites; paths among the
# arguments run only them. A PMD that could not be built (no driver-SDK
# headers for the root's DPDK: scripts/dpdk-sdk.sh) leaves the PMD and DTS
# suites out, with a line that says so. On a Debian 13 machine, run
# scripts/test.sh there instead. IVSHMEM2_DEBIAN13=0 skips everything.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

if [ "${IVSHMEM2_DEBIAN13:-1}" = 0 ]; then
	echo "test-debian13: Debian 13 stage skipped (IVSHMEM2_DEBIAN13=0)"
	exit 0
fi

if [ -z "${IVSHMEM2_IN_ROOT:-}" ]; then
	exec "$repo/scripts/debian13-root.sh" -- "$repo/scripts/test-debian13.sh" "$@"
fi

# Inside the root.
export IVSHMEM2_BUILD_DIR=$repo/build-debian13
start=$(date +%s)
nice -n 19 "$repo/scripts/build.sh" -Dqemu=enabled
echo "test-debian13: build ready after $(($(date +%s) - start)) s" \
	"(DPDK $(pkg-config --modversion libdpdk), $("$IVSHMEM2_BUILD_DIR/device/qemu-system-x86_64" --version | head -n1))"

paths=no
for arg in "$@"; do
	case $arg in -*) ;; *) paths=yes ;; esac
done
if [ $paths = no ]; then
	set -- "$@" tests/server tests/device
	if [ -f "$IVSHMEM2_BUILD_DIR/drivers/net/ivshmem2/librte_net_ivshmem2.so" ]; then
		set -- "$@" tests/pmd dts
	else
		echo "test-debian13: PMD and DTS suites left out: the PMD was not built" \
			"against DPDK $(pkg-config --modversion libdpdk)" \
			"($(grep -ho 'net_ivshmem2 PMD not built: .*' \
				"$IVSHMEM2_BUILD_DIR/meson-logs/meson-log.txt" | tail -n1))"
	fi
fi
exec /usr/bin/python3 -m pytest -p no:cacheprovider "$@"

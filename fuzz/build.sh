#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Build the libFuzzer harnesses of fuzz/ with clang (libFuzzer, ASan, UBSan)
# into $IVSHMEM2_FUZZ_BUILD_DIR (default: build-fuzz/), beside the normal gcc
# build; the server, the PMD and the apps are compiled there too, by clang.
# Quick when nothing changed. Prints the build directory on stdout.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
build=${IVSHMEM2_FUZZ_BUILD_DIR:-$repo/build-fuzz}

"$repo/scripts/setup.sh" >&2
if [ -f "$build/build.ninja" ] && ! grep -q "command = clang " "$build/build.ninja"; then
	echo "fuzz: $build was configured with another compiler than clang; remove it" >&2
	exit 1
fi
if [ ! -f "$build/build.ninja" ]; then
	CC=clang meson setup "$build" "$repo" -Dwerror=true -Dfuzz=enabled -Dqemu=disabled \
		>"$build.setup.log" 2>&1 || {
		cat "$build.setup.log" >&2
		exit 1
	}
	rm -f "$build.setup.log"
fi
ninja -C "$build" -j "$(nproc)" >&2
echo "$build"

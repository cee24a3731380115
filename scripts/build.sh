#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Set up the machine (scripts/setup.sh) and build every component into
# $IVSHMEM2_BUILD_DIR (default: build/). Extra arguments are meson -D options
# used when the build directory is first configured, e.g. -Dqemu=enabled.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
build=${IVSHMEM2_BUILD_DIR:-$repo/build}

"$repo/scripts/setup.sh"

if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build" "$repo" -Dwerror=true "$@" >"$build.setup.log" 2>&1 || {
		cat "$build.setup.log" >&2
		exit 1
	}
	rm -f "$build.setup.log"
elif [ $# -gt 0 ]; then
	meson configure "$build" "$@" >/dev/null
fi
echo "build: compiling into $build"
ninja -C "$build" -j "$(nproc)"

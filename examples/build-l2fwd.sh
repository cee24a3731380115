#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
#
# Build DPDK's stock l2fwd example from the sources Debian ships in dpdk-doc
# (/usr/share/dpdk/examples/l2fwd), with its own pkg-config Makefile. The
# sources are copied into a build directory at build time; nothing from
# DPDK is kept in the repository.
#
#   examples/build-l2fwd.sh [BUILD_DIR]     (default: build/examples/l2fwd)
#
# Prints the path of the binary. Quiet and fast when it is up to date.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
SRC=${DPDK_EXAMPLES:-/usr/share/dpdk/examples}/l2fwd
DEST=${1:-${IVSHMEM2_BUILD_DIR:-$REPO/build}/examples/l2fwd}

die() { echo "build-l2fwd: $*" >&2; exit 1; }

[ -f "$SRC/main.c" ] || die "$SRC/main.c missing: apt-get install dpdk-doc"
pkg-config --exists libdpdk || die "libdpdk not found by pkg-config: apt-get install libdpdk-dev"

mkdir -p "$DEST"
DEST=$(cd "$DEST" && pwd)
# Copy only what changed, so make's timestamps keep the build incremental.
for f in main.c Makefile; do
	cmp -s "$SRC/$f" "$DEST/$f" || cp "$SRC/$f" "$DEST/$f"
done
make -s -C "$DEST" >&2 || die "make failed in $DEST"
[ -x "$DEST/build/l2fwd" ] || die "no $DEST/build/l2fwd after make"
echo "$DEST/build/l2fwd"

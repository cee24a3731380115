#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
#
# Build qemu-system-x86_64 with the ivshmem2 device from Debian's QEMU source:
# QEMU 7.2 on Debian 12, QEMU 10.0 on Debian 13 (run this script inside the
# Debian 13 root of scripts/debian13-root.sh for that one). Whatever the
# distribution's `apt-get source qemu` fetches is built.
#
#   scripts/build-qemu.sh [QEMU_LINK [TEST_LINK]]
#
# The source package is fetched with `apt-get source qemu` into a cache
# outside the clone, keyed by the source version:
#
#   $IVSHMEM2_CACHE/qemu-<version>/src     unpacked source (Debian patches applied)
#   $IVSHMEM2_CACHE/qemu-<version>/build   build directory
#   $IVSHMEM2_CACHE/ccache                 compiler cache shared by all versions
#
# The device is added without patching QEMU: hw/ivshmem2 is a symlink to this
# clone's device/ directory, include/ivshmem2 a symlink to the shared headers,
# and one guarded line is appended to hw/meson.build and hw/Kconfig, one to
# stubs/meson.build that lists hw/ivshmem2 in trace_events_subdirs (for the
# device's trace-events), and one to tests/qtest/meson.build for the libqtest
# test. The symlinks are
# re-pointed on every run, so a cache shared by several clones always builds
# the clone that runs the script. A device edit is an incremental rebuild; a
# new source version gets a fresh tree.
#
# QEMU_LINK and TEST_LINK (optional) become symlinks to qemu-system-x86_64
# and to the libqtest test ivshmem2-test. Quiet when up to date.
# Concurrent runs for the same version are serialised with a lock.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${IVSHMEM2_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ivshmem2}
JOBS=${IVSHMEM2_JOBS:-2}
QEMU_LINK=${1:-}
TEST_LINK=${2:-}
QTEST_TARGET=tests/qtest/ivshmem2/ivshmem2-test
MARK="# ivshmem2: added by scripts/build-qemu.sh"

CONFIGURE_FLAGS=(
	--prefix=/usr
	# as Debian's package: bios-256k.bin lives in /usr/share/seabios
	--firmwarepath=/usr/share/qemu:/usr/share/seabios
	--target-list=x86_64-softmmu
	--without-default-features
	--enable-kvm --enable-virtfs --enable-attr --enable-cap-ng
	--enable-fdt=system
	--disable-docs --disable-tools --disable-guest-agent
	--disable-debug-info --disable-werror
)
# QEMU 8.0 and later: build from the subprojects shipped in the source
# package, never download any; Debian's 10.0 source lacks the prebuilt
# firmware (the firmware path above finds the distribution's).
CONFIGURE_FLAGS_8=(--disable-download --disable-install-blobs)

die() { echo "build-qemu: $*" >&2; exit 1; }

# The version apt-get source would fetch now; when the archive cannot be
# reached, the newest tree already in the cache.
source_version() {
	local dsc
	# --print-uris lines: 'URI' FILE SIZE HASH; FILE is not URL-encoded.
	dsc=$(apt-get source --print-uris qemu 2>/dev/null | awk '$2 ~ /^qemu_.*\.dsc$/ { print $2; exit }') || true
	if [ -n "$dsc" ]; then
		dsc=${dsc#qemu_}
		echo "${dsc%.dsc}"
		return
	fi
	local dirs
	dirs=$(ls -d "$CACHE"/qemu-*/src 2>/dev/null | sort -V | tail -n1) || true
	[ -n "$dirs" ] || die "cannot query the QEMU source version (apt-get source --print-uris qemu) and no cached tree"
	dirs=${dirs%/src}
	echo "${dirs##*/qemu-}"
}

fetch_source() {
	local qdir=$1
	[ -f "$qdir/src/.ivshmem2-unpacked" ] && return
	echo "build-qemu: fetching Debian's QEMU source into $qdir"
	rm -rf "$qdir/dl" "$qdir/src" "$qdir/build"
	mkdir -p "$qdir/dl"
	(cd "$qdir/dl" && apt-get source -q qemu >apt-source.log 2>&1) || {
		tail -n 20 "$qdir/dl/apt-source.log" >&2
		die "apt-get source qemu failed (deb-src entries: scripts/setup.sh)"
	}
	local tree
	tree=$(find "$qdir/dl" -mindepth 1 -maxdepth 1 -type d -name 'qemu-*' | head -n1)
	[ -n "$tree" ] || die "apt-get source produced no qemu-* directory"
	mv "$tree" "$qdir/src"
	rm -rf "$qdir/dl"
	touch "$qdir/src/.ivshmem2-unpacked"
}

# Append @line to @file once (recognised by the marker comment).
append_once() {
	local file=$1 line=$2
	grep -qF "$MARK" "$file" && return
	printf '\n%s\n%s\n' "$MARK" "$line" >>"$file"
}

link_device() {
	local src=$1
	ln -sfn "$REPO/device" "$src/hw/ivshmem2"
	ln -sfn "$REPO/include/ivshmem2" "$src/include/ivshmem2"
	ln -sfn "$REPO/device/tests" "$src/tests/qtest/ivshmem2"
	append_once "$src/hw/meson.build" "subdir('ivshmem2')"
	append_once "$src/hw/Kconfig" "source ivshmem2/Kconfig"
	# hw/ivshmem2/trace-events -> trace/trace-hw_ivshmem2.h: trace/meson.build
	# reads trace_events_subdirs, which the top-level meson.build fills before
	# subdir('stubs') and reads right after it, in subdir('trace').
	append_once "$src/stubs/meson.build" "trace_events_subdirs += [ 'hw/ivshmem2' ]"
	append_once "$src/tests/qtest/meson.build" "subdir('ivshmem2')"
}

configure() {
	local src=$1 build=$2 major=$3
	local want flags=("${CONFIGURE_FLAGS[@]}")
	[ "$major" -lt 8 ] || flags+=("${CONFIGURE_FLAGS_8[@]}")
	want="${flags[*]}"
	if [ -f "$build/build.ninja" ] && [ "$(cat "$build/.ivshmem2-configure" 2>/dev/null)" = "$want" ]; then
		return
	fi
	echo "build-qemu: configuring $build"
	rm -rf "$build"
	mkdir -p "$build"
	(cd "$build" && "$src/configure" "${flags[@]}" >configure.log 2>&1) || {
		tail -n 30 "$build/configure.log" >&2
		die "configure failed (log: $build/configure.log)"
	}
	echo "$want" >"$build/.ivshmem2-configure"
}

# 7.2 looks for firmware relative to the binary (build/qemu-bundle/...):
# point those directories at the distribution's firmware.
link_firmware() {
	local build=$1 d
	mkdir -p "$build/qemu-bundle/usr/share"
	for d in seabios qemu; do
		if [ -e "/usr/share/$d" ]; then
			[ -L "$build/qemu-bundle/usr/share/$d" ] || rm -rf "$build/qemu-bundle/usr/share/$d"
			ln -sfn "/usr/share/$d" "$build/qemu-bundle/usr/share/$d"
		fi
	done
}

build() {
	local build=$1 log=$1/ivshmem2-ninja.log before after
	before=$(stat -c %Y.%s "$build/qemu-system-x86_64" 2>/dev/null || true)
	if ! nice -n 10 ninja -C "$build" -j "$JOBS" qemu-system-x86_64 "$QTEST_TARGET" \
		>"$log" 2>&1; then
		grep -E "error|Error|FAILED" "$log" | head -n 40 >&2 || tail -n 40 "$log" >&2
		die "build failed (log: $log)"
	fi
	# ninja always regenerates qemu-version.h: report only a new binary.
	after=$(stat -c %Y.%s "$build/qemu-system-x86_64")
	if [ "$before" != "$after" ]; then
		echo "build-qemu: built $build/qemu-system-x86_64"
	fi
	# Device warnings are errors for this project even though QEMU's are not.
	if grep -E "ivshmem2/[^ ]*: *warning:" "$log" >&2; then
		die "warnings in the ivshmem2 device (log: $log)"
	fi
}

link_product() {
	local target=$1 link=$2
	[ -n "$link" ] || return 0
	mkdir -p "$(dirname "$link")"
	ln -sfn "$target" "$link"
}

main() {
	command -v apt-get >/dev/null || die "needs apt-get (Debian)"
	local version qdir
	version=$(source_version)
	version=${version//[^A-Za-z0-9.+~_-]/_}
	qdir=$CACHE/qemu-$version
	mkdir -p "$qdir" "$CACHE/ccache"
	exec 9>"$qdir.lock"
	flock 9

	export CCACHE_DIR=$CACHE/ccache
	export PATH=/usr/lib/ccache:$PATH

	fetch_source "$qdir"
	link_device "$qdir/src"
	configure "$qdir/src" "$qdir/build" "${version%%.*}"
	link_firmware "$qdir/build"
	build "$qdir/build"
	link_firmware "$qdir/build"

	link_product "$qdir/build/qemu-system-x86_64" "$QEMU_LINK"
	link_product "$qdir/build/$QTEST_TARGET" "$TEST_LINK"
}

main "$@"

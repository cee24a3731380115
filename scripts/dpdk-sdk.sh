#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# What an out-of-tree PMD needs from DPDK beyond the installed libdpdk.
#
#   scripts/dpdk-sdk.sh [--pc-dir DIR] [headers]
#	Print a directory holding the driver-SDK headers (ethdev_driver.h, ...).
#	A DPDK installed with -Denable_driver_sdk=true already ships them: then
#	the libdpdk include directory that holds them is printed and nothing is
#	fetched. Otherwise (Debian's libdpdk-dev) they come from Debian's dpdk
#	source package of the installed version.
#   scripts/dpdk-sdk.sh [--pc-dir DIR] buildtools
#	Print a directory holding DPDK's pmdinfogen.py, coff.py and
#	gen-pmdinfo-cfile.py (no DPDK installs them), from the same source
#	package. Exits with status 3, printing nothing, when the libdpdk in use
#	is not Debian's (no source package matches it).
#
# --pc-dir: the directory of the libdpdk.pc to use (what meson found), put in
# front of PKG_CONFIG_PATH. Fetched files are cached outside the clone, keyed
# by version, in $IVSHMEM2_CACHE (default ~/.cache/ivshmem2).
set -euo pipefail

headers=(
	lib/ethdev/ethdev_driver.h
	lib/ethdev/ethdev_vdev.h
	lib/ethdev/ethdev_pci.h
	lib/eal/include/dev_driver.h
	lib/eal/include/bus_driver.h
	drivers/bus/vdev/bus_vdev_driver.h
	drivers/bus/pci/bus_pci_driver.h
)
buildtools=(
	buildtools/pmdinfogen.py
	buildtools/coff.py
	buildtools/gen-pmdinfo-cfile.py
)

die() {
	echo "dpdk-sdk: $*" >&2
	exit 1
}

what=headers
while [ $# -gt 0 ]; do
	case $1 in
	--pc-dir)
		[ $# -ge 2 ] || die "--pc-dir needs a directory"
		PKG_CONFIG_PATH=$2${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
		export PKG_CONFIG_PATH
		shift 2
		;;
	headers | buildtools)
		what=$1
		shift
		;;
	*)
		die "unknown argument '$1' (usage: dpdk-sdk.sh [--pc-dir DIR] [headers|buildtools])"
		;;
	esac
done

pkg-config --exists libdpdk || die "pkg-config finds no libdpdk (install libdpdk-dev or set PKG_CONFIG_PATH)"
pc_dir=$(pkg-config --variable=pcfiledir libdpdk)
dpdk_version=$(pkg-config --modversion libdpdk)

# The include directories of the libdpdk in use: its includedir and every -I.
dpdk_include_dirs() {
	pkg-config --variable=includedir libdpdk
	local flag
	for flag in $(pkg-config --cflags-only-I libdpdk); do
		echo "${flag#-I}"
	done
}

# The directory holding the first SDK header when every one of them is in
# some libdpdk include directory (they are then on the compiler's path anyway).
installed_sdk_dir() {
	local dirs h d found first=
	mapfile -t dirs < <(dpdk_include_dirs)
	for h in "${headers[@]}"; do
		found=
		for d in "${dirs[@]}"; do
			if [ -n "$d" ] && [ -f "$d/${h##*/}" ]; then
				found=$d
				break
			fi
		done
		[ -n "$found" ] || return 1
		first=${first:-$found}
	done
	echo "$first"
}

# The Debian package version of libdpdk-dev when the libdpdk.pc in use is the
# one that package installed; fails otherwise (a self-built DPDK).
debian_dpdk_version() {
	local owner
	owner=$(dpkg-query -S "$(readlink -f "$pc_dir/libdpdk.pc")" 2>/dev/null) || return 1
	case $owner in
	libdpdk-dev:* | libdpdk-dev\ *) ;;
	*) return 1 ;;
	esac
	dpkg-query -W -f='${Version}' libdpdk-dev
}

# Extract the headers and build tools of Debian's dpdk source package $1 into
# $dest/{include,buildtools}; each part appears complete or not at all.
fetch_source() {
	local version=$1 upstream work tarball
	upstream=${version#*:}
	upstream=${upstream%-*}
	mkdir -p "$dest"
	work=$(mktemp -d "$dest.XXXXXX")
	# shellcheck disable=SC2064 # expand $work now
	trap "rm -rf '$work'" EXIT
	# Debian keeps only the current revision of a suite: fall back to it when
	# the installed one is gone, as long as the upstream version is the same.
	if ! (cd "$work" && apt-get source -q --download-only "dpdk=$version") >"$work/apt.log" 2>&1 &&
		! (cd "$work" && apt-get source -q --download-only dpdk) >>"$work/apt.log" 2>&1; then
		cat "$work/apt.log" >&2
		die "cannot download Debian's dpdk source package $version or its current" \
			"revision (deb-src entries: scripts/setup.sh)"
	fi
	tarball=$(compgen -G "$work/dpdk_$upstream.orig.tar.*" | head -n1) || true
	[ -n "$tarball" ] ||
		die "Debian's dpdk source is not upstream $upstream (installed: $version): update libdpdk-dev"
	local f patterns=()
	for f in "${headers[@]}" "${buildtools[@]}"; do
		patterns+=("*/$f")
	done
	mkdir -p "$work/src"
	tar -xf "$tarball" -C "$work/src" --strip-components=1 --wildcards "${patterns[@]}"
	mkdir -p "$work/include" "$work/buildtools"
	for f in "${headers[@]}"; do
		cp "$work/src/$f" "$work/include/"
	done
	for f in "${buildtools[@]}"; do
		cp "$work/src/$f" "$work/buildtools/"
	done
	# Another build may have fetched the same part meanwhile: keep either.
	for f in include buildtools; do
		[ -d "$dest/$f" ] || mv -T "$work/$f" "$dest/$f" 2>/dev/null || [ -d "$dest/$f" ]
	done
}

if [ "$what" = headers ] && dir=$(installed_sdk_dir); then
	echo "$dir"
	exit 0
fi

if ! version=$(debian_dpdk_version); then
	if [ "$what" = buildtools ]; then
		echo "dpdk-sdk: libdpdk $dpdk_version in $pc_dir is not Debian's libdpdk-dev:" \
			"no source package to take pmdinfogen from" >&2
		exit 3
	fi
	die "libdpdk $dpdk_version in $pc_dir lacks the driver-SDK headers (${headers[*]##*/})" \
		"and is not Debian's libdpdk-dev: install DPDK with -Denable_driver_sdk=true" \
		"or configure with -Ddpdk_sdk_dir=DIR"
fi

cache=${IVSHMEM2_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ivshmem2}
dest=$cache/dpdk-sdk-$version
if [ "$what" = headers ]; then
	part=$dest/include
	files=("${headers[@]}")
else
	part=$dest/buildtools
	files=("${buildtools[@]}")
fi
complete=yes
for f in "${files[@]}"; do
	[ -f "$part/${f##*/}" ] || complete=no
done
if [ $complete = no ]; then
	rm -rf "$part"
	fetch_source "$version"
fi
echo "$part"

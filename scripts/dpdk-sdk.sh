#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Print a directory holding the DPDK driver-SDK headers that Debian's
# libdpdk-dev lacks, fetched from the source package matching the installed
# DPDK. The directory is cached outside the clone, keyed by version.
set -euo pipefail

version=$(dpkg-query -W -f='${Version}' libdpdk-dev)
cache=${IVSHMEM2_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ivshmem2}
dest=$cache/dpdk-sdk-$version
headers=(
	lib/ethdev/ethdev_driver.h
	lib/ethdev/ethdev_vdev.h
	lib/ethdev/ethdev_pci.h
	lib/eal/include/dev_driver.h
	lib/eal/include/bus_driver.h
	drivers/bus/vdev/bus_vdev_driver.h
	drivers/bus/pci/bus_pci_driver.h
)

if [ ! -f "$dest/.complete" ]; then
	work=$(mktemp -d "$cache.XXXXXX" 2>/dev/null || { mkdir -p "$cache"; mktemp -d "$cache/tmp.XXXXXX"; })
	trap 'rm -rf "$work"' EXIT
	(cd "$work" && apt-get source -q --download-only "dpdk=$version" >/dev/null 2>&1 ||
		apt-get source -q --download-only "dpdk=$version") >&2
	tarball=$(ls "$work"/dpdk_*.orig.tar.* | head -n1)
	mkdir -p "$work/src"
	tar -xf "$tarball" -C "$work/src" --strip-components=1 \
		--wildcards $(printf '*/%s ' "${headers[@]}")
	rm -rf "$dest"
	mkdir -p "$dest/include"
	for h in "${headers[@]}"; do
		cp "$work/src/$h" "$dest/include/"
	done
	echo "$version" >"$dest/.complete"
fi
echo "$dest/include"

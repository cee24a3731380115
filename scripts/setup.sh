#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Prepare a Debian 12 machine for ivshmem2: packages, deb-src entries, hugepages.
# Idempotent and quiet when everything is already present.
#
#   scripts/setup.sh            packages for building and testing everything
#   scripts/setup.sh --check    only report what is missing (exit 1 if anything is)
set -euo pipefail

PACKAGES=(
	# build
	gcc g++ make pkgconf meson ninja-build ccache python3 dpkg-dev xz-utils
	# DPDK (stock Debian 22.11) and the PMD's dependencies
	dpdk dpdk-dev libdpdk-dev dpdk-doc libnuma-dev numactl
	# DPDK's pmdinfogen (PMD build) and dpdk-pmdinfo.py
	python3-pyelftools
	# QEMU 7.2 build from Debian's source package (minimal set, see docs)
	libglib2.0-dev libpixman-1-dev libcap-ng-dev zlib1g-dev libfdt-dev libattr1-dev
	seabios qemu-system-data
	# guests: kernel is downloaded (not installed) by the guest harness
	busybox-static cpio kmod
	# fuzzing (fuzz/): clang with libFuzzer and the sanitizer runtimes
	clang libclang-rt-14-dev
	# tests and tools
	python3-pytest python3-yaml python3-matplotlib strace valgrind util-linux procps
	iproute2 file
)

quiet() { "$@" >/dev/null 2>&1; }

missing_packages() {
	local p
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
			echo "$p"
	done
}

# A deb-src twin of every deb822 source that Debian ships, URIs taken from
# the machine's own configuration (no mirror is named here).
ensure_deb_src() {
	local src=/etc/apt/sources.list.d/debian.sources
	local dst=/etc/apt/sources.list.d/ivshmem2-deb-src.sources
	[ -f "$dst" ] && return 1
	if [ -f "$src" ]; then
		sed -e 's/^Types:.*/Types: deb-src/' "$src" >"$dst"
	elif [ -f /etc/apt/sources.list ]; then
		grep -E '^deb ' /etc/apt/sources.list | sed -e 's/^deb /deb-src /' \
			>/etc/apt/sources.list.d/ivshmem2-deb-src.list
	else
		echo "setup: no apt sources found to derive deb-src entries from" >&2
		exit 1
	fi
	return 0
}

ensure_hugepages() {
	mkdir -p /dev/hugepages
	mountpoint -q /dev/hugepages || mount -t hugetlbfs nodev /dev/hugepages
	local want=${IVSHMEM2_HUGEPAGES:-1024}
	local have
	have=$(cat /proc/sys/vm/nr_hugepages)
	if [ "$have" -lt "$want" ]; then
		echo "$want" >/proc/sys/vm/nr_hugepages
	fi
}

main() {
	if [ "$(id -u)" != 0 ]; then
		echo "setup: must run as root (apt-get, hugepages)" >&2
		exit 1
	fi
	local need
	need=$(missing_packages)
	if [ "${1:-}" = --check ]; then
		[ -z "$need" ] && exit 0
		echo "missing: $need"
		exit 1
	fi
	local updated=0
	if ensure_deb_src; then
		echo "setup: added deb-src entries"
		updated=1
	fi
	if [ -n "$need" ]; then
		echo "setup: installing $(echo $need | wc -w) packages: $(echo $need)"
		export DEBIAN_FRONTEND=noninteractive
		quiet apt-get update || apt-get update
		updated=2
		apt-get install -y -q --no-install-recommends $need >/tmp/ivshmem2-apt.log 2>&1 || {
			cat /tmp/ivshmem2-apt.log >&2
			exit 1
		}
	fi
	if [ "$updated" = 1 ]; then
		export DEBIAN_FRONTEND=noninteractive
		quiet apt-get update || apt-get update
	fi
	ensure_hugepages
}

main "$@"

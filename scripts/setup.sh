#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Prepare a Debian 12 (bookworm) or Debian 13 (trixie) machine for ivshmem2:
# packages, deb-src entries, hugepages. The release is read from
# /etc/os-release. Idempotent and quiet when everything is already present.
#
#   scripts/setup.sh            packages for building and testing everything
#   scripts/setup.sh --check    only report what is missing (exit 1 if anything is)
#   scripts/setup.sh --list [12|13]   print the package list (default: this machine's)
set -euo pipefail

# The same names on both releases (DPDK 22.11 / QEMU 7.2 on Debian 12,
# DPDK 24.11 / QEMU 10.0 on Debian 13), plus RELEASE_PACKAGES below.
PACKAGES=(
	# build
	gcc g++ make pkgconf meson ninja-build ccache python3 dpkg-dev xz-utils
	# DPDK (stock Debian 22.11 or 24.11) and the PMD's dependencies
	dpdk dpdk-dev libdpdk-dev dpdk-doc libnuma-dev numactl
	# DPDK's pmdinfogen (PMD build) and dpdk-pmdinfo.py
	python3-pyelftools
	# QEMU build from Debian's source package (minimal set, see docs)
	libglib2.0-dev libpixman-1-dev libcap-ng-dev zlib1g-dev libfdt-dev libattr1-dev
	seabios qemu-system-data
	# guests: kernel is downloaded (not installed) by the guest harness
	busybox-static cpio kmod
	# fuzzing (fuzz/): clang with libFuzzer and the sanitizer runtimes
	clang libclang-rt-dev
	# tests and tools
	python3-pytest python3-yaml python3-matplotlib strace valgrind util-linux procps
	iproute2 file
)

# Debian 12 or 13, from /etc/os-release (or the argument of --list).
release_of_machine() {
	local id= codename= version=
	# shellcheck disable=SC1091
	[ -r /etc/os-release ] && . /etc/os-release && id=${ID:-} codename=${VERSION_CODENAME:-} \
		version=${VERSION_ID:-}
	case $id:$codename in
	debian:bookworm) echo 12 ;;
	debian:trixie) echo 13 ;;
	*)
		echo "setup: unsupported system '${PRETTY_NAME:-$id $version}':" \
			"ivshmem2 supports Debian 12 (bookworm) and Debian 13 (trixie)" >&2
		exit 1
		;;
	esac
}

# What differs between the releases.
release_packages() {
	case $1 in
	# the Debian 13 root of scripts/debian13-root.sh (scripts/test.sh)
	12) echo debootstrap ;;
	# QEMU 10.0's configure builds a Python venv
	13) echo python3-venv ;;
	*) echo "setup: no package list for Debian '$1' (12 or 13)" >&2; exit 1 ;;
	esac
}

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
	# Already there (e.g. the Debian 13 root of scripts/debian13-root.sh).
	grep -qsE '^Types:.*deb-src' /etc/apt/sources.list.d/*.sources && return 1
	grep -qsE '^deb-src ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list && return 1
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
	local release extra
	if [ "${1:-}" = --list ] && [ -n "${2:-}" ]; then
		release=$2
	else
		release=$(release_of_machine)
	fi
	extra=$(release_packages "$release")
	PACKAGES+=($extra)
	if [ "${1:-}" = --list ]; then
		printf '%s\n' "${PACKAGES[@]}"
		exit 0
	fi
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

#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
#
# A Debian 13 (trixie) root for building and testing ivshmem2 against the
# other supported stack (DPDK 24.11, QEMU 10.0) from a Debian 12 host.
#
#   scripts/debian13-root.sh [--update] [--] [COMMAND [ARG...]]
#
# Creates the root with debootstrap when missing, installs the packages the
# project needs into it (again only when that list changes), then runs
# COMMAND inside it (default: an interactive shell) with /proc, /sys, /dev
# (with /dev/hugepages and /dev/shm), /tmp, the cache and this clone mounted
# at the same paths as on the host. The mounts live in a private mount
# namespace: they vanish when the command ends, whatever way it ends, and are
# never seen by the host. The working directory is kept.
#
# The root is cached outside the clone, keyed by suite:
#   $IVSHMEM2_CACHE/debian-<suite>-root        default suite: trixie
# --update refreshes its package lists and upgrades it (also done by itself
# when the last refresh is older than IVSHMEM2_ROOT_MAX_AGE days, default 14).
#
# The archive is the host's own: URIs are read at run time from
# /etc/apt/sources.list.d/debian.sources (or /etc/apt/sources.list), never
# written here. Environment passed in: IVSHMEM2_*, CI, PYTEST_ADDOPTS, TERM.
# Timings go to stderr as "debian13-root: ... (N s)".
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${IVSHMEM2_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ivshmem2}
SUITE=${IVSHMEM2_DEBIAN13_SUITE:-trixie}
ROOT=$CACHE/debian-$SUITE-root
MAX_AGE=${IVSHMEM2_ROOT_MAX_AGE:-14}

# The packages are scripts/setup.sh's list for Debian 13, so that setup.sh,
# which scripts/build.sh runs inside the root too, finds nothing missing.
packages() {
	"$REPO/scripts/setup.sh" --list 13
}

die() { echo "debian13-root: $*" >&2; exit 1; }
note() { echo "debian13-root: $*" >&2; }

# URIs of the host's main archive and security archive, from its deb822
# (or one-line) apt sources.
host_uri() {
	local kind=$1 f=/etc/apt/sources.list.d/debian.sources
	if [ -f "$f" ]; then
		awk -v kind="$kind" '
			/^[ \t]*#/ { next }
			/^[ \t]*$/ { flush(); next }
			/^URIs:/ { uris = $2 }
			/^Suites:/ { suites = $0 }
			END { flush() }
			function flush() {
				if (uris != "" && !done &&
				    ((kind == "security") == (suites ~ /-security/))) {
					print uris; done = 1
				}
				uris = ""; suites = ""
			}' "$f"
	elif [ -f /etc/apt/sources.list ]; then
		awk -v kind="$kind" '$1 == "deb" {
			sec = ($3 ~ /-security/ || $3 ~ /\/updates$/)
			if ((kind == "security") == sec) { print ($2 ~ /^\[/ ? $3 : $2); exit }
		}' /etc/apt/sources.list
	fi
}

# Run in the root without the bind mounts (package management).
in_root_plain() {
	DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 chroot "$ROOT" "$@"
}

write_sources() {
	local root=$1 main sec
	main=$(host_uri main)
	sec=$(host_uri security)
	[ -n "$main" ] || die "no Debian archive URI found in the host's apt sources"
	{
		printf 'Types: deb deb-src\nURIs: %s\nSuites: %s %s-updates\n' "$main" "$SUITE" "$SUITE"
		printf 'Components: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
		if [ -n "$sec" ]; then
			printf '\nTypes: deb deb-src\nURIs: %s\nSuites: %s-security\n' "$sec" "$SUITE"
			printf 'Components: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
		fi
	} >"$root/etc/apt/sources.list.d/debian.sources"
	rm -f "$root/etc/apt/sources.list"
	cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
}

create_root() {
	command -v debootstrap >/dev/null || {
		note "installing debootstrap on the host"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
			debootstrap >/dev/null || die "apt-get install debootstrap failed"
	}
	local main t0 tmp
	main=$(host_uri main)
	[ -n "$main" ] || die "no Debian archive URI found in the host's apt sources"
	t0=$(date +%s)
	tmp=$ROOT.new
	rm -rf "$tmp"
	note "creating the $SUITE root in $ROOT (debootstrap, a few minutes)"
	if ! nice -n 19 debootstrap --variant=minbase "$SUITE" "$tmp" "$main" \
		>"$ROOT.debootstrap.log" 2>&1; then
		tail -n 20 "$ROOT.debootstrap.log" >&2
		rm -rf "$tmp"
		die "debootstrap failed (log: $ROOT.debootstrap.log)"
	fi
	# No daemons started by package scripts inside the root.
	printf '#!/bin/sh\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d"
	chmod 755 "$tmp/usr/sbin/policy-rc.d"
	write_sources "$tmp"
	mv "$tmp" "$ROOT"
	note "debootstrap done ($(($(date +%s) - t0)) s)"
}

apt_in_root() {
	local log=$ROOT.apt.log
	if ! in_root_plain apt-get "$@" >"$log" 2>&1; then
		tail -n 30 "$log" >&2
		die "apt-get $* failed in the root (log: $log)"
	fi
}

refresh_root() {
	local t0
	t0=$(date +%s)
	write_sources "$ROOT"
	apt_in_root update -q
	apt_in_root -y -q -o Dpkg::Options::=--force-confold upgrade
	touch "$ROOT/.ivshmem2-refreshed"
	note "package lists refreshed and root upgraded ($(($(date +%s) - t0)) s)"
}

install_packages() {
	local want have t0 need p
	want=$(packages | sort)
	have=$(cat "$ROOT/.ivshmem2-packages" 2>/dev/null || true)
	[ "$want" = "$have" ] && return
	t0=$(date +%s)
	need=()
	for p in $want; do
		in_root_plain dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q '^install ok installed$' || need+=("$p")
	done
	if [ ${#need[@]} -gt 0 ]; then
		note "installing ${#need[@]} packages into the root"
		[ -f "$ROOT/.ivshmem2-refreshed" ] || { write_sources "$ROOT"; apt_in_root update -q; }
		apt_in_root install -y -q --no-install-recommends "${need[@]}"
		touch "$ROOT/.ivshmem2-refreshed"
	fi
	echo "$want" >"$ROOT/.ivshmem2-packages"
	note "packages ready ($(($(date +%s) - t0)) s)"
}

ensure_root() {
	local update=$1
	mkdir -p "$CACHE"
	exec 9>"$ROOT.lock"
	flock 9
	[ -f "$ROOT/etc/debian_version" ] || create_root
	install_packages
	if [ "$update" = 1 ] ||
		[ -n "$(find "$ROOT/.ivshmem2-refreshed" -mtime +"$MAX_AGE" 2>/dev/null)" ]; then
		refresh_root
	fi
	exec 9>&-
}

# The command runs in a new mount namespace (unshare); this function is what
# runs inside it, as root of that namespace, before the chroot.
run_inside() {
	local d
	mount -t proc proc "$ROOT/proc"
	mount --rbind /sys "$ROOT/sys"
	mount --rbind /dev "$ROOT/dev"
	mount -t tmpfs -o mode=755 tmpfs "$ROOT/run"
	mount --bind /tmp "$ROOT/tmp"
	for d in "$CACHE" "$REPO"; do
		mkdir -p "$ROOT$d"
		mount --bind "$d" "$ROOT$d"
	done
	cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null || true
	local env=(HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
		LANG=C.UTF-8 IVSHMEM2_CACHE="$CACHE" IVSHMEM2_IN_ROOT="$SUITE")
	local v
	while IFS='=' read -r v _; do
		case $v in
		IVSHMEM2_CACHE) ;;
		IVSHMEM2_* | CI | PYTEST_ADDOPTS | TERM) env+=("$v=${!v}") ;;
		esac
	done < <(env)
	local cwd=$PWD
	[ -d "$ROOT$cwd" ] || cwd=$REPO
	exec chroot "$ROOT" /usr/bin/env -i "${env[@]}" /bin/sh -c 'cd "$1" && shift && exec "$@"' \
		sh "$cwd" "$@"
}

main() {
	[ "$(id -u)" = 0 ] || die "must run as root (debootstrap, chroot, mounts)"
	if [ "${1:-}" = --inside ]; then
		shift
		run_inside "$@"
	fi
	local update=0
	while [ $# -gt 0 ]; do
		case $1 in
		--update) update=1; shift ;;
		--) shift; break ;;
		-h | --help) sed -n '2,/^set -e/p' "$0" | sed -e 's/^# \{0,1\}//' -e '/^set -e/d'; exit 0 ;;
		-*) die "unknown option $1 (see --help)" ;;
		*) break ;;
		esac
	done
	local t0
	t0=$(date +%s)
	ensure_root "$update"
	note "root ready: $ROOT ($(($(date +%s) - t0)) s)"
	[ $# -gt 0 ] || set -- /bin/bash
	exec unshare --mount --propagation private -- "$0" --inside "$@"
}

main "$@"

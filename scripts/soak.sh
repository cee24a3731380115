#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Hostile-peer soak (tests/pmd/soak_run.py): a seeded adversary against a
# testpmd whose net_ivshmem2 is built with ASan+UBSan, while an honest
# pktcheck peer checks every frame of a clean link through the same testpmd.
# Builds build/ and build-sanitize/ first, prints a summary table, exits 0
# only if every check passed.
#
#   scripts/soak.sh [--minutes N] [--seconds N] [--seed S] [--attacks LIST] [--json FILE]
#
# The suite runs a 40 s version (tests/pmd/test_soak.py).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
seconds=600
args=()
while [ $# -gt 0 ]; do
	case $1 in
	--minutes) seconds=$(($2 * 60)); shift 2 ;;
	--seconds) seconds=$2; shift 2 ;;
	--seed|--attacks|--json) args+=("$1" "$2"); shift 2 ;;
	-h|--help) sed -n '2,11p' "$0"; exit 0 ;;
	*) echo "soak.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
	esac
done

export IVSHMEM2_BUILD_DIR=${IVSHMEM2_BUILD_DIR:-$repo/build}
export IVSHMEM2_SANITIZE_BUILD=${IVSHMEM2_SANITIZE_BUILD:-$repo/build-sanitize}
"$repo/scripts/build.sh" >/dev/null
IVSHMEM2_BUILD_DIR=$IVSHMEM2_SANITIZE_BUILD "$repo/scripts/build.sh" -Dqemu=disabled \
	-Db_sanitize=address,undefined -Db_lundef=false >/dev/null
exec /usr/bin/python3 "$repo/tests/pmd/soak_run.py" --seconds "$seconds" "${args[@]}"

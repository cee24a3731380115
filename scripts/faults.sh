#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Fault injection under traffic (tests/pmd/faults_run.py): a peer killed
# with SIGKILL N times in a row, the server killed and restarted, a peer
# stopped for 5 s; the survivor testpmd runs net_ivshmem2 built with
# ASan+UBSan. Prints link-down and traffic-back latencies and the
# survivor's resources before and after; exits 0 only if every check passed.
#
#   scripts/faults.sh [--kills N] [--server-restarts N] [--sigstops N] [--json FILE]
#
# The suite runs 20 kills (tests/pmd/test_faults.py).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
args=()
while [ $# -gt 0 ]; do
	case $1 in
	--kills|--server-restarts|--sigstops|--json) args+=("$1" "$2"); shift 2 ;;
	-h|--help) sed -n '2,11p' "$0"; exit 0 ;;
	*) echo "faults.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
	esac
done

export IVSHMEM2_BUILD_DIR=${IVSHMEM2_BUILD_DIR:-$repo/build}
export IVSHMEM2_SANITIZE_BUILD=${IVSHMEM2_SANITIZE_BUILD:-$repo/build-sanitize}
"$repo/scripts/build.sh" >/dev/null
IVSHMEM2_BUILD_DIR=$IVSHMEM2_SANITIZE_BUILD "$repo/scripts/build.sh" -Dqemu=disabled \
	-Db_sanitize=address,undefined -Db_lundef=false >/dev/null
exec /usr/bin/python3 "$repo/tests/pmd/faults_run.py" "${args[@]}"

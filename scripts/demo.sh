#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The main job: set up the machine, build, then start an ivshmem2-server and
# two stock dpdk-testpmd peers joined by net_ivshmem2 (one way, then both
# ways, 64 B and 1518 B frames), with net_memif beside it for comparison,
# and print the throughput table. Everything started is cleaned up.
#
#   scripts/demo.sh [SECONDS_PER_RUN]       (default 3)
# The full side-by-side benchmark is bench/bench.py.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-3}

"$repo/scripts/build.sh"
mkdir -p "$repo/results"
exec /usr/bin/python3 "$repo/bench/bench.py" \
	--transports ivshmem2,memif --sizes 64,1518 --reps 1 \
	--seconds "$secs" --no-latency --no-syscalls \
	--out "$repo/results/demo.md"

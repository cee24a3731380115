#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The main job: set up the machine, build, then start an ivshmem2-server and
# two stock dpdk-testpmd peers joined by net_ivshmem2 (copy; zero-copy TX
# from the port's pool, ivshmem2-pool; and that pool on A with zero-copy RX on
# B, ivshmem2-pool-zc; the pool rows both ways only), with net_memif (copy
# and zero-copy) and vhost-user/virtio-user beside it for comparison,
# measured by bench/engine: one way and both ways, 64 B and 1518 B, 5
# interleaved repetitions of 5 s windows (about 12 minutes after the build:
# 500 s of windows, 100 s of warm-up, peer start-up).
# Writes results/demo/perf.{json,md,png} and perf-line.png, and prints the
# table with the CPU model, where the forwarding lcores ran and how long a
# cache line took between their CPUs around each window (ivshmem2-c2c).
# Everything started is cleaned up.
#
#   scripts/demo.sh [REPS [SECONDS_PER_WINDOW]]      (defaults 5 and 5)
#   DEMO_CPUS=2,3 scripts/demo.sh                     (forwarding CPUs of peer A, B)
# The full side-by-side benchmark is bench/bench.py (dts/run-perf.sh).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
reps=${1:-5}
secs=${2:-5}

"$repo/scripts/build.sh"
out=$repo/results/demo
mkdir -p "$out"
args=(--transports ivshmem2,ivshmem2-pool,ivshmem2-pool-zc,memif,memif-zc,vhost
	--workloads uni,bidi --sizes 64,1518
	--reps "$reps" --seconds "$secs" --warmup 1 --baseline memif --report "$out")
[ -n "${DEMO_CPUS:-}" ] && args+=(--cpus "$DEMO_CPUS")
/usr/bin/python3 "$repo/bench/bench.py" "${args[@]}"
echo "demo: results in $out/perf.json, perf.md, perf.png"

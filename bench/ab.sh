#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Alternating A/B of two builds of net_ivshmem2 (e.g. before and after a
# datapath change), with stock testpmd through bench/bench.py: rep 1 of A,
# rep 1 of B, rep 2 of A, ... so both see the same drift of this machine;
# net_memif runs in every rep of A as the comparison in the same run.
# Prints per-rep Mpps, then median/min/max per build and the B/A ratio, and
# cycles per packet of the receiving lcore (a polling lcore is 100 % busy:
# cycles/packet = core Hz / packets per second).
#
#   bench/ab.sh BUILD_A BUILD_B [reps] [bench.py options...]
#   bench/ab.sh /tmp/old/build build 5 --sizes 64,1518 --modes uni
set -euo pipefail

a=$(cd "$1" && pwd)
b=$(cd "$2" && pwd)
reps=${3:-5}
shift 3 || shift $#
repo=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
opts=(--reps 1 --seconds 5 --warmup 1 --no-latency --no-syscalls "$@")

for rep in $(seq 1 "$reps"); do
	for build in A B; do
		dir=$a
		[ $build = B ] && dir=$b
		echo "ab: rep $rep/$reps: build $build ($dir)" >&2
		transports=ivshmem2
		[ $build = A ] && transports=ivshmem2,memif
		IVSHMEM2_BUILD_DIR=$dir /usr/bin/python3 "$repo/bench/bench.py" "${opts[@]}" \
			--transports $transports --out "$out/$build-$rep.md" 2>&1 >/dev/null |
			sed -n -e "s/^.*rep 1: ivshmem2 *\([a-z]*\) *\([0-9]*\) B: *\([0-9.]*\) Mpps.*$/$build \1 \2 \3/p" \
			-e "s/^.*rep 1: memif *\([a-z]*\) *\([0-9]*\) B: *\([0-9.]*\) Mpps.*$/M \1 \2 \3/p" \
			>>"$out/samples"
	done
done
hz=$(awk -F: '/^cpu MHz/ { printf "%d", $2 * 1e6; exit }' /proc/cpuinfo)
/usr/bin/python3 - "$out/samples" "$hz" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
hz = int(sys.argv[2])
keys = sorted({(m, int(s)) for b, m, s, _ in rows if b != "M"})
print(f"CPU {hz / 1e9:.2f} GHz; Mpps per rep, then median (min-max), cycles/packet at the median")
print("| mode | size | A reps | B reps | A median | B median | B/A | A cyc/pkt | B cyc/pkt "
      "| memif median | B/memif |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for m, s in keys:
    va = [float(r[3]) for r in rows if r[0] == "A" and r[1] == m and int(r[2]) == s]
    vb = [float(r[3]) for r in rows if r[0] == "B" and r[1] == m and int(r[2]) == s]
    vm = [float(r[3]) for r in rows if r[0] == "M" and r[1] == m and int(r[2]) == s]
    ma, mb = statistics.median(va), statistics.median(vb)
    mm = statistics.median(vm) if vm else float("nan")
    print(f"| {m} | {s} | {' '.join(f'{v:.1f}' for v in va)} | {' '.join(f'{v:.1f}' for v in vb)} "
          f"| {ma:.2f} ({min(va):.1f}-{max(va):.1f}) | {mb:.2f} ({min(vb):.1f}-{max(vb):.1f}) "
          f"| {mb / ma:.3f} | {hz / (ma * 1e6):.0f} | {hz / (mb * 1e6):.0f} | {mm:.2f} "
          f"| {mb / mm:.2f} |")
PY

#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Long fuzzing runs (not part of the test suite): each target for SECONDS
# (default 300), one after the other, at nice 19. The working corpus of each
# target grows in build-fuzz/fuzz-work/<target>/ from one run to the next
# (the committed seeds are only read); findings go to
# build-fuzz/fuzz-work/<target>-found/. A table of executions, exec/s and
# libFuzzer's cov/ft counts is printed and kept in fuzz-work/summary.md.
#
#   fuzz/run-long.sh                      every target, 300 s each
#   fuzz/run-long.sh -t 3600 rx server    two targets, an hour each
#
# Targets: ring rx vdev server (libFuzzer), device (fuzz/device_fuzz.py,
# needs the project's QEMU: scripts/build.sh -Dqemu=enabled or IVSHMEM2_QEMU).
# Exit status 1 if anything was found.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
seconds=300
while getopts "t:h" opt; do
	case $opt in
	t) seconds=$OPTARG ;;
	*) sed -n '2,16p' "$0"; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(ring rx vdev server device)

build=$("$repo/fuzz/build.sh")
work=$build/fuzz-work
mkdir -p "$work"
summary=$work/summary.md
{
	echo "| target | seconds | executions | exec/s | cov | ft | corpus | found |"
	echo "|---|---|---|---|---|---|---|---|"
} >"$summary"
status=0

for t in "${targets[@]}"; do
	log=$work/$t.log
	found=$work/$t-found
	mkdir -p "$found"
	touch "$work/.start"	# findings of this run are newer
	echo "fuzz: $t for $seconds s (log: $log)"
	start=$(date +%s)
	if [ "$t" = device ]; then
		qemu=${IVSHMEM2_QEMU:-$repo/build/device/qemu-system-x86_64}
		rc=0
		nice -n 19 /usr/bin/python3 "$repo/fuzz/device_fuzz.py" --qemu "$qemu" \
			--seconds "$seconds" --iterations 1000000 --out "$found" >"$log" 2>&1 || rc=$?
		line=$(grep -E '^device_fuzz: [0-9]+ runs in' "$log" | tail -1 || true)
		runs=$(sed -E 's/^device_fuzz: ([0-9]+) runs.*/\1/' <<<"$line")
		rate=$(sed -E 's/.*\(([0-9.]+)\/s\).*/\1/' <<<"$line")
		msgs=$(sed -E 's/.*, ([0-9]+) distinct device messages.*/\1/' <<<"$line")
		nfound=$(find "$found" -type f -newer "$work/.start" | wc -l)
		echo "| device | $(($(date +%s) - start)) | $runs | $rate | $msgs messages | - |" \
			"$(find "$repo/fuzz/corpus/device" -type f | wc -l) seeds | $nfound |" >>"$summary"
	else
		mkdir -p "$work/$t"
		rc=0
		nice -n 19 "$build/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=30 \
			-print_final_stats=1 -artifact_prefix="$found/" "$work/$t" \
			"$repo/fuzz/corpus/$t" >"$log" 2>&1 || rc=$?
		execs=$(grep -oE 'stat::number_of_executed_units: [0-9]+' "$log" | grep -oE '[0-9]+$' || echo 0)
		rate=$(grep -oE 'stat::average_exec_per_sec: +[0-9]+' "$log" | grep -oE '[0-9]+$' || echo 0)
		last=$(grep -E '^#[0-9]+' "$log" | grep -E 'cov: [0-9]+' | tail -1 || true)
		cov=$(grep -oE 'cov: [0-9]+' <<<"$last" | grep -oE '[0-9]+' || echo ?)
		ft=$(grep -oE 'ft: [0-9]+' <<<"$last" | grep -oE '[0-9]+' || echo ?)
		corp=$(grep -oE 'corp: [0-9]+/[0-9]+[a-zA-Z]*' <<<"$last" | sed 's/corp: //' || echo ?)
		nfound=$(find "$found" -type f -newer "$work/.start" | wc -l)
		echo "| $t | $(($(date +%s) - start)) | $execs | $rate | $cov | $ft | $corp | $nfound |" \
			>>"$summary"
	fi
	if [ "$rc" != 0 ] || [ "$nfound" != 0 ]; then
		echo "fuzz: $t FOUND something (status $rc): see $log and $found" >&2
		status=1
	fi
done
cat "$summary"
exit $status

#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
#
# testpmd in guest A, DPDK's stock l2fwd in guest B, joined by one
# ivshmem2-server and the net_ivshmem2 PMD's PCI attachment: the steps of
# examples/README.md in one command.
#
#   examples/l2fwd-guests/run.sh [RESULTS_DIR]
#
# Results: RESULTS_DIR/b/guest0 (l2fwd) and RESULTS_DIR/a/guest0 (testpmd,
# pktcheck), each with stdout, stderr, exit-code and the console log.
# Environment: RUN_SECONDS (testpmd run time, default 30), IVSHMEM2_BUILD_DIR
# (default build), plus everything scripts/guest/run-guests understands
# (IVSHMEM2_GUEST_QEMU, ...).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
BUILD=${IVSHMEM2_BUILD_DIR:-$REPO/build}
results=${1:-$(mktemp -d /tmp/iv2-l2fwd-XXXXXX)}
seconds=${RUN_SECONDS:-30}
mkdir -p "$results"
results=$(cd "$results" && pwd)

l2fwd=$("$REPO/examples/build-l2fwd.sh")
sockdir=$(mktemp -d /tmp/iv2-l2fwd-sock-XXXXXX)     # short: sun_path holds 108 bytes
server= guest_b=
cleanup() {
	[ -z "$guest_b" ] || kill "$guest_b" 2>/dev/null || true    # stops its guest
	[ -z "$server" ] || kill "$server" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$sockdir"
}
trap cleanup EXIT
trap 'exit 143' INT TERM

# Step 2: 2 peers, 3 vectors (state + 2 rx queues), 16 MiB of rings per peer.
"$BUILD/server/ivshmem2-server" -F -S "$sockdir/iv2.sock" -l 64M -o 16M -n 2 -V 3 -P 0x4932 \
	>"$results/server.log" 2>&1 &
server=$!
for _ in $(seq 100); do [ -S "$sockdir/iv2.sock" ] && break; sleep 0.1; done
[ -S "$sockdir/iv2.sock" ] || { echo "run.sh: server did not start" >&2; exit 1; }

env=(--env "IVSHMEM2_PMD=$BUILD/drivers/net/ivshmem2/librte_net_ivshmem2.so"
     --env "PKTCHECK=$BUILD/app/ivshmem2-pktcheck/ivshmem2-pktcheck"
     --env "L2FWD=$l2fwd" --env "RUN_SECONDS=$seconds")
# Step 3: guest B (l2fwd) in the background.
"$REPO/scripts/guest/run-guests" --socket "$sockdir/iv2.sock" -r "$results/b" -q \
	--timeout $((seconds * 3 + 900)) "${env[@]}" -s "$HERE/guest-l2fwd.sh" \
	>"$results/b.log" 2>&1 &
guest_b=$!
# Step 4: guest A (testpmd, then pktcheck).
"$REPO/scripts/guest/run-guests" --socket "$sockdir/iv2.sock" -r "$results/a" -q \
	--timeout $((seconds * 3 + 600)) "${env[@]}" -s "$HERE/guest-testpmd.sh" \
	>"$results/a.log" 2>&1 || status=$?
# Step 5: stop l2fwd, collect the counts.
mkdir -p "$results/b/guest0"
touch "$results/b/guest0/stop-l2fwd"
wait "$guest_b" || status=${status:-$?}
guest_b=
cat "$results/a.log" "$results/b.log"
echo "== testpmd (guest A) forward statistics:"
grep -E 'RX-packets|TX-packets' "$results/a/guest0/stdout" | tail -n 2 || true
echo "== pktcheck (guest A) through l2fwd:"
grep -E '^  (tx|rx)[: ]|PASS|FAIL' "$results/a/guest0/stdout" || true
echo "== l2fwd (guest B) final totals:"
grep -E 'Total packets' "$results/b/guest0/stdout" | tail -n 3 || true
echo "results in $results"
exit "${status:-0}"

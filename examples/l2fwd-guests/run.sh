#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
#
# testpmd in guest A, DPDK's stock l2fwd in guest B, joined by one
# ivshmem2-server and the net_ivshmem2 PMD's PCI attachment. See
# examples/README.md for the same steps by hand.
#
#   examples/l2fwd-guests/run.sh [RESULTS_DIR]
#
# Environment: RUN_SECONDS (testpmd run time, default 30), plus everything
# scripts/guest/run-guests understands (IVSHMEM2_GUEST_QEMU, ...).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
results=${1:-$(mktemp -d /tmp/iv2-l2fwd-XXXXXX)}
seconds=${RUN_SECONDS:-30}

l2fwd=$("$REPO/examples/build-l2fwd.sh")
# 2 peers, 3 vectors (state + 2 rx queues), 16 MiB of rings per peer.
"$REPO/scripts/guest/run-guests" --results "$results" --timeout $((seconds * 3 + 400)) \
	--server "-l 64M -o 16M -n 2 -V 3 -P 0x4932" \
	--env L2FWD="$l2fwd" --env RUN_SECONDS="$seconds" --env L2FWD_SECONDS=$((seconds * 2 + 120)) \
	-s "$HERE/guest-testpmd.sh" -s "$HERE/guest-l2fwd.sh" \
	|| status=$?
echo "== testpmd (guest A) port statistics:"
grep -E 'RX-packets|TX-packets' "$results/guest0/stdout" | tail -n 2 || true
echo "== l2fwd (guest B) totals:"
grep -E 'Total packets' "$results/guest1/stdout" | tail -n 3 || true
exit "${status:-0}"

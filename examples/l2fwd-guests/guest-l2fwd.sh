# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
#
# Guest B: DPDK's stock l2fwd forwards everything it receives on the
# ivshmem2 port back out of the same port (one port: l2fwd pairs it with
# itself). Runs inside a guest (scripts/guest/run-guests), as root.
#
# l2fwd runs until /results/stop-l2fwd exists (run.sh creates it in this
# guest's results directory when guest A is done) or L2FWD_SECONDS passed.
# It prints its counters every second (-T 1), so the last block printed is
# the final count, and a block printed while guest A switches from testpmd
# to pktcheck holds testpmd's share alone.
#
# Environment: L2FWD (binary, default build/examples/l2fwd/build/l2fwd),
# IVSHMEM2_PMD (PMD .so), L2FWD_SECONDS (default 900).
set -eu
. "$IVSHMEM2_REPO/scripts/guest/guest-lib.sh"

l2fwd=${L2FWD:-$IVSHMEM2_REPO/build/examples/l2fwd/build/l2fwd}
seconds=${L2FWD_SECONDS:-900}
bdf=$(iv2_bdf)
iv2_bind "$bdf" vfio-pci
pmd=$(iv2_stage_pmd ${IVSHMEM2_PMD:-})
echo "guest B: l2fwd on $bdf until /results/stop-l2fwd appears (at most $seconds s)"

# --no-mac-updating keeps the frames as sent, so guest A can verify them
# byte for byte.
"$l2fwd" -l 0-1 -n 1 --file-prefix l2fwd --log-level=pmd.net.ivshmem2:info -d "$pmd" -a "$bdf" \
	-- -p 0x1 -q 1 -T 1 --no-mac-updating &
pid=$!
ticks=0
while [ ! -e /results/stop-l2fwd ] && [ $ticks -lt $((seconds * 5)) ] &&
	kill -0 $pid 2>/dev/null; do
	sleep 0.2
	ticks=$((ticks + 1))
done
# Guest A is done: let l2fwd print its final counters, then stop it.
sleep 3
kill -INT $pid
wait $pid

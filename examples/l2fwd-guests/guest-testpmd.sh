# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
#
# Guest A: waits until l2fwd's port is started in the other guest, then
# runs the stock dpdk-testpmd in io mode with --tx-first for RUN_SECONDS of
# forwarding: the first burst goes to guest B, l2fwd sends it back, testpmd
# forwards it again, and so on. testpmd prints its port statistics every
# 5 s and its forward statistics when it stops. Then, if built,
# ivshmem2-pktcheck sends numbered frames through the same loop and
# verifies every one that comes back. l2fwd drops (and counts) what does
# not fit into the full ring back to guest A and does not retry, so losses
# are allowed here and reported: pktcheck's "lost" equals what l2fwd dropped
# while pktcheck ran. Corrupt, duplicated or reordered frames fail (exit 1).
#
# Environment: IVSHMEM2_PMD (PMD .so), RUN_SECONDS (default 30),
# PKTCHECK (binary, default build/app/ivshmem2-pktcheck/ivshmem2-pktcheck).
set -eu
. "$IVSHMEM2_REPO/scripts/guest/guest-lib.sh"

bdf=$(iv2_bdf)
# net_ivshmem2 state 3 = a port is started in that peer (include/ivshmem2/net.h).
python3 "$IVSHMEM2_REPO/scripts/guest/iv2pci.py" wait-state 3 "$bdf" --timeout 300
iv2_bind "$bdf" vfio-pci
pmd=$(iv2_stage_pmd ${IVSHMEM2_PMD:-})
echo "guest A: testpmd on $bdf, ${RUN_SECONDS:-30} s of forwarding"

# RUN_SECONDS count from the start of forwarding (start-up takes 5-20 s in TCG).
iv2_testpmd_for "${RUN_SECONDS:-30}" -l 0-1 -n 1 --file-prefix testpmd \
	--log-level=pmd.net.ivshmem2:info -d "$pmd" -a "$bdf" \
	-- --forward-mode=io --tx-first --stats-period 5 --total-num-mbufs 16384

pktcheck=${PKTCHECK:-$IVSHMEM2_REPO/build/app/ivshmem2-pktcheck/ivshmem2-pktcheck}
if [ -x "$pktcheck" ]; then
	echo "guest A: pktcheck through l2fwd"
	"$pktcheck" -l 0-1 -n 1 --file-prefix pktcheck -d "$pmd" -a "$bdf" \
		-- --mode both --frames 20000 --sizes random:60-1514 --timeout 300 --linger 2 \
		--allow-loss
fi

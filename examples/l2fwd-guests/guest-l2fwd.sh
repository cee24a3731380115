# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
#
# Guest B: DPDK's stock l2fwd forwards everything it receives on the
# ivshmem2 port back out of the same port (one port: l2fwd pairs it with
# itself). Runs inside a guest (scripts/guest/run-guests), as root.
#
# Environment: L2FWD (binary, default build/examples/l2fwd/build/l2fwd),
# IVSHMEM2_PMD (PMD .so), L2FWD_SECONDS (default 150: longer than guest A's
# whole run, testpmd and pktcheck).
set -eu
. "$IVSHMEM2_REPO/scripts/guest/guest-lib.sh"

l2fwd=${L2FWD:-$IVSHMEM2_REPO/build/examples/l2fwd/build/l2fwd}
bdf=$(iv2_bdf)
iv2_bind "$bdf" vfio-pci
pmd=$(iv2_stage_pmd ${IVSHMEM2_PMD:-})
echo "guest B: l2fwd on $bdf for ${L2FWD_SECONDS:-150} s"

# -T 5: statistics every 5 s; --no-mac-updating keeps the frames as sent,
# so guest A can verify them byte for byte.
timeout --preserve-status -s INT "${L2FWD_SECONDS:-150}" \
	"$l2fwd" -l 0-1 -n 1 --file-prefix l2fwd --log-level=pmd.net.ivshmem2:info -d "$pmd" -a "$bdf" \
	-- -p 0x1 -q 1 -T 5 --no-mac-updating

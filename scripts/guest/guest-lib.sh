# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
#
# Shell helpers for commands run inside a guest (source it):
#   . "$IVSHMEM2_REPO/scripts/guest/guest-lib.sh"
#
#   iv2_bdf [N]              PCI address of the N-th ivshmem2 device (default 0)
#   iv2_bind BDF DRIVER      hand BDF to vfio-pci or uio_pci_generic
#   iv2_stage_pmd [SO]       copy the PMD to a non-world-writable path, print it
#                            (EAL's -d refuses plugins below /tmp and the like)
#   iv2_testpmd_for S ARGS   dpdk-testpmd ARGS (not interactive) forwarding for S
#                            seconds after its start-up, then SIGINT; prints its
#                            output when it ended and returns its exit status

iv2_bdf() {
	local n=${1:-0} dev
	for dev in /sys/bus/pci/devices/*; do
		[ "$(cat "$dev/vendor")" = 0x110a ] && [ "$(cat "$dev/device")" = 0x4106 ] || continue
		if [ "$n" -eq 0 ]; then
			basename "$dev"
			return 0
		fi
		n=$((n - 1))
	done
	echo "iv2_bdf: no ivshmem2 PCI device" >&2
	return 1
}

iv2_bind() {
	local bdf=$1 drv=$2 dev=/sys/bus/pci/devices/$1
	[ -d "$dev" ] || { echo "iv2_bind: no device $bdf" >&2; return 1; }
	echo "$drv" >"$dev/driver_override"
	[ -e "$dev/driver" ] && echo "$bdf" >"$dev/driver/unbind"
	echo "$bdf" >/sys/bus/pci/drivers_probe
	[ "$(basename "$(readlink "$dev/driver")")" = "$drv" ] ||
		{ echo "iv2_bind: $drv did not bind $bdf" >&2; return 1; }
}

iv2_stage_pmd() {
	local src=${1:-$IVSHMEM2_REPO/build/drivers/net/ivshmem2/librte_net_ivshmem2.so}
	[ -f "$src" ] || { echo "iv2_stage_pmd: $src not built" >&2; return 1; }
	install -D -m 0644 "$src" "/opt/ivshmem2/$(basename "$src")" || return 1
	chmod 0755 /opt /opt/ivshmem2
	echo "/opt/ivshmem2/$(basename "$src")"
}

# testpmd's start-up (EAL, ~128 PMDs over 9p, link check) takes 5-20 s under
# TCG, so a plain "timeout S dpdk-testpmd" may leave no time to forward.
iv2_testpmd_for() {
	local secs=$1 out=/run/iv2-testpmd.$$.out pid rc=0
	shift
	stdbuf -oL dpdk-testpmd "$@" >"$out" &
	pid=$!
	while ! grep -q "start packet forwarding" "$out" && kill -0 $pid 2>/dev/null; do
		sleep 0.2
	done
	kill -0 $pid 2>/dev/null && sleep "$secs"
	kill -INT $pid 2>/dev/null || true
	wait $pid || rc=$?
	cat "$out"
	rm -f "$out"
	return $rc
}

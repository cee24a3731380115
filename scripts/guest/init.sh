#!/bin/busybox sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
#
# /init of the guest initramfs. Loads the modules, builds a root from the
# host's / (read-only over virtio-9p, tag "hostroot") with a tmpfs overlay,
# mounts the writable share "results" at /results, runs
# /results/command.sh in that root, stores its exit code in
# /results/exit-code, prints it on the console and powers off.

/bin/busybox --install -s /bin
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys

log() { echo "iv2-guest: $*"; }
finish() {
	echo "IVSHMEM2_GUEST_EXIT=$1"
	sync
	umount /newroot/results 2>/dev/null
	poweroff -f
	sleep 10
}
die() { log "FATAL: $*"; finish 255; }

for word in $(cat /proc/cmdline); do
	case "$word" in
	iv2.name=*) hostname "${word#iv2.name=}" ;;
	esac
done

while read -r mod; do
	insmod "/lib/modules/$mod" || die "insmod $mod"
done </lib/modules/load-order

opts=trans=virtio,version=9p2000.L,msize=262144
mount -t 9p -o "$opts,ro" hostroot /lower || die "mount hostroot"
mount -t tmpfs -o mode=0755 tmpfs /rw || die "mount tmpfs"
mkdir -p /rw/upper /rw/work
mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work \
	overlay /newroot || die "mount overlay"

# Fresh kernel file systems hide the host's ones seen through 9p.
nr=/newroot
mount -t proc proc $nr/proc
mount -t sysfs sysfs $nr/sys
mount -t devtmpfs devtmpfs $nr/dev
mkdir -p $nr/dev/pts $nr/dev/shm $nr/dev/hugepages $nr/run $nr/results
mount -t devpts devpts $nr/dev/pts
mount -t tmpfs tmpfs $nr/dev/shm
mount -t tmpfs -o mode=0755 tmpfs $nr/run
mount -t hugetlbfs nodev $nr/dev/hugepages
mount -t 9p -o "$opts" results $nr/results || die "mount results"
[ -f $nr/results/command.sh ] || die "no /results/command.sh"

log "running command"
chroot $nr /usr/bin/env -i HOME=/root TERM=dumb \
	PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	/bin/sh -c 'cd /results && exec /bin/sh /results/command.sh' \
	>$nr/results/stdout 2>$nr/results/stderr </dev/null
rc=$?
echo "$rc" >$nr/results/exit-code
finish "$rc"

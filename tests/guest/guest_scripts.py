# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Shell fragments and result parsers shared by the guest traffic tests.

Guest commands run as /bin/sh scripts (scripts/guest/harness.py); the
host talks to a running guest through files in its results directory,
which the guest sees as /results (virtio-9p, no caching).
"""

import json
import re
import time
from pathlib import Path

import harness
import ivshmem2_paths

# 2 peers, 3 vectors (state + 2 rx queues), 16 MiB of rings per peer, net_ivshmem2.
SERVER_OPTIONS = ("-l", "64M", "-o", "16M", "-n", "2", "-V", "3", "-P", "0x4932")
LIB = harness.REPO / "scripts" / "guest" / "guest-lib.sh"
IV2PCI = harness.REPO / "scripts" / "guest" / "iv2pci.py"
PKTCHECK = ivshmem2_paths.BUILD / "app" / "ivshmem2-pktcheck" / "ivshmem2-pktcheck"

# Bind the device to vfio-pci and stage the PMD: $bdf and $pmd afterwards.
# Waits first until the other peer's port is started (state 3): iv2pci
# reads the state table through sysfs, which vfio-pci no longer allows.
PREPARE = f"""set -e
. {LIB}
bdf=$(iv2_bdf)
python3 {IV2PCI} wait-state 3 $bdf --timeout 400
iv2_bind $bdf vfio-pci
pmd=$(iv2_stage_pmd "$IVSHMEM2_PMD")
"""

# Binding without waiting: for the peer that must start first.
PREPARE_NO_WAIT = f"""set -e
. {LIB}
bdf=$(iv2_bdf)
iv2_bind $bdf vfio-pci
pmd=$(iv2_stage_pmd "$IVSHMEM2_PMD")
"""

# wait_file PATH SECONDS: the host created PATH in the results directory.
WAIT_FILE = """wait_file() {
	n=0
	while [ ! -e "$1" ]; do
		n=$((n + 1))
		[ $n -le $(($2 * 5)) ] || { echo "guest: no $1 after $2 s" >&2; return 1; }
		sleep 0.2
	done
}
"""


def guest_eal(prefix: str) -> str:
    return f"-l 0-1 -n 1 --file-prefix {prefix} --log-level=pmd.net.ivshmem2:info -d $pmd -a $bdf"


def require_built(*paths: Path) -> None:
    for p in paths:
        assert p.exists(), f"{p} not built (meson setup build && ninja -C build)"
    assert b"net_ivshmem2_pci" in ivshmem2_paths.PMD.read_bytes(), \
        f"{ivshmem2_paths.PMD} has no PCI attachment"


def guest_config(sock, reboot: bool = False, **env) -> harness.GuestConfig:
    return harness.GuestConfig(ivshmem_socket=str(sock), reboot=reboot,
                               env={"IVSHMEM2_PMD": str(ivshmem2_paths.PMD), **env})


def pktcheck_json(text: str, where: str = "") -> dict:
    """The last PKTCHECK_JSON line of @text, parsed."""
    lines = [l for l in text.splitlines() if l.startswith("PKTCHECK_JSON ")]
    assert lines, f"no PKTCHECK_JSON line in {where}:\n{text[-3000:]}"
    return json.loads(lines[-1][len("PKTCHECK_JSON "):])


def assert_clean_rx(data: dict, sent: int, where: str) -> None:
    """Every one of @sent frames verified: none corrupt, duplicated, reordered, lost."""
    rx = data["rx"]
    assert data["ok"] and not data.get("errors"), f"{where}: {data.get('errors')}"
    assert rx["data_frames"] == sent == rx["ok"] - rx["fins"], f"{where}: rx {rx}"
    assert rx["lost"] == 0 and rx["fin_streams"] >= 1, f"{where}: rx {rx}"
    for bad in ("foreign", "bad_chain", "bad_header", "bad_length", "bad_crc", "bad_payload",
                "size_mismatch", "bad_stream"):
        assert rx.get(bad, 0) == 0, f"{where}: {bad} {rx.get(bad)}"
    for s in rx["streams"]:
        assert s["fin"] and s["received"] == s["sent"], f"{where}: stream {s}"
        assert s["dups"] == 0 and s["late"] == 0 and s["lost"] == 0, f"{where}: stream {s}"


def forward_stats(text: str, port: int = 0):
    """(rx, tx) from testpmd's last 'Forward statistics for port N' block."""
    block = text.rsplit(f"Forward statistics for port {port}", 1)
    assert len(block) == 2, text[-2000:]
    rx = re.search(r"RX-packets: (\d+)", block[1])
    tx = re.search(r"TX-packets: (\d+)", block[1])
    return int(rx.group(1)), int(tx.group(1))


def wait_for(predicate, timeout: float, what: str, interval: float = 0.5, guests=()):
    """Poll @predicate until it returns a true value; fail after @timeout
    seconds, or at once when one of @guests powered off meanwhile."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        for g in guests:
            if g.proc.poll() is not None:
                raise AssertionError(f"guest {g.name} ended while waiting for {what}:\n"
                                     f"{g.result().describe()}")
        if time.monotonic() > deadline:
            detail = "".join(f"\n{g.result().describe()}" for g in guests)
            raise AssertionError(f"no {what} within {timeout} s{detail}")
        time.sleep(interval)


L2FWD_TOTALS = re.compile(r"Total packets sent:\s+(\d+)\s+Total packets received:\s+(\d+)\s+"
                          r"Total packets dropped:\s+(\d+)")


def l2fwd_totals(text: str):
    """Every (sent, received, dropped) block l2fwd printed, in order."""
    return [tuple(int(v) for v in m.groups()) for m in L2FWD_TOTALS.finditer(text)]

# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Hostile-peer soak: a protocol-aware adversary against a sanitizer-built
PMD that also carries a clean, fully checked link to an honest peer.

Group of 3 (ivshmem2-server -n 3):
  peer 0  victim: stock dpdk-testpmd, net_ivshmem2 built with ASan+UBSan,
          one port per other peer, io forwarding with --port-topology=loop
          (every port sends back what it receives);
  peer 1  adversary: ivshmem2_hostile_peer ... soak SEED SECONDS (victim port 0);
  peer 2  honest: ivshmem2-pktcheck --mode both, peer=0 (victim port 1): every
          frame goes out, through the victim and back, and is verified
          (sequence, length, header and payload CRCs).

"Honest traffic intact" is exact over the whole run, not over chosen windows:
pktcheck's --window keeps fewer frames out than the victim's rings hold, so
no ring on the honest path can overflow, and pktcheck must report zero lost,
corrupt, duplicated or reordered frames, and the FIN count of frames sent.
Frames that wait while the adversary stalls the victim are late, never lost.
Besides, the honest port's link must never go down (link_up_events == 1) and none
of its counters of bad peer behaviour may move.

Reads: ASan cannot see inside the shared memory, so the adversary checks
what the victim read: the victim's io forwarding sends each of its frames
back, and every valid frame carries its length, an id and a payload that
follows from the id; an echo that differs from the slots its descriptors
named (a read beside or beyond them) counts as echo_corrupt, which must be 0.

Run from the suite (tests/pmd/test_soak.py, short) or scripts/soak.sh (long):
    python3 tests/pmd/soak_run.py --seconds 600 --seed 1 --json out.json
"""

from __future__ import annotations

import argparse
import json
import re
import runpy
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List

HERE = Path(__file__).resolve().parent
runpy.run_path(str(HERE.parents[1] / "scripts" / "pythonpath.py"))

import ivshmem2_paths  # noqa: E402
from framework import config as dts_config  # noqa: E402
from framework.ivshmem2.group import Ivshmem2Group  # noqa: E402
from framework.testbed_model.node import SutNode  # noqa: E402
from framework.ivshmem2.pktcheck import Pktcheck  # noqa: E402
from framework.params.testpmd import PortTopology, SimpleForwardingModes  # noqa: E402
from sanitized import Victim  # noqa: E402

HOSTILE = ivshmem2_paths.BUILD / "drivers" / "net" / "ivshmem2" / "ivshmem2_hostile_peer"
WINDOW = 512          # below the victim's rings (1024 with this geometry)
PROGRESS_S = 2


def _progress_gaps(output: str) -> List[int]:
    """Frames received per pktcheck progress interval."""
    rx = [int(m.group(1)) for m in re.finditer(r"\] tx \d+ .*?rx (\d+) ", output)]
    return [b - a for a, b in zip(rx, rx[1:])]


def run(node: SutNode, seconds: int, seed: int, attacks: str = "all",
        require_sanitizer: bool = False) -> Dict:
    """One soak; returns every figure and the list of failed checks."""
    if not HOSTILE.exists():
        raise FileNotFoundError(f"{HOSTILE} not built")
    group = Ivshmem2Group(node, max_peers=3, vectors=4, size="64M", output_size="16M")
    victim = Victim(node, [group.vdev()], name="victim",
                    port_topology=PortTopology.loop, rx_queues=1, tx_queues=1,
                    require_sanitizer=require_sanitizer).start_application()
    victim.set_forward_mode(SimpleForwardingModes.io)
    victim.start()

    hostile_log = node.workdir / "hostile.log"
    with open(hostile_log, "wb") as out:
        hostile = node.track(subprocess.Popen(
            [str(HOSTILE), str(group.socket_path), "0", "soak", str(seed), str(seconds),
             attacks], stdout=out, stderr=subprocess.STDOUT, start_new_session=True))
    deadline = time.monotonic() + 60
    while "soak: peer" not in hostile_log.read_text(errors="replace"):
        if hostile.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the adversary did not join:\n" + hostile_log.read_text())
        time.sleep(0.1)
    # Joined second: peer 1, the victim's port 0. The honest peer is peer 2, port 1.
    honest = Pktcheck(node, [group.vdev(peer=0)], [
        "--mode", "both", "--duration", str(seconds), "--window", str(WINDOW),
        "--sizes", "random:60-1518", "--seed", str(seed), "--link-timeout", "60",
        "--timeout", str(seconds + 120), "--progress", str(PROGRESS_S), "--linger", "0.5"],
        name="honest", slot=0).start_application()

    try:
        hostile_rc = hostile.wait(seconds + 180)
    except subprocess.TimeoutExpired:
        hostile.kill()
        hostile_rc = hostile.wait()
    pk = honest.wait(seconds + 180)
    alive = victim.alive()
    stats: Dict[int, Dict[str, int]] = {}
    port_stats = {}
    if alive:
        victim.stop()
        for port in (0, 1):
            stats[port] = victim.show_port_xstats(port)
            port_stats[port] = victim.show_port_stats(port)
        quit_rc = victim.close()
    else:
        quit_rc = victim.proc.returncode
    hostile_out = hostile_log.read_text(errors="replace")
    m = re.search(r"^SOAK_JSON (.*)$", hostile_out, re.M)
    adv = json.loads(m.group(1)) if m else {}
    reports = victim.sanitizer_reports()
    gaps = _progress_gaps(pk.output)

    res = {
        "seconds": seconds, "seed": seed, "attacks": attacks,
        "sanitized": victim.sanitized, "victim_alive": alive, "victim_exit": quit_rc,
        "sanitizer_reports": reports[:20], "hostile_exit": hostile_rc, "adversary": adv,
        "victim_hostile_port": stats.get(0, {}), "victim_honest_port": stats.get(1, {}),
        "victim_rx_packets": {p: s.rx_packets for p, s in port_stats.items()},
        "honest": {"ok": pk.ok, "errors": pk.errors, "tx": pk.data.get("tx", {}),
                   "rx": {k: v for k, v in pk.data.get("rx", {}).items() if k != "streams"},
                   "elapsed_s": pk.data.get("elapsed_s"),
                   "min_frames_per_interval": min(gaps) if gaps else None,
                   "intervals": len(gaps)},
    }
    res["failures"] = check(res)
    res["hostile_log_tail"] = hostile_out[-2000:] if res["failures"] else ""
    res["honest_summary"] = pk.summary()[-2000:] if res["failures"] else ""
    return res


def check(r: Dict) -> List[str]:
    """Every assertion of the soak; an empty list is a pass."""
    f: List[str] = []
    adv, hx, ok = r["adversary"], r["victim_hostile_port"], r["victim_honest_port"]
    if not r["victim_alive"]:
        f.append(f"victim died (exit {r['victim_exit']})")
    elif r["victim_exit"] != 0:
        f.append(f"victim exit status {r['victim_exit']}")
    if r["sanitizer_reports"]:
        f.append("sanitizer reports: " + " | ".join(r["sanitizer_reports"][:5]))
    if r["hostile_exit"] != 0 or not adv:
        f.append(f"adversary exit {r['hostile_exit']} (stuck links or no SOAK_JSON)")
    h = r["honest"]
    if not h["ok"]:
        f.append(f"honest traffic not intact: {h['errors']}")
    if h["rx"].get("lost", 1) != 0 or h["rx"].get("data_frames", 0) == 0:
        f.append(f"honest link: lost {h['rx'].get('lost')}, "
                 f"verified {h['rx'].get('data_frames')}")
    if h["rx"].get("data_frames") != h["tx"].get("frames"):
        f.append(f"honest link: sent {h['tx'].get('frames')}, "
                 f"verified {h['rx'].get('data_frames')}")
    if h["min_frames_per_interval"] is not None and h["min_frames_per_interval"] <= 0:
        f.append(f"honest link stalled for a whole {PROGRESS_S} s interval")
    if not hx or not ok or not adv:
        return f
    # Isolation: nothing the adversary does shows on the honest port.
    for key, want in (("link_up_events", 1), ("rx_bad_descriptor_errors", 0),
                      ("rx_bad_index_errors", 0), ("link_heartbeat_timeout_events", 0),
                      ("link_bad_peer_events", 0)):
        if ok.get(key) != want:
            f.append(f"honest port {key} = {ok.get(key)}, expected {want}")
    # Every bad frame the victim certainly scanned is counted, and no more than were sent.
    rej = hx["rx_bad_descriptor_errors"]
    if not adv["confirmed_bad"] <= rej <= adv["published_bad"] + adv["maybe_bad"]:
        f.append(f"rx_bad_descriptor_errors {rej} outside [confirmed_bad "
                 f"{adv['confirmed_bad']}, published_bad + maybe_bad "
                 f"{adv['published_bad'] + adv['maybe_bad']}]")
    rx = r["victim_rx_packets"][0] + hx.get("rx_mbuf_allocation_errors", 0)
    if not adv["confirmed_valid"] <= rx <= adv["published_valid"] + adv["maybe_bad"]:
        f.append(f"victim rx from the adversary {rx} outside [confirmed_valid "
                 f"{adv['confirmed_valid']}, published_valid + maybe_bad "
                 f"{adv['published_valid'] + adv['maybe_bad']}]")
    if hx["link_heartbeat_timeout_events"] != adv["hb_long_stops"]:
        f.append(f"link_heartbeat_timeout_events {hx['link_heartbeat_timeout_events']} != heartbeat "
                 f"stops over the timeout {adv['hb_long_stops']}")
    downs = hx["link_bad_peer_events"]
    if not adv["flood_downs_seen"] <= downs <= adv["floods_over_limit"]:
        f.append(f"link_bad_peer_events {downs} outside [floods seen "
                 f"{adv['flood_downs_seen']}, floods over the limit "
                 f"{adv['floods_over_limit']}]")
    if adv["tail_attack_ms"] > 0 and hx["rx_bad_index_errors"] == 0:
        f.append("tail attacks, but rx_bad_index_errors is 0")
    # What the victim read is what the descriptors named: its echoes match byte for byte.
    if adv.get("echo_corrupt", 0) or adv.get("echo_bad_desc", 0):
        f.append(f"frames the victim sent back to the adversary: {adv.get('echo_corrupt')} "
                 f"differ from what was sent, {adv.get('echo_bad_desc')} with bad descriptors")
    if adv["confirmed_valid"] > 100 and adv.get("echo_ok", 0) == 0:
        f.append("no frame came back to the adversary intact")
    return f


def table(r: Dict) -> str:
    """The summary table scripts/soak.sh prints."""
    adv, hx, ok, h = (r["adversary"], r["victim_hostile_port"], r["victim_honest_port"],
                      r["honest"])
    lines = [f"hostile-peer soak: {r['seconds']} s, seed {r['seed']}, attacks {r['attacks']}, "
             f"victim {'ASan+UBSan' if r['sanitized'] else 'NOT instrumented'}",
             "", f"{'attack':<14}{'rounds':>10}"]
    for name, n in adv.get("rounds", {}).items():
        lines.append(f"{name:<14}{n:>10}")
    lines += ["", f"{'adversary counter':<28}{'value':>14}"]
    for k, v in adv.items():
        if k not in ("rounds", "seed", "ms", "id"):
            lines.append(f"{k:<28}{v:>14}")
    lines += ["", f"{'victim xstat':<34}{'hostile port':>14}{'honest port':>14}"]
    for k in sorted(hx):
        if hx.get(k) or ok.get(k):
            lines.append(f"{k:<34}{hx.get(k, 0):>14}{ok.get(k, 0):>14}")
    lines += ["", f"honest pktcheck: sent {h['tx'].get('frames')}, verified "
              f"{h['rx'].get('data_frames')}, lost {h['rx'].get('lost')}, "
              f"errors {h['errors']}, {h['elapsed_s']} s, fewest frames in a "
              f"{PROGRESS_S} s interval {h['min_frames_per_interval']}",
              f"victim alive {r['victim_alive']}, exit {r['victim_exit']}, sanitizer "
              f"reports {len(r['sanitizer_reports'])}, adversary exit {r['hostile_exit']}",
              "", "RESULT: " + ("PASS" if not r["failures"] else
                                "FAIL\n  " + "\n  ".join(r["failures"]))]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=int, default=600)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--attacks", default="all", help="comma list of attack names, or all")
    ap.add_argument("--json", type=Path, help="write every figure to this file")
    ap.add_argument("--allow-plain", action="store_true",
                    help="run the victim on the plain build if there is no sanitizer build")
    a = ap.parse_args()
    node = SutNode(dts_config.load().node)
    try:
        r = run(node, a.seconds, a.seed, a.attacks, require_sanitizer=not a.allow_plain)
    finally:
        node.close()
    print(table(r))
    if a.json:
        a.json.write_text(json.dumps(r, indent=1, sort_keys=True) + "\n")
    return 0 if not r["failures"] else 1


if __name__ == "__main__":
    sys.exit(main())

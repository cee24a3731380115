# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Short hostile-peer soak (tests/pmd/soak_run.py; scripts/soak.sh runs the long one).

A seeded adversary attacks the victim testpmd's port 0 for SOAK_S seconds
while an honest pktcheck peer sends checked traffic through its port 1. The
victim's PMD is the ASan+UBSan build under scripts/test-sanitizers.sh (the
second half of scripts/test.sh) or when IVSHMEM2_SANITIZE_BUILD names one,
the plain build otherwise. Every assertion is in soak_run.check().
"""

import os

import pytest

import soak_run

pytestmark = pytest.mark.pmd

SOAK_S = int(os.environ.get("IVSHMEM2_SOAK_SECONDS", "40"))
SEED = int(os.environ.get("IVSHMEM2_SOAK_SEED", "1"))


def test_hostile_peer_soak(sut_node):
    r = soak_run.run(sut_node, SOAK_S, SEED)
    print(soak_run.table(r))
    assert not r["failures"], soak_run.table(r)
    # The run was long enough to be an attack of each common kind.
    rounds = r["adversary"]["rounds"]
    missed = [k for k, n in rounds.items() if n == 0 and k not in ("heartbeat", "flood",
                                                                     "reinit")]
    assert not missed, f"attacks never drawn in {SOAK_S} s: {missed}"
    assert r["adversary"]["confirmed_bad"] > 0 and r["honest"]["rx"]["data_frames"] > 0


def test_soak_counts_catch_a_bad_bound():
    """check() fails when the victim counted fewer bad frames than it surely scanned."""
    adv = {"confirmed_bad": 10, "published_bad": 12, "maybe_bad": 0, "confirmed_valid": 5,
           "published_valid": 5, "hb_long_stops": 1, "flood_downs_seen": 0,
           "floods_over_limit": 0, "tail_attack_ms": 0}
    port = {"rx_bad_descriptor_errors": 9, "rx_mbuf_allocation_errors": 0,
            "link_heartbeat_timeout_events": 1, "link_bad_peer_events": 0,
            "rx_bad_index_errors": 0}
    honest_port = {"link_up_events": 1, "rx_bad_descriptor_errors": 0, "rx_bad_index_errors": 0,
                   "link_heartbeat_timeout_events": 0, "link_bad_peer_events": 0}
    r = {"victim_alive": True, "victim_exit": 0, "sanitizer_reports": [], "hostile_exit": 0,
         "adversary": adv, "victim_hostile_port": port, "victim_honest_port": honest_port,
         "victim_rx_packets": {0: 5},
         "honest": {"ok": True, "errors": [], "tx": {"frames": 3}, "elapsed_s": 1,
                    "rx": {"lost": 0, "data_frames": 3}, "min_frames_per_interval": 1}}
    assert soak_run.check(r) == [
        "rx_bad_descriptor_errors 9 outside [confirmed_bad 10, published_bad + maybe_bad 12]"]
    port["rx_bad_descriptor_errors"] = 10
    assert soak_run.check(r) == []
    r["victim_rx_packets"] = {0: 6}      # a frame delivered twice
    assert len(soak_run.check(r)) == 1
    r["victim_rx_packets"] = {0: 5}
    adv["echo_corrupt"] = 1              # the victim read bytes the descriptor did not name
    assert len(soak_run.check(r)) == 1

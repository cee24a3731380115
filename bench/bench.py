#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Side-by-side benchmark of host transports with stock dpdk-testpmd.

A thin front of bench/engine (the one measurement engine, also behind
scripts/demo.sh, bench/ab.sh and dts/tests/TestSuite_ivshmem2_perf.py):

  transports  ivshmem2, ivshmem2-zc, ivshmem2-pool (zero-copy TX: tx-pool on
              both peers; no uni), memif, memif-zc, vhost, null
  workloads   uni (B txonly -> A rxonly), bidi (io both ways after
              start tx_first 16), mac (mac forwarding both ways)
  sizes       64,128,256,512,1024,1518,9000

Interleaved repetitions (default 5; rep-major, order rotated), 5 s windows
after 1 s warm-up, two testpmd processes with their forwarding lcores on
--cpus A,B (checked while they run), cycles/packet from testpmd and from
the TSC, machine metadata; perf.json (Open Lab style), perf.md, perf.png
and with --latency perf-latency.png. Reads and asserts nothing about speed.

    /usr/bin/python3 bench/bench.py                         # ivshmem2, memif; uni, bidi; 64, 1518
    /usr/bin/python3 bench/bench.py --profile full --expect  # dts/conf/ivshmem2_perf.yaml
    /usr/bin/python3 bench/bench.py --quick --transports ivshmem2,memif --sizes 64
    /usr/bin/python3 bench/bench.py --render bench/results/X/perf.json --expect --profile full
"""

import runpy
import sys
from pathlib import Path

runpy.run_path(str(Path(__file__).resolve().parents[1] / "scripts" / "pythonpath.py"))

from engine.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())

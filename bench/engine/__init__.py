# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""bench/engine: the one measurement engine of bench/bench.py, scripts/demo.sh,
bench/ab.sh and the DTS perf suite.

    from engine.runner import Config, Engine
    result = Engine(Config(transports=["ivshmem2", "memif"], sizes=[64])).run()
    report.write(result, Path("out"))          # perf.json, perf.md, perf.png

Modules: runner (repetitions, windows, placement), transports, stats,
topology (sysfs/proc), metadata, expect (profiles, verdicts), report
(JSON/markdown), plot, cli (bench.py's command line), fw (the only
import of dts/framework).
"""

#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# One command for a performance run (dts/test_plans/ivshmem2_perf_test_plan.rst):
# bench/engine with a profile of dts/conf/ivshmem2_perf.yaml, judged against
# the profile's expectations, written as perf.json (Open Lab style), perf.md,
# perf.png and perf-latency.png into dts/output/perf-<profile>-<UTC time>/.
# The verdicts are in the report; the exit status is 0 whenever the run
# completed (2 on bad options), whatever the rates.
#
#   dts/run-perf.sh                    profile full (about 1 h 20 on 2 cores)
#   dts/run-perf.sh test               profile test (seconds)
#   dts/run-perf.sh full --cpus 2,3    more bench.py options after the profile
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
profile=${1:-full}
shift || true
out=${DTS_OUTPUT_DIR:-$repo/dts/output}/perf-$profile-$(date -u +%Y%m%d-%H%M%S)
/usr/bin/python3 "$repo/bench/bench.py" --profile "$profile" --expect --report "$out" "$@"
echo "run-perf: in $out:" $(cd "$out" && ls perf.json perf.md perf*.png 2>/dev/null)

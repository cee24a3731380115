#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Alternating A/B of two builds of net_ivshmem2 (e.g. before and after a
# datapath change), measured by bench/engine through bench/bench.py: one
# repetition of each build per round, the order alternating (A B, B A, ...),
# so both see the same drift of this machine; net_memif runs in every run
# of A as the comparison in the same run. Each run writes the engine's
# perf.json; the summary below is computed from those JSON files only:
# per-rep Mpps, median/min/max per build, B/A, the median cycles/packet of
# the receiving lcore (testpmd --record-core-cycles, and TSC Hz / pps);
# then, when the runs saw more than one line transfer state (ivshmem2-c2c
# around each window, see bench/engine/stats.py), B/A within each state.
#
#   bench/ab.sh BUILD_A BUILD_B [reps] [bench.py options...]
#   bench/ab.sh /tmp/old/build build 5 --sizes 64,1518 --workloads uni --cpus 1,0
# AB_OUT=DIR keeps the runs' perf.json/md/png (default: a temporary directory).
set -euo pipefail

a=$(cd "$1" && pwd)
b=$(cd "$2" && pwd)
reps=${3:-5}
shift 3 || shift $#
repo=$(cd "$(dirname "$0")/.." && pwd)
if [ -n "${AB_OUT:-}" ]; then
	out=$AB_OUT
	mkdir -p "$out"
else
	out=$(mktemp -d)
	trap 'rm -rf "$out"' EXIT
fi
opts=(--reps 1 --seconds 5 --warmup 1 --no-latency --no-plots "$@")

run() { # build-label build-dir rep
	local transports=ivshmem2
	[ "$1" = A ] && transports=ivshmem2,memif
	echo "ab: rep $3/$reps: build $1 ($2)" >&2
	IVSHMEM2_BUILD_DIR=$2 /usr/bin/python3 "$repo/bench/bench.py" "${opts[@]}" \
		--transports "$transports" --report "$out/$1-$3" >/dev/null 2>"$out/$1-$3.log" ||
		{ tail -20 "$out/$1-$3.log" >&2; exit 1; }
}

for rep in $(seq 1 "$reps"); do
	if [ $((rep % 2)) = 1 ]; then
		run A "$a" "$rep"; run B "$b" "$rep"
	else
		run B "$b" "$rep"; run A "$a" "$rep"
	fi
done

/usr/bin/python3 - "$out" "$reps" "$repo/bench" <<'PY'
import json, statistics, sys
from pathlib import Path
out, reps = Path(sys.argv[1]), int(sys.argv[2])
sys.path.insert(0, sys.argv[3])
from engine.stats import Sample, line_states, window_state
vals = {}   # (label, transport, workload, size) -> [(mpps, cpp_testpmd, cpp_tsc)]
samples = []  # (label, Sample) of every window, for the per-state summary
meta = None
for label in ("A", "B"):
    for rep in range(1, reps + 1):
        res = json.loads((out / f"{label}-{rep}" / "perf.json").read_text())
        meta = meta or res["metadata"]
        for e in res.get("errors", []):
            print(f"ab: {label} rep {rep}: {e}", file=sys.stderr)
        for s in res["samples"]:
            samples.append((label, Sample(**s)))
            key = (label, s["transport"], s["workload"], s["size"])
            vals.setdefault(key, []).append(
                (s["mpps"], s["cpp_testpmd"].get("a"), s["cpp_tsc"].get("a")))
lc = meta["lcores"]
print(f"CPU {meta['cpu_model']}, kernel {meta['kernel']}, DPDK {meta['dpdk_version']}; "
      f"forwarding lcores A-peer on CPU {lc['cpu_a']}, B-peer on CPU {lc['cpu_b']} "
      f"(shared physical core: {lc['shared_physical_core']})")
print("Mpps per rep, median (min-max); median cycles/packet of the receiving lcore "
      "(testpmd --record-core-cycles / TSC Hz x window / packets)")
print("| workload | size | A reps | B reps | A median | B median | B/A | A cyc/pkt | "
      "B cyc/pkt | memif median | B/memif |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
med = lambda xs: statistics.median(xs) if xs else float("nan")
def cpp(rows):
    t = [r[1] for r in rows if r[1]]
    c = [r[2] for r in rows if r[2]]
    return f"{med(t):.0f} / {med(c):.0f}" if t or c else "-"
keys = sorted({(w, s) for (l, t, w, s) in vals if t == "ivshmem2"}, key=lambda k: (k[0], k[1]))
for w, s in keys:
    ra = vals.get(("A", "ivshmem2", w, s), [])
    rb = vals.get(("B", "ivshmem2", w, s), [])
    rm = vals.get(("A", "memif", w, s), [])
    va, vb, vm = [r[0] for r in ra], [r[0] for r in rb], [r[0] for r in rm]
    ma, mb, mm = med(va), med(vb), med(vm)
    rng = lambda v: f"({min(v):.1f}-{max(v):.1f})" if v else ""
    print(f"| {w} | {s} | {' '.join(f'{v:.1f}' for v in va)} | "
          f"{' '.join(f'{v:.1f}' for v in vb)} | {ma:.2f} {rng(va)} | {mb:.2f} {rng(vb)} | "
          f"{mb / ma if ma else float('nan'):.3f} | {cpp(ra)} | {cpp(rb)} | {mm:.2f} | "
          f"{mb / mm if mm else float('nan'):.2f} |")
# The same per line transfer state (ivshmem2-c2c around each window), when
# the runs saw more than one: B/A of the medians of the windows in one state.
states = line_states([x for _, x in samples])
if len(states) > 1:
    print("\nper line transfer state (windows whose probes before and after fall in one "
          "state; n = windows of A / B)")
    print("| state (ns) | workload | size | A median (n) | B median (n) | B/A |")
    print("|---|---|---|---|---|---|")
    for i, (lo, hi) in enumerate(states):
        for w, s in keys:
            got = {lab: [x.mpps for l2, x in samples if l2 == lab and x.transport == "ivshmem2"
                         and (x.workload, x.size) == (w, s) and window_state(x, states) == i]
                   for lab in ("A", "B")}
            if not got["A"] or not got["B"]:
                continue
            ma, mb = med(got["A"]), med(got["B"])
            print(f"| {lo:.0f}-{hi:.0f} | {w} | {s} | {ma:.2f} ({len(got['A'])}) | "
                  f"{mb:.2f} ({len(got['B'])}) | {mb / ma:.3f} |")
PY

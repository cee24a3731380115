# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The ivshmem2 authors
"""Unit tests of bench/engine: statistics, JSON schema, metadata, CPU
topology, expectation verdicts, markdown, plots. Fast; no testpmd."""

import json
import os
import re

import pytest
import yaml

from engine import cli, expect, metadata, report, topology
from engine.runner import Config, parse_cycles
from engine.runner import testpmd_args as pmd_args
from engine.stats import (Sample, line_states, rotated, spread, summarize, summarize_by_state,
                          window_state)


def sample(t, mpps, rep=1, w="uni", size=64, cpp=None, line=()):
    return Sample(rep=rep, position=0, transport=t, workload=w, size=size, mpps=mpps,
                  window_s=5.0, rx_a=int(mpps * 5e6), cpp_testpmd={"a": cpp} if cpp else {},
                  cpp_tsc={"a": 2 * cpp} if cpp else {}, line_ns=list(line))


SAMPLES = [sample("ivshmem2", v, rep=i + 1, cpp=100 + i) for i, v in enumerate([10, 12, 11])] + \
    [sample("memif", v, rep=i + 1) for i, v in enumerate([5, 4, 6])] + \
    [sample("ivshmem2", 3, w="bidi", size=1518)]

META = {"cpu_model": "Test CPU", "kernel": "6.1", "dpdk_version": "22.11.11",
        "project": {"commit": "abc", "branch": "bench", "dirty": False}, "started": "t0",
        "cpus_online": [0, 1], "tsc_mhz": 2000, "duration_s": 1.0, "loadavg_before": "0 0 0",
        "lcores": {"cpu_a": 1, "cpu_b": 0, "shared_physical_core": False, "verified": True,
                   "checks": [{"transport": "ivshmem2", "a": {"last_cpu": 1},
                               "b": {"last_cpu": 0}, "ok": True}]}}


def cfg(**kw):
    c = Config(transports=["ivshmem2", "memif"], workloads=["uni"], sizes=[64], reps=3)
    for k, v in kw.items():
        setattr(c, k, v)
    return c


# --- statistics ---
def test_summary_median_min_max_spread_ratio():
    rows = {r.key: r for r in summarize(SAMPLES, "memif")}
    iv = rows[("ivshmem2", "uni", 64)]
    assert (iv.median, iv.min, iv.max, iv.n) == (11, 10, 12, 3)
    assert iv.spread == pytest.approx(2 / 11)
    assert iv.ratio == pytest.approx(11 / 5)
    assert rows[("memif", "uni", 64)].ratio == 1
    assert iv.cpp_testpmd == 101 and iv.cpp_tsc == 202
    # No baseline row for this case: no ratio.
    assert rows[("ivshmem2", "bidi", 1518)].ratio is None
    assert iv.gbps == pytest.approx(11 * 64 * 8 / 1e3)


def test_vs_best_other_takes_the_best_non_ivshmem2_transport():
    samples = SAMPLES + [sample("memif-zc", 8), sample("null", 50), sample("ivshmem2-zc", 9)]
    rows = {r.key: r for r in summarize(samples, "memif")}
    assert rows[("ivshmem2", "uni", 64)].vs_best_other == pytest.approx(11 / 8)
    assert rows[("ivshmem2-zc", "uni", 64)].vs_best_other == pytest.approx(9 / 8)
    assert rows[("memif", "uni", 64)].vs_best_other is None
    # No other transport in that case: no ratio.
    assert rows[("ivshmem2", "bidi", 1518)].vs_best_other is None


def test_spread_edge_cases():
    assert spread([]) == 0 and spread([3.0]) == 0 and spread([0, 0]) == 0


def test_rotated_order_every_transport_first_once():
    items = ["a", "b", "c"]
    orders = [rotated(items, r) for r in (1, 2, 3, 4)]
    assert orders[0] == ["a", "b", "c"] and orders[1] == ["b", "c", "a"]
    assert orders[3] == orders[0]
    assert sorted(o[0] for o in orders[:3]) == items


def test_parse_cycles():
    out = ("\n  CPU cycles/packet=67.87 (total cycles=2614666635 / total io packets=38526464)"
           " at 2690 MHz Clock\n")
    assert parse_cycles(out) == (67.87, 2690)
    assert parse_cycles("no such line") is None


def test_testpmd_args_jumbo():
    assert "--record-core-cycles" in pmd_args(cfg(), False).to_args()
    assert "--txd=1024" in pmd_args(cfg(), False).to_args()
    assert any(a.startswith("--mbuf-size") for a in pmd_args(cfg(), True).to_args())


def test_config_validation():
    with pytest.raises(ValueError):
        cfg(transports=["nope"]).validate()
    with pytest.raises(ValueError):
        cfg(workloads=["sideways"]).validate()
    with pytest.raises(ValueError):
        cfg(sizes=[10000]).validate()
    cfg().validate()


# --- JSON ---
def test_json_schema_open_lab_style():
    r = report.build(cfg(), dict(META), SAMPLES[:6], {}, [])
    json.loads(json.dumps(r))  # serializable
    assert set(r) >= {"status", "performance", "parameters", "metadata"}
    assert r["status"] == "PASS"
    for p in r["performance"]:
        assert set(p) >= {"name", "value", "unit", "delta"}
        assert p["unit"] == "Mpps" and isinstance(p["value"], float)
    names = {p["name"] for p in r["performance"]}
    assert names == {"ivshmem2/uni/64B", "memif/uni/64B"}
    params = {p["name"]: p["value"] for p in r["parameters"]}
    assert params["repetitions"] == 3 and params["baseline"] == "memif"
    assert len(r["samples"]) == 6


def test_missing_case_is_an_error_and_fails():
    r = report.build(cfg(transports=["ivshmem2", "memif", "vhost"]), dict(META), SAMPLES[:6],
                     {}, [])
    assert r["status"] == "FAIL" and any("vhost/uni/64B" in e for e in r["errors"])


def test_a_window_without_frames_is_a_stall_and_fails():
    """0.00 Mpps is not a figure: a run with such a window fails and names it."""
    stalled = sample("memif", 0, rep=2)
    r = report.build(cfg(), dict(META), SAMPLES[:3] + [SAMPLES[3], stalled, SAMPLES[5]], {}, [])
    assert r["status"] == "FAIL"
    assert r["errors"] == ["memif/uni/64B rep 2: 0 frames in the 5.0 s window: stalled"]


def test_zero_copy_rx_skips_mac_and_says_so():
    c = cfg(transports=["ivshmem2-zc"], workloads=["uni", "mac"])
    r = report.build(c, dict(META), [sample("ivshmem2-zc", 9)], {}, [])
    assert r["status"] == "PASS", r["errors"]
    assert len(r["skipped"]) == 1 and "ivshmem2-zc/mac" in r["skipped"][0]
    assert "## Not run" in report.markdown(r)


# --- expectations ---
def test_verdicts_and_delta():
    assert expect.verdict(10, None) == (expect.NONE, None)
    v, d = expect.verdict(8, (10, 0.25))
    assert v == expect.PASS and d == pytest.approx(-0.2)
    v, d = expect.verdict(7, (10, 0.25))
    assert v == expect.FAIL and d == pytest.approx(-0.3)
    assert expect.verdict(20, (10, 0.1))[0] == expect.PASS


def test_judge_sets_verdicts_and_status():
    r = report.build(cfg(), dict(META), SAMPLES[:6], {}, [])
    exp = {("ivshmem2", "uni", 64): (20.0, 0.25), ("memif", "uni", 64): (5.0, 0.5)}
    report.judge(r, exp, "x.yaml:test")
    by = {p["name"]: p for p in r["performance"]}
    assert by["ivshmem2/uni/64B"]["verdict"] == "FAIL"
    assert by["ivshmem2/uni/64B"]["delta"] == pytest.approx(-0.45)
    assert by["memif/uni/64B"]["verdict"] == "PASS"
    assert r["status"] == "FAIL" and r["metadata"]["expectations"] == "x.yaml:test"
    assert "FAIL (-45 %)" in report.markdown(r)


def test_make_and_load_expectations(tmp_path):
    conf = tmp_path / "perf.yaml"
    conf.write_text(yaml.safe_dump({"profiles": {"test": {"reps": 1, "sizes": [64]}}}))
    entries = expect.make_expectations(summarize(SAMPLES), 0.3)
    assert len(entries) == 3
    expect.write_expectations(conf, "test", entries, "run.json")
    prof = expect.profile(expect.load(conf), "test")
    assert prof["reps"] == 1
    exp = expect.expectations(prof)
    assert exp[("ivshmem2", "uni", 64)] == (11.0, 0.3)
    assert len(exp) == 2  # the 1518 B case is not in the profile
    assert prof["expectations_from"] == "run.json"
    c = Config()
    expect.apply_profile(c, prof, "test")
    assert c.reps == 1 and c.sizes == [64] and c.profile == "test"
    with pytest.raises(ValueError):
        expect.profile(expect.load(conf), "nope")


def test_project_profiles_are_valid():
    data = expect.load()
    for name in ("test", "full"):
        c = Config()
        expect.apply_profile(c, expect.profile(data, name), name)
        c.validate()
        expect.expectations(expect.profile(data, name))
    full = Config()
    expect.apply_profile(full, expect.profile(data, "full"), "full")
    assert full.sizes == [64, 128, 256, 512, 1024, 1518, 9000]
    assert full.reps >= 5 and full.window_s >= 5


# --- metadata and topology ---
def test_metadata_collect():
    m = metadata.collect(0, 0)
    for k in ("cpu_model", "kernel", "dpdk_version", "project", "lcores", "started",
              "cpus_online"):
        assert k in m
    assert m["lcores"]["shared_physical_core"] is True  # the same CPU
    assert len(m["project"]["commit"]) in (40, len("unknown"))


def test_cpu_model_parsing():
    text = "processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz\ncpu MHz\t\t: 2000.000\n"
    assert topology.cpu_model(text) == "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz"
    assert topology.cpu_mhz(text) == 2000.0
    assert topology.cpu_model("processor: 0\n") == "unknown"


def test_parse_cpu_list():
    assert topology.parse_cpu_list("0-3,8,10-11\n") == [0, 1, 2, 3, 8, 10, 11]
    assert topology.parse_cpu_list("") == []


def _fake_sysfs(root, cpus):
    """cpus: {cpu: (core_id, package, siblings)}."""
    for cpu, (core, pkg, sib) in cpus.items():
        d = root / f"cpu{cpu}" / "topology"
        d.mkdir(parents=True)
        (d / "core_id").write_text(f"{core}\n")
        (d / "physical_package_id").write_text(f"{pkg}\n")
        (d / "thread_siblings_list").write_text(sib + "\n")
    (root / "cpufreq").mkdir()


def test_topology_hyperthreads(tmp_path):
    # 2 cores x 2 threads: CPUs 0,2 on core 0 and 1,3 on core 1; a second package.
    _fake_sysfs(tmp_path, {0: (0, 0, "0,2"), 1: (1, 0, "1,3"), 2: (0, 0, "0,2"),
                           3: (1, 0, "1,3"), 4: (0, 1, "4")})
    topo = topology.cpu_topology(tmp_path)
    assert sorted(topo) == [0, 1, 2, 3, 4]
    assert topo[2].siblings == [0, 2] and topo[4].package == 1
    assert topology.share_physical_core(topo, 0, 2) is True
    assert topology.share_physical_core(topo, 0, 1) is False
    assert topology.share_physical_core(topo, 0, 4) is False  # core 0 of another package
    assert topology.share_physical_core(topo, 3, 3) is True
    assert topology.share_physical_core(topo, 0, 9) is None
    info = topology.placement_info(topo, 1, 3)
    assert info["shared_physical_core"] is True and info["a"]["core_id"] == 1


def _fake_proc(root, pid, threads):
    for tid, (name, cpu, ticks, allowed) in threads.items():
        d = root / str(pid) / "task" / str(tid)
        d.mkdir(parents=True)
        fields = ["R"] + ["0"] * 10 + [str(ticks), "0"] + ["0"] * 23 + [str(cpu)] + ["0"] * 10
        (d / "stat").write_text(f"{tid} ({name}) " + " ".join(fields) + "\n")
        (d / "status").write_text(f"Name:\t{name}\nCpus_allowed_list:\t{allowed}\n")


def test_parse_stat_odd_comm():
    fields = ["S"] + ["0"] * 10 + ["7", "5"] + ["0"] * 23 + ["3"]
    assert topology.parse_stat("12 (a) b (c)) " + " ".join(fields)) == ("a) b (c)", 3, 12)


def test_check_placement(tmp_path):
    _fake_proc(tmp_path, 100, {100: ("dpdk-testpmd", 0, 900, "0"),
                               101: ("eal-intr-thread", 0, 1, "0-1"),
                               102: ("rte-worker-1", 1, 500, "1")})
    ok = topology.check_placement(100, 1, tmp_path)
    assert ok["ok"] and ok["thread"] == "rte-worker-1" and ok["last_cpu"] == 1
    assert not topology.check_placement(100, 0, tmp_path)["ok"]
    # Allowed on two CPUs: not pinned, even if it last ran where asked.
    _fake_proc(tmp_path, 200, {200: ("main", 0, 1, "0"), 201: ("dpdk-worker1", 1, 9, "0-1")})
    bad = topology.check_placement(200, 1, tmp_path)
    assert not bad["ok"] and bad["allowed"] == [0, 1]
    # No worker name (pktcheck): the busiest thread.
    _fake_proc(tmp_path, 300, {300: ("ivshmem2-pktche", 1, 50, "1"), 301: ("x", 0, 1, "0")})
    assert topology.check_placement(300, 1, tmp_path)["ok"]
    assert not topology.check_placement(999, 1, tmp_path)["ok"]


def test_check_placement_live_process():
    """This test process: its main thread, allowed on the CPUs it is allowed on."""
    me = topology.check_placement(os.getpid(), 0)
    assert me["allowed"] == sorted(os.sched_getaffinity(0))


# --- markdown and plots ---
LATENCY = {"ivshmem2": {
    "idle": {"rate_pps": 0, "sent_pps": 5e4, "answered": 100, "p50_us": 1.0, "p90_us": 1.2,
             "p99_us": 2.0, "max_us": 5.0, "hist": {"unit": "ns", "buckets": [
                 [960, 1024, 60], [1024, 1088, 40]]}},
    "load": {"rate_pps": 1e6, "sent_pps": 9.9e5, "answered": 1000, "p50_us": 3.0,
             "p90_us": 4.0, "p99_us": 9.0, "max_us": 20.0, "load_fraction": 0.5,
             "hist": {"unit": "ns", "buckets": [[2944, 3072, 700], [8192, 8704, 300]]}}}}


def test_markdown_has_table_cpu_and_placement():
    r = report.build(cfg(), dict(META), SAMPLES[:6], LATENCY, [])
    md = report.markdown(r)
    assert "Test CPU" in md and "peer A on CPU 1, peer B on CPU 0" in md
    assert "different physical cores" in md and "verified" in md
    assert "| 64 | ivshmem2 | 11.00 | 10.00 | 12.00 | 18 % | 2.20 | 2.20 |" in md
    assert "| ivshmem2 | 50 % of max |" in md


def test_write_produces_json_md_and_pngs(tmp_path):
    pytest.importorskip("matplotlib")
    r = report.build(cfg(), dict(META), SAMPLES, LATENCY, [])
    files = report.write(r, tmp_path)
    assert json.loads(files["json"].read_text())["status"] == "PASS"
    for key in ("png", "latency_png"):
        data = files[key].read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000


def test_render_from_stored_json(tmp_path):
    """bench.py --render: markdown and plots from a perf.json alone."""
    pytest.importorskip("matplotlib")
    r = report.build(cfg(), dict(META), SAMPLES[:6], {}, [])
    (tmp_path / "perf.json").write_text(json.dumps(r))
    assert cli.main(["--render", str(tmp_path / "perf.json")]) == 0
    assert (tmp_path / "perf.md").read_text() == report.markdown(r)
    assert (tmp_path / "perf.png").exists()


# --- line transfer states (ivshmem2-c2c before and after each window) ---
# Near (~33 ns, the cores share a cache) and far (~160 ns): ivshmem2 wins
# near, memif-zc far; the run's medians mix both, the states tell them apart.
STATE_SAMPLES = [
    sample("ivshmem2", 30, rep=1, line=(33, 34)), sample("memif-zc", 20, rep=1, line=(32, 35)),
    sample("ivshmem2", 10, rep=2, line=(160, 158)), sample("memif-zc", 12, rep=2, line=(150, 170)),
    sample("ivshmem2", 31, rep=3, line=(31, 36)), sample("memif-zc", 21, rep=3, line=(34, 33)),
    sample("ivshmem2", 20, rep=4, line=(33, 160)),  # the state changed around it
    sample("memif-zc", 12, rep=4, line=(155, 165)),
]


def test_line_states_split_at_gaps():
    assert line_states([sample("x", 1, line=(14, 15)), sample("x", 1, line=(31, 36)),
                        sample("x", 1, line=(33, 150)), sample("x", 1, line=(180, 160))]) == \
        [(14, 15), (31, 36), (150, 180)]
    assert line_states([sample("x", 1)]) == []
    # Values within LINE_STATE_GAP of each other chain into one state.
    assert line_states([sample("x", 1, line=(30, 50, 85))]) == [(30, 85)]


def test_window_state_needs_both_probes_in_one_state():
    states = line_states(STATE_SAMPLES)
    assert states == [(31, 36), (150, 170)]
    assert [window_state(s, states) for s in STATE_SAMPLES] == [0, 0, 1, 1, 0, 0, None, 1]
    assert window_state(sample("x", 1), states) is None


def test_summary_of_line_transfer_times():
    rows = {r.key: r for r in summarize(STATE_SAMPLES)}
    iv = rows[("ivshmem2", "uni", 64)]
    assert (iv.line_ns, iv.line_ns_min, iv.line_ns_max) == (35, 31, 160)
    assert summarize(SAMPLES)[0].line_ns is None


def test_summary_by_state_compares_within_a_state():
    by = summarize_by_state(STATE_SAMPLES, "memif-zc")
    assert [st for st, _ in by] == [(31, 36), (150, 170)]
    near = {r.key: r for r in by[0][1]}
    far = {r.key: r for r in by[1][1]}
    assert near[("ivshmem2", "uni", 64)].values == [30, 31]
    assert near[("ivshmem2", "uni", 64)].vs_best_other == pytest.approx(30.5 / 20.5)
    # The window whose state changed is in neither.
    assert far[("ivshmem2", "uni", 64)].values == [10]
    assert far[("ivshmem2", "uni", 64)].vs_best_other == pytest.approx(10 / 12)
    # One state only (or no probes): nothing to group.
    assert summarize_by_state(STATE_SAMPLES[:2]) == []
    assert summarize_by_state(SAMPLES) == []


def test_markdown_shows_line_times_and_states_only_when_measured():
    c = cfg(transports=["ivshmem2", "memif-zc"], baseline="memif-zc")
    md = report.markdown(report.build(c, dict(META), STATE_SAMPLES, {}, []))
    assert "this run 31-170 ns" in md
    assert "| cyc/pkt TSC | line ns | n |" in md
    assert "| 64 | ivshmem2 | 25.00 | 10.00 | 31.00 |" in md and "| 35 (31-160) | 4 |" in md
    assert "## By line transfer state" in md
    assert "| 31-36 | uni | 64 | ivshmem2 | 2 | 30.50 | 30.00 | 31.00 | 1.49 |" in md
    assert "| 150-170 | uni | 64 | ivshmem2 | 1 | 10.00 | 10.00 | 10.00 | 0.83 |" in md
    plain = report.markdown(report.build(cfg(), dict(META), SAMPLES[:6], {}, []))
    assert "line ns" not in plain and "By line transfer state" not in plain


def test_line_plot_only_with_probes(tmp_path):
    pytest.importorskip("matplotlib")
    c = cfg(transports=["ivshmem2", "memif-zc"], baseline="memif-zc")
    files = report.write(report.build(c, dict(META), STATE_SAMPLES, {}, []), tmp_path / "a")
    data = files["line_png"].read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    files = report.write(report.build(cfg(), dict(META), SAMPLES, {}, []), tmp_path / "b")
    assert "line_png" not in files and not (tmp_path / "b" / "perf-line.png").exists()


def test_line_transfer_probe(tmp_path):
    """topology.line_transfer_ns runs the probe; no probe or a failing one: None."""
    assert topology.line_transfer_ns(tmp_path / "missing", 0, 1) is None
    fake = tmp_path / "c2c"
    fake.write_text('#!/bin/sh\necho \'{"median_ns": 33.5, "args": "\'"$*"\'"}\'\n')
    fake.chmod(0o755)
    assert topology.line_transfer_ns(fake, 1, 0) == 33.5
    fake.write_text("#!/bin/sh\necho 'cannot run on CPU 7' >&2\nexit 1\n")
    assert topology.line_transfer_ns(fake, 1, 7) is None
    fake.write_text("#!/bin/sh\necho 'not json'\n")
    assert topology.line_transfer_ns(fake, 1, 0) is None


# --- command line ---
def test_cli_config():
    a = cli.parser().parse_args(["--quick", "--cpus", "3,2", "--modes", "uni,bidir",
                                 "--sizes", "64,9000", "--transports", "ivshmem2,null"])
    c = cli.config_from(a)
    assert (c.reps, c.window_s, c.cpus) == (1, 1.0, (3, 2))
    assert c.workloads == ["uni", "bidi"] and c.sizes == [64, 9000]
    c = cli.config_from(cli.parser().parse_args([]))
    assert c.reps >= 5 and c.window_s >= 5 and c.warmup_s > 0
    c = cli.config_from(cli.parser().parse_args(["--profile", "test"]))
    assert c.profile == "test" and c.reps == 1
    with pytest.raises(ValueError):
        cli.config_from(cli.parser().parse_args(["--cpus", "1"]))
    assert cli.main(["--transports", "bogus"]) == 2


def test_fw_is_the_only_framework_import():
    """Of the engine and its fronts, only engine/fw.py imports dts/framework
    (one place to port; the perf suite is a DTS suite and not checked here)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    files = list((root / "bench").rglob("*.py")) + [
        root / "bench" / "ab.sh", root / "scripts" / "demo.sh", root / "dts" / "run-perf.sh",
        *(root / "tests" / "bench").glob("*.py")]
    rx = re.compile(r"^\s*(from|import) framework\b", re.M)
    users = [p for p in files if rx.search(p.read_text())]
    assert [p.name for p in users] == ["fw.py"]


# --- ivshmem2-pool: zero-copy TX from the port's pool ---
def _net_h_free_bytes(section: int, peers: int = 2) -> int:
    """What the rings leave free in an output section, from include/ivshmem2/net.h's
    constants and layout rule (queue pairs halved from 8 until 1024-slot rings fit)."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "include" / "ivshmem2" / "net.h").read_text()

    def const(name):
        return int(re.search(rf"#define\s+{name}\s+(\d+)u", text).group(1))

    def up(v, a):
        return -(-v // a) * a

    line, slot = const("IVSHMEM2_NET_CACHE_LINE"), const("IVSHMEM2_NET_SLOT_SIZE")
    ring, align = const("IVSHMEM2_NET_PREF_RING"), const("IVSHMEM2_NET_HEADER_ALIGN")
    desc = int(re.search(r"sizeof\(struct ivshmem2_net_desc\) == (\d+)", text).group(1))
    pool_align = re.search(r"#define\s+IVSHMEM2_NET_POOL_ALIGN\s+(\d+)u", text)
    header = up(64 + peers * 64, align)
    # Since layout version 3 a u32 pool reference per entry follows the descriptors.
    ref = 4 if "pool_ref_offset" in text else 0
    area = up(up(3 * line + ring * desc, line) + ring * ref, line) + ring * (slot + line)
    per_channel = (section - header) // (peers - 1)
    queues = next(q for q in (8, 4, 2, 1) if per_channel // q >= area)
    end = header + (peers - 1) * queues * area
    return section - (up(end, int(pool_align.group(1))) if pool_align else end)


def _mib(text: str) -> int:
    assert text.endswith("M")
    return int(text[:-1]) << 20


def test_pool_transport_fits_its_section_with_margin():
    from engine.transports import POOL_MBUFS, POOL_SERVER

    buf = 2176  # RTE_MBUF_DEFAULT_BUF_SIZE, a multiple of the cache line
    free = _net_h_free_bytes(_mib(POOL_SERVER["output_size"]))
    assert POOL_MBUFS * buf <= 0.75 * free, (POOL_MBUFS, free // buf)
    # Why the transport asks for a larger section than the other ivshmem2 rows:
    assert POOL_MBUFS * buf > _net_h_free_bytes(16 << 20)
    # Two sections plus the state table and R/W section fit the shared memory.
    assert 2 * _mib(POOL_SERVER["output_size"]) < _mib(POOL_SERVER["size"])


def test_pool_transport_vdevs_carry_tx_pool_on_both_peers(tmp_path):
    from types import SimpleNamespace

    from engine import fw
    from engine.transports import POOL_MBUFS, TRANSPORTS

    group = SimpleNamespace(socket_path=tmp_path / "s.sock")
    group.vdev = lambda **kw: fw.Ivshmem2Group.vdev(group, **kw)
    a, b = TRANSPORTS["ivshmem2-pool"].vdevs(None, group)
    for v in a + b:
        assert v.name == f"net_ivshmem20,socket={tmp_path}/s.sock,tx-pool={POOL_MBUFS}"
    a, b = TRANSPORTS["ivshmem2-zc"].vdevs(None, group)
    assert a[0].name.endswith(",zero-copy=yes") and "tx-pool" not in a[0].name
    a, _ = TRANSPORTS["ivshmem2"].vdevs(None, group)
    assert a[0].name == f"net_ivshmem20,socket={tmp_path}/s.sock"


class _Stop(Exception):
    pass


def test_runner_starts_the_pool_transport_on_its_own_server(monkeypatch):
    from engine import runner
    from engine.transports import POOL_SERVER, TRANSPORTS

    seen = []

    def group(node, **kw):
        seen.append(kw)
        raise _Stop

    monkeypatch.setattr(runner.fw, "Ivshmem2Group", group)
    eng = runner.Engine(cfg(transports=["ivshmem2-pool", "ivshmem2"]))
    try:
        for name in ("ivshmem2-pool", "ivshmem2"):
            with pytest.raises(_Stop):
                eng._start(TRANSPORTS[name], False)
    finally:
        eng.node.close()
    assert seen == [POOL_SERVER, {}]


def test_pool_transport_runs_forwarding_workloads_only(monkeypatch):
    from engine import runner
    from engine.transports import TRANSPORTS

    measured = []
    eng = runner.Engine(cfg(transports=["ivshmem2-pool"], workloads=["uni", "bidi", "mac"],
                            sizes=[64, 9000]))
    monkeypatch.setattr(eng, "_start", lambda t, jumbo: ("a", "b"))
    monkeypatch.setattr(eng, "_measure_pair",
                        lambda t, a, b, w, size, rep, pos: measured.append((w, size))
                        or sample(t.name, 1.0, w=w, size=size))
    try:
        eng.run_transport(TRANSPORTS["ivshmem2-pool"], 1, 0)
    finally:
        eng.node.close()
    assert measured == [("bidi", 64), ("mac", 64), ("bidi", 9000), ("mac", 9000)]
    assert not eng.errors


def test_pool_transport_uni_is_na_in_the_report():
    c = cfg(transports=["ivshmem2-pool", "memif-zc", "memif"], workloads=["uni", "bidi"])
    samples = [sample("ivshmem2-pool", 12, w="bidi"), sample("memif-zc", 8, w="bidi"),
               sample("memif", 6, w="bidi"), sample("memif-zc", 9), sample("memif", 5)]
    r = report.build(c, dict(META), samples, {}, [])
    assert r["status"] == "PASS", r["errors"]
    assert r["skipped"] == ["ivshmem2-pool/uni: n/a (txonly allocates from testpmd's pool)"]
    by = {p["name"]: p for p in r["performance"]}
    # Compared like the other ivshmem2 rows: with the baseline and the best other.
    assert by["ivshmem2-pool/bidi/64B"]["ratio"] == pytest.approx(2.0)
    assert by["ivshmem2-pool/bidi/64B"]["vs_best_other"] == pytest.approx(12 / 8)
    md = report.markdown(r)
    assert "| 64 | ivshmem2-pool | 12.00 |" in md
    assert "- ivshmem2-pool/uni: n/a (txonly allocates from testpmd's pool)" in md
    # A forwarding case asked for and not measured is still an error.
    r = report.build(c, dict(META), samples[1:], {}, [])
    assert r["status"] == "FAIL" and "ivshmem2-pool/bidi/64B: no sample" in r["errors"]


def test_vs_best_other_ignores_the_other_ivshmem2_rows_for_the_pool():
    rows = {r.key: r for r in summarize([sample("ivshmem2-pool", 10), sample("ivshmem2", 20),
                                         sample("memif-zc", 5), sample("null", 50)])}
    assert rows[("ivshmem2-pool", "uni", 64)].vs_best_other == pytest.approx(2.0)


def test_syscalls_skip_a_transport_without_uni(monkeypatch):
    from engine import runner

    started = []
    eng = runner.Engine(cfg(transports=["ivshmem2-pool"]))
    monkeypatch.setattr(eng, "_start", lambda t, jumbo: started.append(t.name) or
                        (_ for _ in ()).throw(_Stop()))
    try:
        eng.run_syscalls()
        eng.cfg.transports = ["ivshmem2"]
        eng.run_syscalls()
    finally:
        eng.node.close()
    assert started == ["ivshmem2"] and eng.syscalls == {}
    assert len(eng.errors) == 1 and eng.errors[0].startswith("syscalls ivshmem2: _Stop")


def test_full_profile_has_the_pool_transport_without_expectations():
    """No expected figure for ivshmem2-pool yet: NO-EXPECTATION, never FAIL."""
    prof = expect.profile(expect.load(), "full")
    assert "ivshmem2-pool" in prof["transports"]
    exp = expect.expectations(prof)
    c = cfg(transports=["ivshmem2-pool"], workloads=["bidi"], profile="full")
    r = report.build(c, dict(META), [sample("ivshmem2-pool", 0.01, w="bidi")], {}, [])
    report.judge(r, exp, "full")
    assert r["performance"][0]["verdict"] == expect.NONE
    assert r["status"] == "PASS"

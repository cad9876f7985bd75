#!/usr/bin/env bash
# Test of scripts/plot: generates synthetic Google Benchmark JSON (v1.7.1 layout)
# in a temp dir, runs the plotter on it and checks its PNGs, REPORT.md and errors.
# Usage: tests/plot/test_plot.sh [REPO_ROOT]   (default: two dirs above this script)
# Set KEEP_TMP=1 to keep the temp dir for inspection.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "${1:-$here/../..}" && pwd)"
plot="$root/scripts/plot"
python=/usr/bin/python3
[[ -x $python ]] || python="$(command -v python3)"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/test_plot.XXXXXX")"
if [[ ${KEEP_TMP:-0} == 1 ]]; then
    echo "keeping $tmp"
else
    trap 'rm -rf "$tmp"' EXIT
fi

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok   - $1"; }
fail() { failed=$((failed + 1)); echo "FAIL - $1"; }
check() { # check "description" command...
    local what="$1"; shift
    if "$@" >/dev/null 2>&1; then pass "$what"; else fail "$what"; fi
}
# run_plot NAME args...: runs the plotter, keeps stdout/stderr in $tmp/NAME.{out,err}, sets $rc
run_plot() {
    local name="$1"; shift
    rc=0
    "$plot" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" || rc=$?
}
no_traceback() { ! grep -q "Traceback" "$1"; }

# ---------------------------------------------------------------- generator
cat >"$tmp/gen.py" <<'EOF'
"""Writes pools.json / queues.json like poolbench's benchmarks would, with known winners.

Repetitions vary by a few tenths of a percent around a base value, so each median
is the base, two pools whose bases differ by 1 % or more never overlap, and with 5
repetitions the expected winners (Mann-Whitney p < 0.05) can be computed here
independently of the plotter; with 1 repetition there is no test.
"""
import argparse, json, math, os, random

ap = argparse.ArgumentParser()
ap.add_argument("out")
ap.add_argument("--host", default="laptop")
ap.add_argument("--hw", type=int, default=2)
ap.add_argument("--workers", default="1,2,4")
ap.add_argument("--reps", type=int, default=3)
ap.add_argument("--aggregates", action="store_true", help="add aggregate rows with bogus values")
ap.add_argument("--queues", action="store_true")
ap.add_argument("--fib-unsupported", action="store_true", help="every fib row is unsupported")
ap.add_argument("--extra-pool", default="", help="an additional pool that wins empty")
ap.add_argument("--name-style", choices=["real_time", "repeats"], default="real_time")
ap.add_argument("--expect", help="write 'workload winner' lines and 'overall winner' here")
a = ap.parse_args()
rng = random.Random(a.host)
W = [int(x) for x in a.workers.split(",")]
hw = a.hw
SLEEP_W = [8, 16, 32, 64, 128, 256]
pools = ["lockfree", "mutex", "sequential", "tbb", "thread_per_job", "work_stealing"]
if a.extra_pool:
    pools.append(a.extra_pool)

def eff(w):  # usable parallelism
    return min(w, hw) * (0.9 if w > hw else 1.0)

def small(n):  # fixed overhead hurts small job counts
    return 1.0 / (1.0 + 2000.0 / n)

RATE = {"work_stealing": 2.6e7, "tbb": 1.9e7, "lockfree": 1.3e7, "mutex": 3.5e6,
        "thread_per_job": 9e4, "sequential": 1.5e8, "zz_custom": 9e7}
SCALE = {"work_stealing": 0.9, "tbb": 0.85, "lockfree": 0.5, "mutex": -0.3,
         "thread_per_job": 0.6, "sequential": 0.0, "zz_custom": 0.95}
rows, expect_data = [], {}   # expect_data[workload][pool] = (figure, higher)

def bench(workload, pool, params, counters, error=None, higher=True, rep_point=False, fig=None):
    base = f"{workload}/{pool}/" + "/".join(f"{k}:{v}" for k, v in params)
    if a.name_style == "repeats":
        base += f"/repeats:{a.reps}"
    base += "/real_time"
    reps = a.reps
    spread = rng.uniform(0.001, 0.004)
    factors = [1.0] if reps == 1 else [1.0 - spread, 1.0, 1.0 + spread] + [
        1.0 + spread * (k + 1) / (reps + 1) for k in range(reps - 3)]
    rng.shuffle(factors)
    for i, f in enumerate(factors):
        row = {"name": base, "family_index": 0, "per_family_instance_index": 0,
               "run_type": "iteration", "repetitions": reps, "threads": 1,
               "iterations": 0 if error else 5, "real_time": 1.0e6 * f, "cpu_time": 1.0e5,
               "time_unit": "ns"}
        if a.name_style == "real_time":
            row["run_name"] = base
        if reps > 1:
            row["repetition_index"] = i
        if error and (error[1] == "all" or error[1] == i):
            row["error_occurred"] = True
            row["error_message"] = error[0]
        else:
            for k, v in counters.items():
                row[k] = v * f
        rows.append(row)
    if a.aggregates and reps > 1 and not error:
        for agg in ("mean", "median", "stddev", "cv"):
            row = {"name": base + "_" + agg, "run_name": base, "run_type": "aggregate",
                   "repetitions": reps, "threads": 1, "aggregate_name": agg,
                   "aggregate_unit": "time", "iterations": reps, "real_time": 1.0,
                   "cpu_time": 1.0, "time_unit": "ns"}
            for k, v in counters.items():  # bogus: mutex would win everything if these were used
                row[k] = 1e15 if pool == "mutex" else v
            rows.append(row)
    if rep_point and not (error and error[1] == "all"):
        expect_data.setdefault(workload, {})[pool] = (counters[fig], higher)

rep_w = max([w for w in W if w <= hw] or [min(W)])
rep_sleep = 128 if 128 in SLEEP_W else SLEEP_W[-1]
ws_of = lambda pool: [1] if pool == "sequential" else W

rows.append({"name": "reference/atomic_rmw/real_time", "run_name": "reference/atomic_rmw/real_time",
             "run_type": "iteration", "repetitions": 1, "threads": 1, "iterations": 100,
             "real_time": 5.5, "cpu_time": 5.5, "time_unit": "ns", "ops_per_s": 1.8e8})
rows.append({"name": "reference/spin_job/rounds:1000/real_time", "run_type": "iteration",
             "run_name": "reference/spin_job/rounds:1000/real_time", "repetitions": 1, "threads": 1,
             "iterations": 100, "real_time": 1200, "cpu_time": 1200, "time_unit": "ns",
             "ns_per_job": 1200.0})
for w in SLEEP_W:  # the no-pool floor of sleep: 1.05x, growing with W
    rows.append({"name": f"reference/sleep_threads/workers:{w}/jobs:2000/real_time",
                 "run_name": f"reference/sleep_threads/workers:{w}/jobs:2000/real_time",
                 "run_type": "iteration", "repetitions": 1, "threads": 1, "iterations": 1,
                 "real_time": 25.0, "cpu_time": 5.0, "time_unit": "ms",
                 "wall_over_ideal": 1.05 + w / 1000.0})

for pool in pools:
    r, s = RATE.get(pool, 1e7), SCALE.get(pool, 0.5)
    for w in ws_of(pool):
        for n in (1000, 10000, 100000, 1000000):
            v = r * eff(w) ** s * small(n)
            bench("empty", pool, [("workers", w), ("jobs", n)], {"jobs_per_s": v},
                  rep_point=(w == rep_w and n == 1000000), fig="jobs_per_s")
        e0 = {"tbb": 0.97, "work_stealing": 0.96, "lockfree": 0.93, "mutex": 0.88,
              "thread_per_job": 0.35, "sequential": 1.0}.get(pool, 0.9)
        for n in (1000, 10000, 100000):
            e = e0 * min(1.0, hw / w) * (0.6 + 0.4 * small(n) / small(100000))
            err = ("checksum mismatch: 99998 of 100000 jobs ran", "all") \
                if pool == "thread_per_job" and w == 4 and n == 100000 else None
            bench("cpu", pool, [("workers", w), ("jobs", n)],
                  {"efficiency": e, "jobs_per_s": e * w / 1.2e-6}, error=err,
                  rep_point=(w == rep_w and n == 100000), fig="efficiency")
        wo = {"work_stealing": 1.04, "tbb": 1.06, "lockfree": 1.10, "mutex": 1.15,
              "thread_per_job": 2.5, "sequential": 1.0}.get(pool, 1.2) * (1 + 0.02 * math.log2(w))
        err = ("timed out after 60 s", 1) if pool == "mutex" and w == 4 else None
        bench("skewed", pool, [("workers", w), ("jobs", 100000)],
              {"wall_over_ideal": wo, "jobs_per_s": 1e5 / (wo * 0.06)}, error=err, higher=False,
              rep_point=(w == rep_w), fig="wall_over_ideal")
        for d in (10, 15, 20):
            tr = {"tbb": 3.0e7, "work_stealing": 2.8e7, "lockfree": 1.0e7, "mutex": 4e6,
                  "sequential": 1.0e8}.get(pool, 5e6) * eff(w) ** 0.8 * small(2 ** (d + 1))
            err = ("unsupported: cannot submit from inside a worker", "all") \
                if pool == "thread_per_job" else None
            bench("tree", pool, [("workers", w), ("depth", d)],
                  {"jobs_per_s": tr, "peak_rss_mb": 8 + 2 ** d / 1e4}, error=err,
                  rep_point=(w == rep_w and d == 20), fig="jobs_per_s")
        fr = {"work_stealing": 4.0e7, "tbb": 3.5e7, "lockfree": 6e6, "mutex": 2e6,
              "sequential": 9e7}.get(pool, 5e6) * eff(w) ** 0.9
        err = ("unsupported: no task_group for this pool", "all") \
            if pool == "thread_per_job" or a.fib_unsupported else None
        bench("fib", pool, [("workers", w), ("n", 30)],
              {"tasks_per_s": fr, "ns_per_task": 1e9 * w / fr, "peak_rss_mb": 12.0,
               "steals_per_job": 0.01 if pool == "work_stealing" else 0.0}, error=err,
              rep_point=(w == rep_w), fig="tasks_per_s")
        for n in (100000, 1000000):
            for p in (1, 2, 4):
                pr = {"lockfree": 1.5e7, "work_stealing": 1.2e7, "tbb": 1.1e7, "mutex": 2e6,
                      "thread_per_job": 8e4, "sequential": 2e7}.get(pool, 1e7)
                pr *= eff(w) ** 0.4 * (1.2 if pool == "lockfree" else 1.0) ** math.log2(p) * small(n)
                bench("producers", pool, [("workers", w), ("jobs", n), ("producers", p)],
                      {"jobs_per_s": pr}, rep_point=(w == rep_w and n == 1000000 and p == 4),
                      fig="jobs_per_s")
        idle = {"mutex": 0.01, "thread_per_job": 0.03, "lockfree": 0.05, "work_stealing": 0.35,
                "tbb": 2.1, "sequential": 0.0}.get(pool, 0.5) * (1 + 0.1 * w)
        bench("idle", pool, [("workers", w)], {"idle_cpu_pct": idle}, higher=False,
              rep_point=(w == rep_w), fig="idle_cpu_pct")
        p50, p99, p999 = {"lockfree": (3, 12, 40), "work_stealing": (2.5, 15, 60),
                          "mutex": (6, 25, 90), "tbb": (4, 18, 120), "thread_per_job": (60, 200, 900),
                          "sequential": (0.05, 0.1, 0.3)}.get(pool, (5, 30, 100))
        bench("latency", pool, [("workers", w)],
              {"p50_us": p50, "p99_us": p99 * (1 + 0.05 * w), "p999_us": p999,
               "wakeups_per_job": 0.5}, higher=False, rep_point=(w == rep_w), fig="p99_us")
    if pool != "sequential":
        for w in SLEEP_W:
            wo = {"thread_per_job": 1.02, "lockfree": 1.07, "mutex": 1.08, "work_stealing": 1.10,
                  "tbb": 1.3}.get(pool, 1.2) * (1 + 0.01 * math.log2(w))
            bench("sleep", pool, [("workers", w), ("jobs", 2000)], {"wall_over_ideal": wo},
                  higher=False, rep_point=(w == rep_sleep), fig="wall_over_ideal")

context = {
    "date": "2026-11-22T06:30:00+00:00", "host_name": a.host,
    "executable": "/work/main/build-release/bench/poolbench_pools", "num_cpus": hw,
    "mhz_per_cpu": 2800, "cpu_scaling_enabled": False,
    "caches": [{"type": "Data", "level": 1, "size": 32768, "num_sharing": 1},
               {"type": "Unified", "level": 2, "size": 1048576, "num_sharing": 1},
               {"type": "Unified", "level": 3, "size": 33554432, "num_sharing": hw}],
    "load_avg": [0.5, 0.4, 0.3], "library_build_type": "release",
    "compiler": "GNU 13.2.0", "git_revision": "0123abcd", "build_type": "Release",
    "hardware_threads": str(hw),
}
os.makedirs(a.out, exist_ok=True)
with open(os.path.join(a.out, "pools.json"), "w") as f:
    json.dump({"context": context, "benchmarks": rows}, f, indent=1)

if a.queues:
    qrows = []
    for q, t0, rt in (("moodycamel", 3e7, 180), ("mpmc_ring", 2.2e7, 150), ("mutex_queue", 8e6, 900)):
        for t in (1, 2, 4):
            for n in (100000, 1000000):
                for i, f in enumerate((0.97, 1.0, 1.03)):
                    qrows.append({"name": f"queue_throughput/{q}/threads:{t}/items:{n}/real_time",
                                  "run_name": f"queue_throughput/{q}/threads:{t}/items:{n}/real_time",
                                  "run_type": "iteration", "repetitions": 3, "repetition_index": i,
                                  "threads": 1, "iterations": 10, "real_time": 1.0, "cpu_time": 1.0,
                                  "time_unit": "ns", "items_per_s": t0 * min(t, hw) ** 0.5 * f})
        for i, f in enumerate((0.97, 1.0, 1.03)):
            qrows.append({"name": f"queue_roundtrip/{q}/trips:100000/real_time",
                          "run_name": f"queue_roundtrip/{q}/trips:100000/real_time",
                          "run_type": "iteration", "repetitions": 3, "repetition_index": i,
                          "threads": 1, "iterations": 10, "real_time": 1.0, "cpu_time": 1.0,
                          "time_unit": "ns", "ns_per_trip": rt * f})
    with open(os.path.join(a.out, "queues.json"), "w") as f:
        json.dump({"context": context, "benchmarks": qrows}, f, indent=1)

if a.expect:
    floor = {"idle_cpu_pct": 0.1}
    scores = {}
    with open(a.expect, "w") as f:
        for wl, per_pool in expect_data.items():
            higher = next(iter(per_pool.values()))[1]
            vals = {p: v for p, (v, _) in per_pool.items()}
            best_pool = (max if higher else min)(vals, key=vals.get)
            best = vals[best_pool]
            fl = floor.get({"idle": "idle_cpu_pct"}.get(wl, ""), 1e-12)
            # below the floor every value counts as the floor: no pool wins there
            if not higher and len([v for v in vals.values() if v <= fl]) >= 2:
                f.write(f"{wl} tie:{best_pool}\n")
                continue
            f.write(f"{wl} {best_pool}\n")
            for p, v in vals.items():
                rel = v / best if higher else max(best, fl) / max(v, fl)
                scores.setdefault(p, []).append(math.log(max(rel, 1e-3)))
        geo = {p: sum(l) / len(l) for p, l in scores.items()}
        f.write(f"overall {max(geo, key=geo.get)}\n")
EOF

gen() { "$python" "$tmp/gen.py" "$@"; }
A="$tmp/results/laptop-20261122T0630Z"
B="$tmp/results/server-20261122T0700Z"
C="$tmp/results/norep-20261122T0800Z"
gen "$A" --host laptop --hw 2 --workers 1,2,4 --reps 5 --aggregates --queues --expect "$tmp/expect_A"
gen "$B" --host server --hw 4 --workers 1,2,4,8 --reps 5 --fib-unsupported --name-style repeats
gen "$C" --host norep --hw 2 --workers 1,2,4 --reps 1 --extra-pool zz_custom --expect "$tmp/expect_C"

# ---------------------------------------------------------------- tests
run_plot help --help
check "--help exits 0 and shows usage" test "$rc" -eq 0
check "--help mentions --out" grep -q -- "--out" "$tmp/help.out"

start=$(date +%s)
run_plot single "$A"
elapsed=$(( $(date +%s) - start ))
check "single folder: exit 0" test "$rc" -eq 0
check "single folder: no traceback" no_traceback "$tmp/single.err"
check "single folder: prints where outputs went" grep -qF "$A" "$tmp/single.out"
check "single folder: ran in under 30 s (took ${elapsed}s)" test "$elapsed" -lt 30
for png in empty cpu skewed tree fib producers sleep idle latency overview queues \
           empty_jobs cpu_jobs tree_jobs producers_jobs; do
    f="$A/$png.png"
    check "single folder: $png.png is a PNG" bash -c \
        "[[ -s '$f' ]] && [[ \$(head -c 8 '$f' | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]]"
done
for wl in empty cpu skewed tree fib producers; do
    check "single folder: ${wl}_speedup.png is drawn" test -s "$A/${wl}_speedup.png"
done
check "single folder: no speedup plot for sleep, idle, latency" \
    bash -c "[[ ! -e '$A/sleep_speedup.png' && ! -e '$A/idle_speedup.png' && ! -e '$A/latency_speedup.png' ]]"
check "single folder: no _jobs.png for single-size workloads" \
    bash -c "[[ ! -e '$A/fib_jobs.png' && ! -e '$A/idle_jobs.png' && ! -e '$A/skewed_jobs.png' ]]"
R="$A/REPORT.md"
check "single folder: REPORT.md exists" test -s "$R"
while read -r wl winner; do
    if [[ $wl == overall ]]; then
        check "single folder: overall winner is $winner" grep -qF "Overall winner: **$winner**" "$R"
    else
        if [[ $winner == tie:* ]]; then
            check "single folder: $wl is a tie" grep -qE "^\| $wl \| tie \(p = " "$R"
        else
            check "single folder: fastest on $wl is $winner" grep -qE "^\| $wl \| \*\*$winner\*\* \|" "$R"
        fi
    fi
done <"$tmp/expect_A"
check "report explains the overall score" grep -q "geometric mean" "$R"
check "report: machine host" grep -qF "| host | laptop |" "$R"
check "report: compiler" grep -qF "GNU 13.2.0" "$R"
check "report: git revision" grep -qF "0123abcd" "$R"
check "report: build type" grep -qF "| build type | Release |" "$R"
check "report: caches" grep -qF "L2 Unified 1 MiB" "$R"
check "report: overview image link" grep -qF "](overview.png)" "$R"
check "report: overview is an image link" grep -qE '!\[[^]]*\]\(overview\.png\)' "$R"
check "report: relative link to empty.png" grep -qF "](empty.png)" "$R"
check "report: table header with worker counts" grep -qF "| pool | W=1 | W=2 | W=4 |" "$R"
check "report: unsupported rows listed with reason" \
    grep -qF '`tree/thread_per_job` (9 instances: workers 1, 2, 4; depth 10, 15, 20): unsupported: cannot submit from inside a worker' "$R"
check "report: failed row listed with reason" \
    grep -qF '`cpu/thread_per_job` (workers 4; jobs 100000): failed: checksum mismatch: 99998 of 100000 jobs ran' "$R"
check "report: partly failed row noted in the table" grep -qF "(some reps failed)" "$R"
check "report: partly failed row listed" \
    grep -qF '`skewed/mutex` (workers 4; jobs 100000) (in 1 of 5 repetitions; the successful ones are used): failed: timed out after 60 s' "$R"
check "report: unsupported cells in table" grep -qE '^\| thread_per_job \| unsupported \| unsupported \| unsupported \|' "$R"
check "report: aggregate rows ignored (no 1e15 values)" bash -c "! grep -qE '[0-9.]+(T|P) jobs/s' '$R'"
check "report: queue section" grep -qF "queue_throughput" "$R"
check "report: sleep table has the bare-threads floor row" \
    grep -qE '^\| \*bare threads\* \| 1\.06x \| 1\.07x \| 1\.08x \| 1\.11x \| 1\.18x \| 1\.31x \|$' "$R"
check "report: bare threads are not ranked as a pool" bash -c "! grep -qE '^\| (sleep_threads|bare threads) ' '$R'"
check "report: ideal row in table" grep -qF "| *ideal* |" "$R"
check "report: Scaling section" grep -qF "## Scaling" "$R"
check "report: Scaling table at W=1, cores and twice cores" \
    grep -qF "| pool | W=1 | W=2 | W=4 | speedup at 2 | speedup at 4 |" "$R"
check "report: Scaling row of work_stealing with its speedups" \
    grep -qE '^\| work_stealing \| [0-9.]+M jobs/s \| [0-9.]+M jobs/s \| [0-9.]+M jobs/s \| [0-9.]+x \[[0-9.]+, [0-9.]+\] \| [0-9.]+x \[[0-9.]+, [0-9.]+\] \|$' "$R"
check "report: links the speedup plot" grep -qF "](tree_speedup.png)" "$R"

# styles: one colour and marker per pool, the same whatever else is plotted
cat >"$tmp/styles.py" <<'PY'
import os, sys
sys.path.insert(0, os.path.dirname(sys.argv[1]))
import poolplot.figures as m
a = m.styles_for({"work_stealing", "tbb", "zz_new"}, m.POOL_STYLES)
b = m.styles_for({"work_stealing", "mutex", "aa_new", "zz_new"}, m.POOL_STYLES)
assert a["work_stealing"] == b["work_stealing"] == m.POOL_STYLES["work_stealing"], "fixed style moved"
assert len({v for v in b.values()}) == len(b), "two pools share a style"
assert m.RATIO_COUNTERS >= {"efficiency", "wall_over_ideal"}
print("ok")
PY
check "styles: fixed per pool, distinct, ratio figures linear" "$python" "$tmp/styles.py" "$plot"

# overlay of two folders
O="$tmp/overlay"
run_plot overlay "$A" "$B" --out "$O"
check "overlay: exit 0" test "$rc" -eq 0
check "overlay: no traceback" no_traceback "$tmp/overlay.err"
for png in empty cpu fib sleep latency overview; do
    check "overlay: $png.png written" test -s "$O/$png.png"
done
check "overlay: REPORT.md section for the laptop, labelled by machine" \
    grep -qF "## laptop, 2 hardware threads" "$O/REPORT.md"
check "overlay: REPORT.md section for the server, labelled by machine" \
    grep -qF "## server, 4 hardware threads" "$O/REPORT.md"
check "overlay: speedup plots of both machines" test -s "$O/tree_speedup.png"
check "overlay: each machine has its Scaling section" \
    bash -c "[[ \$(grep -c '^### Scaling' '$O/REPORT.md') -eq 2 ]]"
check "overlay: the server's scaling at W=4 and W=8" grep -qF "| pool | W=1 | W=4 | W=8 | speedup at 4 | speedup at 8 |" "$O/REPORT.md"
run_plot overlay_same "$A" "$A" --out "$tmp/overlay_same"
check "overlay of one machine twice: labelled by folder" \
    grep -qF "## laptop-20261122T0630Z#2" "$tmp/overlay_same/REPORT.md"
check "overlay: nothing written into the server folder" test ! -e "$B/REPORT.md"
check "overlay: several folders without --out is a usage error" bash -c "'$plot' '$A' '$B' >/dev/null 2>&1; [[ \$? -eq 2 ]]"

# a workload whose rows are all unsupported: table with reasons, no plot
run_plot server "$B"
check "all-unsupported workload: exit 0" test "$rc" -eq 0
check "all-unsupported workload: no fib.png" test ! -e "$B/fib.png"
check "all-unsupported workload: other plots still drawn" test -s "$B/empty.png"
check "all-unsupported workload: table still there" grep -qE '^\| work_stealing \| unsupported \| unsupported \| unsupported \| unsupported \|' "$B/REPORT.md"
check "all-unsupported workload: reason listed" grep -qF "no task_group for this pool" "$B/REPORT.md"
check "all-unsupported workload: fastest is n/a" grep -qE '^\| fib \| n/a' "$B/REPORT.md"
check "names with /repeats:R parsed (4-core rep is W=4)" grep -qE '^\| empty \| \*\*work_stealing\*\* \|.*workers:4' "$B/REPORT.md"

# no repetitions, and a pool that is not one of the usual six
run_plot norep "$C"
check "no repetitions: exit 0" test "$rc" -eq 0
while read -r wl winner; do
    if [[ $wl == overall ]]; then
        check "no repetitions: no overall winner" grep -qF "No overall winner" "$C/REPORT.md"
    else
        check "no repetitions: no test on $wl, best median ${winner#tie:}" \
            grep -qF "| $wl | n < 3: no test (best median: ${winner#tie:}) |" "$C/REPORT.md"
    fi
done <"$tmp/expect_C"
check "no repetitions: no queues.png without queues.json" test ! -e "$C/queues.png"

# errors: exit 2 with a message naming the file, never a traceback
expect_error() { # expect_error NAME PATH_IN_MESSAGE args...
    local name="$1" path="$2"; shift 2
    run_plot "$name" "$@"
    check "$name: exit 2" test "$rc" -eq 2
    check "$name: message names $path" grep -qF "plot: error: $path" "$tmp/$name.err"
    check "$name: no traceback" no_traceback "$tmp/$name.err"
}
D="$tmp/bad"
mkdir -p "$D/corrupt" "$D/nopools" "$D/nolist" "$D/empty" "$D/badqueues"
printf '{"context": {}, "benchmarks": [ {"name": "empty/mutex/wor' >"$D/corrupt/pools.json"
printf '{"context": {}, "rows": []}' >"$D/nolist/pools.json"
: >"$D/empty/pools.json"
cp "$C/pools.json" "$D/badqueues/pools.json"
printf 'not json' >"$D/badqueues/queues.json"
expect_error corrupt "$D/corrupt/pools.json" "$D/corrupt"
check "corrupt: says the JSON is unparseable" grep -q "unparseable JSON" "$tmp/corrupt.err"
check "corrupt: names the line" grep -q "at line 1 column" "$tmp/corrupt.err"
expect_error nopools "$D/nopools/pools.json" "$D/nopools"
expect_error missing "$D/does-not-exist" "$D/does-not-exist"
expect_error nolist "$D/nolist/pools.json" "$D/nolist"
check "nolist: says the benchmarks list is missing" grep -q "benchmarks" "$tmp/nolist.err"
expect_error emptyfile "$D/empty/pools.json" "$D/empty"
mkdir -p "$D/norows"
printf '{"context": {}, "benchmarks": [{"name": "empty/mutex/workers:1/real_time", "run_type": "iteration"}]}' >"$D/norows/pools.json"
expect_error norows "$D/norows/pools.json" "$D/norows"
check "norows: says there is no usable row" grep -q "no usable rows" "$tmp/norows.err"
expect_error badqueues "$D/badqueues/queues.json" "$D/badqueues"
expect_error corrupt_in_overlay "$D/corrupt/pools.json" "$A" "$D/corrupt" --out "$tmp/o2"

# a bundle holds plot and poolplot/ side by side, reached through a link too
mkdir -p "$tmp/bundle"
cp "$plot" "$tmp/bundle/plot"
cp -r "$root/scripts/poolplot" "$tmp/bundle/poolplot"
ln -s "$tmp/bundle/plot" "$tmp/plot-link"
check "a copy of plot with poolplot/ beside it runs" "$tmp/plot-link" "$C" --no-plots --out "$tmp/bundle-out"
check "--no-plots writes only REPORT.md" bash -c "[[ -s '$tmp/bundle-out/REPORT.md' && -z \$(ls '$tmp/bundle-out' | grep png) ]]"

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]

#!/usr/bin/env bash
# Test of scripts/run-sweep's rounds, merge and progress, with stand-in
# programs: one shell script under the names pool_bench, queue_bench,
# go_bench and rayon_bench that answers their command line (rows listed
# after the filter, one repetition per run, JSON written, every run logged)
# and "runs" each row by waiting a fixed time, so that the time-left
# estimate can be checked. go_bench writes its JSON laid out as Go's
# encoder does, rayon_bench on one line and without repetition_index, so the
# merge is tested on more than Google Benchmark's layout. Needs no build.
# Checks: R entries per row with repetition_index 0..R-1 and repetitions R,
# in round order; the context of pool_bench's first round with
# outside_programs and each one's compiler; every program once per round,
# the order changing; an absent outside program skipped with one line; a
# failing program: exit 1 and no folder; an interruption: no folder, no
# program left; progress lines in a log and, under script(1), in place on
# a terminal with an estimate right within 20 % and 2 s from the halfway
# mark.
# Usage: tests/bench/run_sweep_test.sh REPO_ROOT
# Set KEEP_TMP=1 to keep the temp dir for inspection.
set -euo pipefail

root=$(cd "$1" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/run_sweep_test.XXXXXX")
if [ "${KEEP_TMP:-0}" = 1 ]; then echo "keeping $tmp"; else trap 'rm -rf "$tmp"' EXIT; fi

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok   - $1"; }
fail() { failed=$((failed + 1)); echo "FAIL - $1"; }
check() { # check "what" command...: passes when the command succeeds
    local what=$1
    shift
    if "$@"; then pass "$what"; else fail "$what"; fi
}
python=$(command -v python3 || true)

# ---- the stand-in programs
progs="$tmp/programs"
mkdir -p "$progs"
cat >"$progs/fake" <<'FAKE'
#!/usr/bin/env bash
set -euo pipefail
me=$(basename "$0")
list=0 filter="" reps=1 out="" shuffle=0
gb=0
case "$me" in pool_bench|queue_bench) gb=1 ;; esac
for a in "$@"; do
    case "$a" in
        --benchmark_list_tests|--benchmark_list_tests=true) list=1 ;;
        --benchmark_filter=*) filter=${a#*=} ;;
        --benchmark_repetitions=*) reps=${a#*=} ;;
        --benchmark_out=*) out=${a#*=} ;;
        --benchmark_out_format=json) ;;
        --benchmark_color=false|--benchmark_display_aggregates_only=true) [ "$gb" -eq 1 ] || { echo "$me: unknown option '$a'" >&2; exit 2; } ;;
        --benchmark_enable_random_interleaving=true) [ "$gb" -eq 1 ] || { echo "$me: unknown option '$a'" >&2; exit 2; }; shuffle=1 ;;
        --cpu-speed) [ "$me" = pool_bench ] || { echo "$me: unknown option '$a'" >&2; exit 2; }
            printf 'cpu 0 2000000\ncpu 3 2600000\n'; exit 0 ;;
        *) echo "$me: unknown option '$a'" >&2; exit 2 ;;
    esac
done
ws=${POOLBENCH_WORKERS:-1,2}
rows=()
case "$me" in
    pool_bench)
        if [ "${POOLBENCH_MEMORY:-0}" = 1 ]; then
            for w in ${ws//,/ }; do rows+=("fib/work_stealing/workers:$w/n:30"); done
        else
            for p in mutex work_stealing; do for w in ${ws//,/ }; do
                rows+=("empty/$p/workers:$w/jobs:1000/real_time" "fib/$p/workers:$w/n:30/real_time")
            done; done
        fi ;;
    queue_bench) rows=("queue_roundtrip/mutex/trips:100/real_time" "queue_roundtrip/mpmc_ring/trips:100/real_time") ;;
    go_bench) for w in ${ws//,/ }; do rows+=("fib/go/workers:$w/n:30/real_time"); done ;;
    rayon_bench) for w in ${ws//,/ }; do rows+=("empty/rayon/workers:$w/jobs:1000/real_time"); done ;;
esac
sel=()
for r in "${rows[@]}"; do
    if [ -z "$filter" ]; then sel+=("$r")
    elif [ "${filter:0:1}" = "-" ]; then grep -qE -- "${filter:1}" <<<"$r" || sel+=("$r")
    elif grep -qE -- "$filter" <<<"$r"; then sel+=("$r"); fi
done
if [ "$list" -eq 1 ]; then
    if [ "${#sel[@]}" -gt 0 ]; then printf '%s\n' "${sel[@]}"; fi
    exit 0
fi
echo "$me ${POOLBENCH_MEMORY:-0} $*" >>"$FAKE_LOG"
if [ "${FAKE_FAIL:-}" = "$me" ]; then echo "$me: failing as told" >&2; exit 3; fi
if [ "$shuffle" -eq 1 ] && [ "${#sel[@]}" -gt 1 ]; then
    mapfile -t sel < <(printf '%s\n' "${sel[@]}" | shuf)
fi
echo "$me: the context" >&2
[ "$gb" -eq 0 ] || printf -- '---\nBenchmark   Time   CPU   Iterations\n---\n'
scale=${FAKE_SCALE:-1}
# A row "runs" by waiting on a pipe no one writes to: bash's read times out
# without starting a process, so a row takes its time however busy the
# machine is (a sleep or awk started per row would take longer under load,
# which no estimate made from the rows before can foresee).
nap=$(mktemp -u "${TMPDIR:-/tmp}/fake_nap.XXXXXX")
mkfifo "$nap"
exec {napfd}<>"$nap"
rm -f "$nap"
entries=()
for ((rep = 0; rep < reps; rep++)); do
    for r in "${sel[@]}"; do
        case "$r" in
            fib/*) ms=300 ;; queue_*) ms=400 ;; *) ms=100 ;;
        esac
        ms=$((ms * scale))
        printf -v secs '%d.%03d' $((ms / 1000)) $((ms % 1000))
        read -r -t "$secs" -u "$napfd" _ || true
        printf '%-50s %8s ms %8s ms %6d jobs_per_s=1M/s\n' "$r" 1.0 1.0 10
        case "$me" in
            go_bench) entries+=("    {
      \"name\": \"$r\",
      \"run_name\": \"$r\",
      \"run_type\": \"iteration\",
      \"repetitions\": $reps,
      \"repetition_index\": $rep,
      \"threads\": 1,
      \"iterations\": 10,
      \"real_time\": 1000000,
      \"cpu_time\": 1000000,
      \"time_unit\": \"ns\",
      \"jobs_per_s\": 1e6
    }") ;;
            rayon_bench) entries+=("{\"name\":\"$r\",\"run_name\":\"$r\",\"run_type\":\"iteration\",\"repetitions\":$reps,\"threads\":1,\"iterations\":10,\"real_time\":1e6,\"cpu_time\":1e6,\"time_unit\":\"ns\",\"jobs_per_s\":1e6,\"label\":\"{[\\\"tricky\\\"]}\"}") ;;
            *) entries+=("    {
      \"name\": \"$r\",
      \"family_index\": 0,
      \"per_family_instance_index\": 0,
      \"run_name\": \"$r\",
      \"run_type\": \"iteration\",
      \"repetitions\": $reps,
      \"repetition_index\": $rep,
      \"threads\": 1,
      \"iterations\": 10,
      \"real_time\": 1.0000000000000000e+00,
      \"cpu_time\": 1.0000000000000000e+00,
      \"time_unit\": \"ms\",
      \"jobs_per_s\": 1.0000000000000000e+06
    }") ;;
        esac
    done
done
[ -n "$out" ] || exit 0
n=${#entries[@]}
case "$me" in
    rayon_bench)
        { printf '{"context":{"date":"x","num_cpus":2,"caches":[{"level":1}],"compiler":"rustc 1.63.0","system":"rayon"},"benchmarks":['
          (IFS=,; printf '%s' "${entries[*]}"); printf ']}'; } >"$out" ;;
    go_bench)
        { printf '{\n  "context": {\n    "date": "x",\n    "load_avg": [\n      0.1\n    ],\n    "compiler": "go1.19.8",\n    "system": "go"\n  },\n  "benchmarks": [\n'
          for ((k = 0; k < n; k++)); do printf '%s%s\n' "${entries[$k]}" "$([ "$k" -lt $((n - 1)) ] && echo ,)"; done
          printf '  ]\n}\n'; } >"$out" ;;
    *)
        { printf '{\n  "context": {\n    "date": "2026-01-01T00:00:00+00:00",\n    "host_name": "fake",\n    "executable": "%s",\n    "num_cpus": 2,\n    "caches": [\n      {\n        "type": "Data",\n        "level": 1,\n        "size": 32768,\n        "num_sharing": 1\n      }\n    ],\n    "load_avg": [0.1,0.2,0.3],\n    "compiler": "GCC fake",\n    "hardware_threads": "2"\n  },\n  "benchmarks": [\n' "$0"
          for ((k = 0; k < n; k++)); do printf '%s%s\n' "${entries[$k]}" "$([ "$k" -lt $((n - 1)) ] && echo ,)"; done
          printf '  ]\n}\n'; } >"$out" ;;
esac
FAKE
chmod 755 "$progs/fake"
for p in pool_bench queue_bench go_bench rayon_bench; do ln -s fake "$progs/$p"; done
export FAKE_LOG="$tmp/calls.log"

filter='^(empty|fib)/|queue_roundtrip'
reps=4
# Two worker counts: pool_bench 8 rows, go_bench 2, rayon_bench 2,
# queue_bench 2: 14 rows, 4 rounds of about 3.2 s.
sweep() { "$root/scripts/run-sweep" --programs "$progs" --filter "$filter" --workers 1,2 --no-wait "$@"; }

# ---- a run with stdout not a terminal
rc=0
sweep --repetitions "$reps" --out "$tmp/results" >"$tmp/log.out" 2>"$tmp/log.err" || rc=$?
folder=$(readlink -f "$tmp/results/latest" || true)
if [ "$rc" -eq 0 ] && [ -n "$folder" ] && [ -s "$folder/pools.json" ]; then
    pass "run-sweep runs the stand-ins and writes pools.json"
else
    cat "$tmp/log.out" "$tmp/log.err"; fail "run-sweep runs the stand-ins and writes pools.json (exit $rc)"
    echo "run_sweep_test: $passed passed, $failed failed"; exit 1
fi
check "the opening line counts every row of the timed passes" \
    grep -q '^run-sweep: 14 benchmarks x 4 repetitions' "$tmp/log.out"
check "the round lists each timed program" \
    grep -qF 'each round runs pool_bench (pools), go_bench (pools), rayon_bench (pools), queue_bench (queues)' "$tmp/log.out"
check "in a log, a plain progress line ends each round" \
    test "$(grep -cE '^\[[ 0-9]+/56  [0-9]{2}:[0-9]{2} elapsed, about [0-9]{2}:[0-9]{2} left\] round [1-4]/4 done$' "$tmp/log.out")" -eq 4
no_escapes() { ! grep -q $'[\r\033]' "$tmp/log.out"; }
check "in a log, no carriage return or terminal escape" no_escapes
check "the last progress line counts all 56 repetitions" \
    grep -qE '^\[56/56 .* round 4/4 done$' "$tmp/log.out"
console_apart() {
    grep -q '^fib/go/workers:2/n:30/real_time ' "$folder/pools.console" && ! grep -q '^fib/go/workers' "$tmp/log.out"
}
check "the programs' per-row lines go to pools.console, not to stdout" console_apart
stderr_kept() {
    [ "$(grep -c '^== pools [1-4]/4: go_bench ==' "$folder/pools.stderr")" -eq 4 ] &&
        grep -q 'queue_bench: the context' "$folder/queues.stderr"
}
check "their messages go to pools.stderr and queues.stderr, under a heading per run" stderr_kept
check "no per-round file is left in the folder" test ! -e "$folder/.rounds"

# every program once per round, the order changing
timed=$(grep -v '^pool_bench 1 ' "$FAKE_LOG" | awk '{ print $1 }')
orders=$(awk -v n=4 '{ o = o (NR % n == 1 ? "" : " ") $1 } NR % n == 0 { print o; o = "" }' <<<"$timed")
once_each() {
    local o
    [ "$(wc -l <<<"$orders")" -eq 4 ] || return 1
    while read -r o; do
        [ "$(tr ' ' '\n' <<<"$o" | sort | tr '\n' ' ')" = "go_bench pool_bench queue_bench rayon_bench " ] || return 1
    done <<<"$orders"
}
check "each round runs each of the four timed programs once" once_each
check "the programs' order changes from round to round" test "$(sort -u <<<"$orders" | wc -l)" -eq 4
options_right() {
    grep '^pool_bench 0 ' "$FAKE_LOG" | grep -q -- '--benchmark_repetitions=1 --benchmark_enable_random_interleaving=true' &&
        grep '^go_bench 0 ' "$FAKE_LOG" | grep -q -- '--benchmark_repetitions=1' &&
        ! grep '^go_bench' "$FAKE_LOG" | grep -q -- '--benchmark_color'
}
check "pool_bench runs one repetition, rows shuffled; go_bench without Google Benchmark's own options" options_right
check "the memory pass runs once, not in rounds" test "$(grep -c '^pool_bench 1 ' "$FAKE_LOG")" -eq 1

# the merged JSON
if [ -n "$python" ]; then
    if "$python" - "$folder" "$reps" >"$tmp/py.out" 2>&1 <<'PY'
import json, sys, collections
folder, reps = sys.argv[1], int(sys.argv[2])
def load(name):
    with open(f"{folder}/{name}") as f:
        return json.load(f)
pools, queues, memory, run = load("pools.json"), load("queues.json"), load("memory.json"), load("run.json")
def check_rounds(doc, rows):
    seen = collections.defaultdict(list)
    last = 0
    for b in doc["benchmarks"]:
        assert b["repetitions"] == reps, b
        assert b["repetition_index"] >= last, "rows out of round order"
        last = b["repetition_index"]
        seen[b["name"]].append(b["repetition_index"])
    assert len(seen) == rows, (len(seen), rows)
    for name, idx in seen.items():
        assert idx == list(range(reps)), (name, idx)
check_rounds(pools, 12)
check_rounds(queues, 2)
c = pools["context"]
assert c["host_name"] == "fake" and c["compiler"] == "GCC fake", c
assert c["outside_programs"] == "go_bench, rayon_bench", c["outside_programs"]
assert c["go_bench_compiler"] == "go1.19.8" and c["rayon_bench_compiler"] == "rustc 1.63.0", c
assert c["sweep_repetitions"] == str(reps) and c["sweep_waited_s"] == "0", c
assert isinstance(c["caches"], list) and c["load_avg"] == [0.1, 0.2, 0.3], c
assert "outside_programs" not in queues["context"]
assert [b["label"] for b in pools["benchmarks"] if "rayon" in b["name"]][0] == '{["tricky"]}'
assert len(memory["benchmarks"]) == 2
assert run["waited_s"] == 0 and run["outside_programs"] == ["go_bench", "rayon_bench"], run
assert run["repetitions"] == reps
# one CPU-speed sample before the rounds and one after each program of each
# round (pool_bench, queue_bench, go_bench, rayon_bench: the oversubscription
# pass has no row here), each in order of time
speed = run["cpu_speed"]
assert len(speed) == 1 + 4 * reps, (len(speed), speed)
assert all(s["ns"] == {"0": 2000000, "3": 2600000} for s in speed), speed
assert [s["t_s"] for s in speed] == sorted(s["t_s"] for s in speed), speed
PY
    then pass "pools.json and queues.json parse: every row $reps times, repetition_index 0..$((reps - 1)) in round order, context with the outside programs"
    else cat "$tmp/py.out"; fail "pools.json and queues.json parse: every row $reps times, repetition_index 0..$((reps - 1)) in round order, context with the outside programs"
    fi
else
    echo "skip - no python3 to parse the JSON"
fi
layout_kept() { # 10 rows laid out by pool_bench and go_bench, 4 times
    local f="$folder/pools.json"
    grep -q '^  "context": {$' "$f" && grep -q '^  "benchmarks": \[$' "$f" &&
        grep -q '^      "repetition_index": 3,$' "$f" && [ "$(grep -c '^    },\?$' "$f")" -eq 40 ]
}
check "the merged pools.json keeps Google Benchmark's layout" layout_kept

# ---- an absent outside program, and a filter only an outside program matches
mkdir "$tmp/fewer"
for p in fake pool_bench queue_bench go_bench; do cp -P "$progs/$p" "$tmp/fewer/$p"; done
rc=0
"$root/scripts/run-sweep" --programs "$tmp/fewer" --filter 'fib/go' --workers 1 --repetitions 2 --no-wait \
    --out "$tmp/fewer-results" >"$tmp/fewer.out" 2>&1 || rc=$?
check "without rayon_bench: one line says its rows are left out" \
    grep -qxF 'run-sweep: no rayon_bench: the rayon rows are left out (no Rust toolchain at build time)' "$tmp/fewer.out"
f2=$(readlink -f "$tmp/fewer-results/latest" || true)
go_alone() {
    [ "$rc" -eq 0 ] && [ "$(grep -c '"name": "fib/go/workers:1/n:30/real_time"' "$f2/pools.json")" -eq 2 ] &&
        grep -q '"outside_programs": "go_bench"' "$f2/pools.json"
}
check "a filter that only go_bench matches runs go_bench alone" go_alone

# ---- a time budget: after 3 rounds of about 3.2 s, the 4th would end past 1 s
rc=0
sweep --repetitions 5 --time-budget 1 --out "$tmp/budget-results" >"$tmp/budget.out" 2>&1 || rc=$?
f3=$(readlink -f "$tmp/budget-results/latest" || true)
budget_kept() {
    [ "$rc" -eq 0 ] &&
        grep -qxF 'run-sweep: round 4 would end past the time budget of 1 s: 3 repetitions' "$tmp/budget.out" &&
        grep -q '"repetitions": 3,' "$f3/pools.json" && ! grep -q '"repetition_index": 3' "$f3/pools.json" &&
        grep -q '"repetitions": 3,' "$f3/run.json"
}
check "a time budget stops the rounds after 3, and the run says it has 3 repetitions" budget_kept
rc=0
sweep --time-budget 0 --out "$tmp/budget-results" >"$tmp/budget0.out" 2>&1 || rc=$?
budget_refused() {
    [ "$rc" -eq 2 ] &&
        grep -qF -e "--time-budget must be a positive whole number of seconds, got '0'" "$tmp/budget0.out"
}
check "--time-budget 0 is refused, naming the value" budget_refused

# ---- a failing program: exit 1, its message, no folder
rc=0
FAKE_FAIL=go_bench sweep --repetitions 2 --out "$tmp/fail-results" >"$tmp/fail.out" 2>&1 || rc=$?
failed_right() {
    [ "$rc" -eq 1 ] && grep -q 'go_bench: failing as told' "$tmp/fail.out" &&
        grep -q 'error: go_bench exited with status 3' "$tmp/fail.out" && [ -z "$(ls -A "$tmp/fail-results")" ]
}
check "a failing go_bench: exit 1, naming it, and no results folder" failed_right

# ---- an interruption: no folder, no program left running
mkdir "$tmp/int-results"
FAKE_SCALE=5 "$root/scripts/run-sweep" --programs "$progs" --filter "$filter" --workers 1,2 --no-wait \
    --repetitions 4 --out "$tmp/int-results" >"$tmp/int.out" 2>&1 &
pid=$!
for _ in $(seq 1 100); do [ -s "$FAKE_LOG" ] && grep -q 'benchmarks x' "$tmp/int.out" && break; sleep 0.1; done
sleep 1
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
sleep 0.5
stopped_clean() {
    [ "$rc" -eq 143 ] && [ -z "$(ls -A "$tmp/int-results")" ] && ! pgrep -f "$progs/" >/dev/null
}
check "an interrupted run exits 143, leaves no folder and no program running" stopped_clean

# ---- on a terminal: one line rewritten in place, the estimate right
if command -v script >/dev/null 2>&1; then
    : >"$FAKE_LOG"
    script -qec "$(printf '%q ' "$root/scripts/run-sweep" --programs "$progs" --filter "$filter" --workers 1,2 \
                  --no-wait --repetitions "$reps" --out "$tmp/tty-results")" "$tmp/tty.typescript" >/dev/null 2>&1 || true
    in_place() {
        [ "$(grep -o $'\r\\[[ 0-9]*/56  ' "$tmp/tty.typescript" | wc -l)" -ge 40 ] &&
            grep -q $'\033\\[K' "$tmp/tty.typescript"
    }
    check "on a terminal, the progress line is rewritten in place (\\r, clear to the end)" in_place
    # every update: done, elapsed, left; the run's counted end is the last
    # update at 56/56. From the halfway mark on, the time left is right
    # within 20 %, plus 2 s: the three clocks compared (elapsed at the update,
    # elapsed at the end, time left) each drop their fraction of a second, so
    # a perfect estimate can read up to 2 s off.
    if tr '\r' '\n' <"$tmp/tty.typescript" |
       grep -oE '^\[[ 0-9]+/56  [0-9]{2}:[0-9]{2} elapsed, about [0-9]{2}:[0-9]{2} left\]' |
       awk '{ gsub(/[][\/:,]/, " "); d = $1; e = $3 * 60 + $4; l = $7 * 60 + $8
              n++; D[n] = d; E[n] = e; L[n] = l; if (d == 56 && !end) end = e }
            END { if (!end || n < 20) { print "too few updates: " n; exit 1 }
                  for (k = 1; k <= n; k++) {
                      if (D[k] < 28 || E[k] >= end) continue
                      real = end - E[k]; err = L[k] - real
                      if (err < 0) err = -err
                      checked++
                      if (err > 0.2 * real + 2) { printf "at %d/56, %d s: %d s left said, %d s true\n", D[k], E[k], L[k], real; bad++ }
                  }
                  print checked " estimates checked from the halfway mark"
                  exit bad > 0 || checked < 5 }' >"$tmp/estimate.out"; then
        pass "from the halfway mark the time left is right within 20 % ($(cat "$tmp/estimate.out"))"
    else
        cat "$tmp/estimate.out"; fail "from the halfway mark the time left is right within 20 %"
    fi
else
    echo "skip - no script(1) to give run-sweep a terminal"
fi

# ---- the speedups at even CPU speeds: fork_cost scaling on each fork-join
# workload, without --filter, where the machine has more than one CPU
mkdir "$tmp/scaling"
for p in fake pool_bench queue_bench; do cp -P "$progs/$p" "$tmp/scaling/$p"; done
cat >"$tmp/scaling/fork_cost" <<'FAKE'
#!/usr/bin/env bash
# fork_cost scaling WHAT --rounds N --seconds S --json FILE, as run-sweep calls it
set -euo pipefail
[ "$1" = scaling ] && [ "$3" = --rounds ] && [ "$5" = --seconds ] && [ "$7" = --json ] ||
    { echo "fork_cost: bad call: $*" >&2; exit 2; }
echo "fork_cost $*" >>"$FAKE_LOG"
if [ "${FAKE_FAIL:-}" = "fork_cost $2" ]; then echo "fork_cost: wrong result (as told)" >&2; exit 1; fi
echo "median of $4 rounds: T1 / T2 1.90x"
printf '{"workload": "%s", "size_key": "n", "size": "7", "tasks": 100, "workers": 2, "runs_per_time": 3,\n "median": {"plain": 1.9, "even": 1.95, "busy": 1.96, "spread": 1.01, "busy_over_alone": 1.0},\n "rounds": [{"plain": 1.9, "even": 1.95, "busy": 1.96, "spread": 1.01, "busy_over_alone": 1.0}]}\n' "$2" >"$8"
FAKE
chmod 755 "$tmp/scaling/fork_cost"
# scaling_sweep NAME [OPTION...]: run-sweep with the stand-ins above, one
# repetition at one worker, into $tmp/NAME, its output in $tmp/NAME.out,
# its exit status in rc; the calls logged afresh.
scaling_sweep() {
    local name=$1
    shift
    : >"$FAKE_LOG"
    rc=0
    "$root/scripts/run-sweep" --programs "$tmp/scaling" --workers 1 --repetitions 1 --no-wait \
        --out "$tmp/$name" "$@" >"$tmp/$name.out" 2>&1 || rc=$?
}
if [ "$(nproc)" -gt 1 ]; then
    scaling_sweep scaling-results
    f3=$(readlink -f "$tmp/scaling-results/latest" || true)
    scaling_written() {
        [ "$rc" -eq 0 ] &&
            [ "$(grep -c '^fork_cost scaling' "$FAKE_LOG")" -eq 5 ] &&
            grep -q '^fork_cost scaling fib --rounds 10 --seconds 30 --json ' "$FAKE_LOG" &&
            [ "$(grep -c '^median of 10 rounds' "$f3/scaling.console")" -eq 5 ] &&
            { [ -z "$python" ] || "$python" -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["rounds"] == 10 and d["seconds"] == 30, d
assert [w["workload"] for w in d["workloads"]] == ["fib", "skynet", "uts", "nqueens", "integrate"], d
' "$f3/scaling.json"; } &&
            ! ls -A "$f3" | grep -q '^\.'
    }
    what="without --filter: fork_cost scaling on the five fork-join workloads, 10 rounds each (30 s at most), in scaling.json"
    if scaling_written; then pass "$what"; else cat "$tmp/scaling-results.out"; fail "$what (exit $rc)"; fi
    if [ -f "$f3/REPORT.md" ]; then  # run-sweep plots where it finds matplotlib and scipy
        check "REPORT.md shows the speedups at even CPU speeds" \
            grep -q '^| nqueens | n:7 | 1.90x' "$f3/REPORT.md"
    fi
    FAKE_FAIL="fork_cost uts" scaling_sweep scaling-fail
    scaling_failed() {
        [ "$rc" -eq 1 ] && grep -q 'wrong result (as told)' "$tmp/scaling-fail.out" &&
            grep -q 'error: fork_cost scaling uts exited with status 1' "$tmp/scaling-fail.out" &&
            [ -z "$(ls -A "$tmp/scaling-fail")" ]
    }
    check "a failing fork_cost scaling: exit 1, naming it, and no results folder" scaling_failed
    scaling_sweep scaling-filtered --filter '^fib/'
    fib_only() {
        [ "$rc" -eq 0 ] && [ "$(grep -c '^fork_cost scaling' "$FAKE_LOG")" -eq 1 ] &&
            grep -q '^fork_cost scaling fib ' "$FAKE_LOG" &&
            grep -q '"workload": "fib"' "$tmp/scaling-filtered/latest/scaling.json"
    }
    check "with --filter '^fib/': the scaling pass runs fib alone" fib_only
    scaling_sweep scaling-none --filter '^empty/'
    no_scaling() {
        [ "$rc" -eq 0 ] && ! grep -q '^fork_cost' "$FAKE_LOG" && [ ! -e "$tmp/scaling-none/latest/scaling.json" ]
    }
    check "with a filter that keeps no fork-join row of work_stealing: no scaling pass" no_scaling
else
    echo "skip - one CPU: run-sweep has no speedup to measure"
fi

echo "run_sweep_test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

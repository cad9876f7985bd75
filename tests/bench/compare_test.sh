#!/usr/bin/env bash
# compare_e2e: scripts/compare on two small real runs of pool_bench (three
# repetitions of two rows each): exit 0, a line per row with its change and
# its p, a geometric-mean line per pool, COMPARE.md and compare.png under
# --out; then a folder compared with one that is not a results folder: exit 2.
# Usage: compare_test.sh SOURCE_DIR BUILD_DIR
set -uo pipefail
root=${1:?source dir}
build=${2:?build dir}
pool_bench="$build/bench/pool_bench"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/compare_test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

failed=0
check() { # check "what" command...
    local what=$1; shift
    if "$@" >/dev/null 2>&1; then echo "ok   - $what"; else echo "FAIL - $what"; failed=$((failed + 1)); fi
}

for run in a b; do
    mkdir -p "$tmp/$run"
    POOLBENCH_QUICK=1 POOLBENCH_WORKERS=1 "$pool_bench" \
        --benchmark_filter='^empty/(work_stealing|mutex)/workers:1/' \
        --benchmark_repetitions=3 --benchmark_min_time=0.01 \
        --benchmark_out="$tmp/$run/pools.json" --benchmark_out_format=json >/dev/null 2>&1 ||
        { echo "FAIL - pool_bench run $run"; exit 1; }
done

rc=0
"$root/scripts/compare" "$tmp/a" "$tmp/b" --out "$tmp/cmp" >"$tmp/out" 2>"$tmp/err" || rc=$?
check "compare of two runs exits 0 (got $rc: $(head -c 300 "$tmp/err"))" test "$rc" -eq 0
check "a line for empty/work_stealing" grep -q 'empty/work_stealing/workers:1/jobs:' "$tmp/out"
check "a line for empty/mutex" grep -q 'empty/mutex/workers:1/jobs:' "$tmp/out"
check "a geometric mean per pool" grep -qE '^\| pools.json \| work_stealing +\| +1 \|' "$tmp/out"
check "COMPARE.md written" test -s "$tmp/cmp/COMPARE.md"
check "compare.png written" test -s "$tmp/cmp/compare.png"

mkdir -p "$tmp/not-results"
rc=0
"$root/scripts/compare" "$tmp/a" "$tmp/not-results" >"$tmp/out2" 2>"$tmp/err2" || rc=$?
check "a folder without results exits 2 (got $rc)" test "$rc" -eq 2
check "the message names the folder" grep -qF "$tmp/not-results" "$tmp/err2"
check "no traceback" bash -c "! grep -q Traceback '$tmp/err2'"

[ "$failed" -eq 0 ] || { echo "compare_test: $failed failed"; exit 1; }
echo "compare_test: all passed"

#!/usr/bin/env bash
# Test of scripts/bundle and the bundle's run-sweep: makes a bundle from the
# programs of a build tree, unpacks it into a temporary folder, runs one small
# row (and the outside baselines' same row, when the build has them) in two
# rounds with a cleared environment, checks with ldd that each bundled
# program takes every library beyond the C runtime from the bundle (go_bench:
# none at all; rayon_bench: none beyond the C runtime and libgcc_s), and
# checks the bad-input errors (exit 2, naming the problem, nothing run).
# Usage: tests/bench/bundle_test.sh REPO_ROOT BUILD_DIR
# Set KEEP_TMP=1 to keep the temp dir for inspection.
set -euo pipefail

root=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bundle_test.XXXXXX")
if [ "${KEEP_TMP:-0}" = 1 ]; then echo "keeping $tmp"; else trap 'rm -rf "$tmp"' EXIT; fi

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok   - $1"; }
fail() { failed=$((failed + 1)); echo "FAIL - $1"; }
clean() { env -i PATH=/usr/bin:/bin "$@"; }   # what a bare target machine gives

# ---- make and unpack
if "$root/scripts/bundle" --build-dir "$build" --out "$tmp/poolbench-bundle-test.tar.gz" >"$tmp/bundle.out" 2>&1; then
    pass "scripts/bundle writes the tarball"
else
    cat "$tmp/bundle.out"; fail "scripts/bundle writes the tarball"; exit 1
fi
mkdir "$tmp/target"
tar -C "$tmp/target" -xf "$tmp/poolbench-bundle-test.tar.gz"
b="$tmp/target/poolbench-bundle"
# the outside baselines this build has
outside=()
for p in go_bench rayon_bench; do
    if [ -x "$build/bench/$p" ]; then outside+=("$p"); else echo "skip - no $build/bench/$p to bundle"; fi
done
for f in run-sweep plot poolplot/cli.py MANIFEST bin/pool_bench bin/queue_bench bin/fork_cost "${outside[@]/#/bin/}"; do
    if [ -e "$b/$f" ]; then pass "the bundle holds $f"; else fail "the bundle holds $f"; fi
done
for p in "${outside[@]}"; do
    if grep -qE "^${p}_compiler: (go|rustc )[0-9]" "$b/MANIFEST"; then pass "MANIFEST names ${p}'s compiler"
    else fail "MANIFEST names ${p}'s compiler: $(grep "^${p}_compiler" "$b/MANIFEST" || echo none)"; fi
done
if grep -qE '^git_revision: ' "$b/MANIFEST" && grep -qE '^glibc_required: [0-9]' "$b/MANIFEST" &&
   grep -qE '^arch: ' "$b/MANIFEST" && grep -qE '^compiler: ' "$b/MANIFEST" &&
   grep -qE '^library: lib/' "$b/MANIFEST"; then
    pass "MANIFEST names revision, compiler, libraries, arch and glibc"
else
    fail "MANIFEST names revision, compiler, libraries, arch and glibc"
fi

# ---- every library beyond the C runtime resolves inside the bundle
c_runtime='^(linux-vdso|linux-gate|ld-linux[^ ]*|libc|libm|libpthread|libdl|librt|libresolv|libutil|libmvec|libanl)\.so'
for p in pool_bench queue_bench fork_cost "${outside[@]}"; do
    listing=$(clean ldd "$b/bin/$p" 2>&1 || true)
    if grep -qE 'not a dynamic executable|statically linked' <<<"$listing"; then
        pass "ldd: $p is statically linked"
        continue
    fi
    # libgcc_s, which glibc itself loads, may come from the machine for the
    # outside programs (they have no run path to the bundle's lib/)
    runtime=$c_runtime
    case "$p" in go_bench|rayon_bench) runtime="$c_runtime|^libgcc_s\.so" ;; esac
    elsewhere=$(awk '$2 == "=>" { print $1, $3 }' <<<"$listing" |
                grep -vE "$runtime" | grep -v " $b/bin/../lib/" || true)
    missing=$(grep 'not found' <<<"$listing" || true)
    if [ -z "$elsewhere" ] && [ -z "$missing" ]; then
        pass "ldd: $p takes every non-C-runtime library from the bundle"
    else
        fail "ldd: $p takes every non-C-runtime library from the bundle: $elsewhere $missing"
    fi
done

# ---- one small row (and the outside baselines' same row), two rounds,
# cleared environment
row='^empty/(work_stealing|go|rayon)/workers:[12]/jobs:100000/'
if clean "$b/run-sweep" --filter "$row" --workers 1,2 --repetitions 2 --no-wait >"$tmp/run.out" 2>&1; then
    pass "run-sweep runs one row with a cleared environment"
else
    cat "$tmp/run.out"; fail "run-sweep runs one row with a cleared environment"
fi
folder=$(readlink -f "$b/results/latest" || true)
if [ -n "$folder" ] && [ -s "$folder/pools.json" ] && [ -s "$folder/MANIFEST" ]; then
    pass "run-sweep writes a results folder with pools.json and MANIFEST"
else
    fail "run-sweep writes a results folder with pools.json and MANIFEST"
fi
if [ -n "$folder" ] && grep -q '"empty/work_stealing/workers:2/jobs:100000/' "$folder/pools.json" &&
   grep -q '"poolbench_workers": "1,2"' "$folder/pools.json"; then
    pass "pools.json holds the rows at the chosen worker counts"
else
    fail "pools.json holds the rows at the chosen worker counts"
fi
# two rounds merged: each row twice, repetition_index 0 and 1
rounds=$(grep -c '"name": "empty/work_stealing/workers:[12]/jobs:100000/real_time"' "$folder/pools.json" || true)
second=$(grep -c '"repetition_index": 1' "$folder/pools.json" || true)
if [ "$rounds" -eq 4 ] && [ "$second" -ge 2 ]; then
    pass "pools.json holds both rounds of each row"
else
    fail "pools.json holds both rounds of each row ($rounds rows, $second of the second round)"
fi
for p in "${outside[@]}"; do
    system=${p%_bench}
    if grep -q "\"empty/$system/workers:2/jobs:100000/" "$folder/pools.json" &&
       grep -q "\"${p}_compiler\": " "$folder/pools.json"; then
        pass "pools.json holds $p's rows and its compiler"
    else
        fail "pools.json holds $p's rows and its compiler"
    fi
done
if grep -q '^run-sweep: report: ' "$tmp/run.out"; then
    if [ -s "$folder/REPORT.md" ] && [ -s "$folder/empty_speedup.png" ]; then
        pass "run-sweep plots there, the speedup plot included"
    else
        fail "run-sweep plots there, the speedup plot included"
    fi
elif grep -q 'scripts/plot ' "$tmp/run.out"; then
    pass "without matplotlib, run-sweep prints the plot command"
else
    fail "without matplotlib, run-sweep prints the plot command"
fi

# ---- bad input: exit 2, the value named, nothing run
expect_error() { # expect_error "what" "text in the message" args...
    local what=$1 text=$2 rc=0
    shift 2
    clean "$b/run-sweep" "$@" >"$tmp/bad.out" 2>&1 || rc=$?
    if [ "$rc" -eq 2 ] && grep -qF -- "$text" "$tmp/bad.out" && ! grep -q 'benchmarks x' "$tmp/bad.out"; then
        pass "$what"
    else
        fail "$what (exit $rc): $(cat "$tmp/bad.out")"
    fi
}
expect_error "--workers 0 is refused" "'0'" --workers 0
expect_error "--workers with a negative is refused" "'-3'" --workers 1,-3
expect_error "--workers with a non-number is refused" "'two'" --workers 1,two
expect_error "--workers with a duplicate is refused" "4 is listed twice" --workers 1,4,4
expect_error "a filter that matches nothing is refused" "matches no benchmark" --filter 'no_such_workload'
touch "$tmp/a-file"
expect_error "an unwritable results folder is refused" "results folder" --out "$tmp/a-file/results"
cp "$b/MANIFEST" "$tmp/MANIFEST.orig"
sed -i 's/^arch: .*/arch: riscv64/' "$b/MANIFEST"
expect_error "another CPU architecture is refused" "built for riscv64"
cp "$tmp/MANIFEST.orig" "$b/MANIFEST"
sed -i 's/^glibc_required: .*/glibc_required: 99.1/' "$b/MANIFEST"
expect_error "an older glibc is refused" "needs glibc 99.1"
cp "$tmp/MANIFEST.orig" "$b/MANIFEST"

# ---- an interrupted run leaves no folder that looks finished
listing() { # listing DIR [visible]: its entries, the hidden ones too unless "visible"
    if [ -n "${2:-}" ]; then find "$1" -mindepth 1 -maxdepth 1 -not -name '.*' -printf '%f\n'
    else find "$1" -mindepth 1 -maxdepth 1 -printf '%f\n'; fi | sort
}
before=$(listing "$b/results" visible)
# env execs run-sweep, so $! is run-sweep itself
env -i PATH=/usr/bin:/bin "$b/run-sweep" --filter '^(cpu|skewed)/' --workers 1 --repetitions 5 --no-wait \
    >"$tmp/int.out" 2>&1 &
pid=$!
for _ in $(seq 1 100); do grep -q 'benchmarks x' "$tmp/int.out" 2>/dev/null && break; sleep 0.1; done
sleep 0.5
kill -TERM "$pid"
wait "$pid" 2>/dev/null || true
after=$(listing "$b/results")
if [ "$before" = "$(listing "$b/results" visible)" ] && ! grep -q '^\.tmp-' <<<"$after" &&
   ! pgrep -f "$b/bin/" >/dev/null; then
    pass "an interrupted run-sweep stops its program and leaves no results folder behind"
else
    fail "an interrupted run-sweep stops its program and leaves no results folder behind: $after"
fi

echo "bundle_test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

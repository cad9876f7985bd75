#!/usr/bin/env bash
# shellcheck disable=SC2016  # the sh -c child scripts take $1 unexpanded
# End-to-end tests of poolrun with real child processes: every row runs
# exactly once, fields stay literal (no shell), failures/timeouts/malformed
# rows are reported, SIGINT leaves no child behind, --retries and --failed-out
# round-trip, bad usage exits 2. Usage: test_poolrun.sh PATH/TO/poolrun
# Prints ok/FAIL per check and "N passed, M failed"; exits 1 on any failure.
set -euo pipefail

if [[ $# -ne 1 || $1 == -h || $1 == --help ]]; then
    echo "usage: $0 PATH/TO/poolrun" >&2
    exit 2
fi
poolrun=$(realpath "$1")
work=$(mktemp -d)
bg_pid=
cleanup() {
    if [[ -n $bg_pid ]]; then kill -KILL "$bg_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
cd "$work"

passed=0
failed=0
check() {  # check NAME COMMAND...: runs COMMAND, ok if it succeeds
    local name=$1
    shift
    if "$@"; then
        echo "ok   - $name"
        passed=$((passed + 1))
    else
        echo "FAIL - $name"
        failed=$((failed + 1))
    fi
}
contains() { grep -qF -- "$2" "$1"; }
is_gone() { ! kill -0 "$1" 2> /dev/null; }
none_match() { ! pgrep -f "$1" > /dev/null; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# 1. 500 rows, 20 workers: each row's child appends its id; each id once.
seq 1 500 > ids.csv
rc=0
"$poolrun" --workers 20 --csv ids.csv -- sh -c 'echo "$1" >> seen.txt' _ '{1}' \
    > out1.txt 2> err1.txt || rc=$?
check "500 rows: exit 0" test "$rc" -eq 0
check "500 rows: each row ran exactly once" \
    test "$(sort seen.txt | uniq -c | awk '$1 == 1' | wc -l)" -eq 500 -a "$(wc -l < seen.txt)" -eq 500
check "500 rows: 500 ok lines" test "$(grep -c '^row [0-9]* ok: exit 0' out1.txt)" -eq 500
check "500 rows: summary" contains err1.txt "ran 500, succeeded 500, failed 0, skipped 0"

# 2. Shell metacharacters stay literal and each field is one argv element.
mkdir meta
cat > meta.csv <<'CSV'
; touch pwned
$(touch pwned2)
`touch pwned3` && touch pwned4
"a b | c > pwned5"
"it's ""quoted"", with, commas"
CSV
rc=0
"$poolrun" --csv meta.csv --output-dir meta -- printf '[%s]\n' '{1}' > out2.txt 2>&1 || rc=$?
check "metacharacters: exit 0" test "$rc" -eq 0
check "metacharacters: no file created" test -z "$(find . -name 'pwned*')"
check "metacharacters: ; arrives as one argument" test "$(cat meta/1.out)" = '[; touch pwned]'
check "metacharacters: \$( ) arrives as one argument" test "$(cat meta/2.out)" = '[$(touch pwned2)]'
check "metacharacters: backquotes and && literal" \
    test "$(cat meta/3.out)" = '[`touch pwned3` && touch pwned4]'
check "metacharacters: quoted field with | and >" test "$(cat meta/4.out)" = '[a b | c > pwned5]'
check "metacharacters: doubled quotes and commas" \
    test "$(cat meta/5.out)" = "[it's \"quoted\", with, commas]"
check "metacharacters: report shell-quotes the argument" contains out2.txt "printf '[%s]\n' '; touch pwned'"

# 3. A failing row does not stop the others; exit status 1.
printf '0\n0\n3\n0\n0\n' > codes.csv
rc=0
"$poolrun" --workers 2 --csv codes.csv -- sh -c 'exit "$1"' _ '{1}' > out3.txt 2> err3.txt || rc=$?
check "failing row: exit 1" test "$rc" -eq 1
check "failing row: reported with its status" contains out3.txt "row 3 FAILED: exit 3"
check "failing row: the other four succeed" test "$(grep -c ' ok: ' out3.txt)" -eq 4
check "failing row: summary" contains err3.txt "ran 5, succeeded 4, failed 1, skipped 0"

# 4. --timeout ends a long command quickly and reports it failed.
printf '1\n' > one.csv
start=$(now_ms)
rc=0
"$poolrun" --csv one.csv --timeout 0.5 -- sleep 30 > out4.txt 2>&1 || rc=$?
elapsed=$(($(now_ms) - start))
check "timeout: exit 1" test "$rc" -eq 1
check "timeout: reported as timeout" contains out4.txt "row 1 FAILED: timeout after 0.5 s"
check "timeout: finished in under 5 s (took ${elapsed} ms)" test "$elapsed" -lt 5000

# 5. Malformed CSV lines are reported with their line number; the rest runs.
printf 'a,1\nb"x,2\n"c\nd",3\n"e"junk,4\nf,5\n"g,6\n' > bad.csv
rc=0
"$poolrun" --csv bad.csv -- sh -c 'echo "$1" >> good.txt' _ '{1}' > out5.txt 2> err5.txt || rc=$?
check "malformed: exit 1" test "$rc" -eq 1
check "malformed: quote in unquoted field, line 2" contains out5.txt "row 2 SKIPPED: line 2: quote inside"
check "malformed: text after closing quote, line 5" contains out5.txt "row 4 SKIPPED: line 5: unexpected"
check "malformed: unterminated quote at EOF, line 7" contains out5.txt "row 6 SKIPPED: line 7: unterminated"
check "malformed: the good rows ran" test "$(sort good.txt | tr '\n' ' ')" = "a c d f "
check "malformed: summary" contains err5.txt "ran 3, succeeded 3, failed 0, skipped 3"

# 6. Too few columns for the template.
printf 'a,b,c\nd,e\n' > short.csv
rc=0
"$poolrun" --csv short.csv -- echo '{3}' > out6.txt 2>&1 || rc=$?
check "too few columns: exit 1" test "$rc" -eq 1
check "too few columns: reported with line" \
    contains out6.txt "row 2 SKIPPED: line 2: row has 2 columns, the command uses {3}"

# 7. SIGINT: running children (and their own children) are ended; exit 130.
marker="0.00$$"
seq 1 20 > many.csv
"$poolrun" --workers 4 --csv many.csv -- sh -c 'sleep 30 "$1" & sleep 30 "$1"; wait' _ "$marker" \
    > out7.txt 2> err7.txt &
bg_pid=$!
for _ in $(seq 100); do
    [[ $(pgrep -fc "^sleep 30 $marker" || true) -ge 8 ]] && break
    sleep 0.1
done
check "SIGINT: children were running" test "$(pgrep -fc "^sleep 30 $marker" || true)" -ge 8
kill -INT "$bg_pid"
for _ in $(seq 100); do
    kill -0 "$bg_pid" 2>/dev/null || break
    sleep 0.1
done
check "SIGINT: poolrun exited" is_gone "$bg_pid"
rc=0
wait "$bg_pid" || rc=$?
bg_pid=
check "SIGINT: exit 130" test "$rc" -eq 130
check "SIGINT: no child left" none_match "$marker"
check "SIGINT: summary says so" contains err7.txt "stopped by SIGINT"
check "SIGINT: running rows reported interrupted" test "$(grep -c 'FAILED: interrupted' out7.txt)" -eq 4

# 8. --retries: each row fails once, then succeeds.
mkdir tries
printf 'x\ny\n' > retry.csv
rc=0
"$poolrun" --csv retry.csv --retries 2 -- \
    sh -c '[ -e "$2/$1" ] && exit 0; touch "$2/$1"; exit 1' _ '{1}' tries > out8.txt 2>&1 || rc=$?
check "retries: exit 0" test "$rc" -eq 0
check "retries: two attempts reported" test "$(grep -c ' ok: exit 0, [0-9]* ms, 2 attempts' out8.txt)" -eq 2

# 9. --failed-out writes failed and too-short rows as CSV that runs again.
cat > mixed.csv <<'CSV'
name,code
ok one,0
"fails, with comma",1
"multi
line ""quoted""",2
short
ok two,0
CSV
rc=0
"$poolrun" --csv mixed.csv --header --failed-out failed.csv -- sh -c 'exit "$1"' _ '{2}' \
    > out9.txt 2> err9.txt || rc=$?
check "failed-out: exit 1" test "$rc" -eq 1
check "failed-out: rows count after the header, lines count physical lines" \
    contains out9.txt "row 4 SKIPPED: line 6: row has 1 column"
check "failed-out: holds the header and the failed rows" python3 - failed.csv <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
want = [["name", "code"], ["fails, with comma", "1"], ['multi\nline "quoted"', "2"], ["short"]]
sys.exit(0 if rows[0] == want[0] and sorted(rows[1:]) == sorted(want[1:]) else 1)
PY
rc=0
"$poolrun" --csv failed.csv --header -- sh -c 'echo "$1" >> rerun.txt' _ '{1}' \
    > out9b.txt 2> err9b.txt || rc=$?
check "failed-out: fed back in, the same rows run" contains err9b.txt "ran 3, succeeded 3"
check "failed-out: fields survive the round trip" contains rerun.txt 'line "quoted"'

# 10. --csv - reads stdin; {row} counts data rows after --header; --quiet.
rc=0
printf 'h\na\nb\n' | "$poolrun" --csv - --header --quiet -- sh -c 'echo "$1=$2" >> rows.txt' _ '{row}' '{1}' \
    > out10.txt 2>&1 || rc=$?
check "stdin: exit 0" test "$rc" -eq 0
check "stdin: {row} after --header" test "$(sort rows.txt | tr '\n' ' ')" = "1=a 2=b "
check "quiet: no per-row lines for successes" bash -c "! grep -q '^row' out10.txt"

# 11. Bad usage: one line on stderr and exit 2.
usage_case() {  # usage_case EXPECTED-TEXT ARGS...
    local want=$1 rc=0
    shift
    "$poolrun" "$@" > /dev/null 2> usage.txt < /dev/null || rc=$?
    [[ $rc -eq 2 && $(wc -l < usage.txt) -eq 1 ]] && grep -qF -- "$want" usage.txt
}
check "usage: unknown option" usage_case "unknown option '--frobnicate'" --frobnicate --csv one.csv -- true
check "usage: missing --csv" usage_case "missing --csv" -- true
check "usage: missing command" usage_case "missing command" --csv one.csv --
check "usage: no -- at all" usage_case "missing command" --csv one.csv
check "usage: --workers 0" usage_case "--workers must be between 1 and 4096, got 0" --workers 0 --csv one.csv -- true
check "usage: --workers abc" usage_case "--workers wants a whole number, got 'abc'" --workers abc --csv one.csv -- true
check "usage: --workers 5000" usage_case "got 5000" --workers 5000 --csv one.csv -- true
check "usage: --timeout -1" usage_case "--timeout wants a number of seconds" --timeout -1 --csv one.csv -- true
check "usage: unreadable CSV" usage_case "cannot open CSV file 'missing.csv'" --csv missing.csv -- true
check "usage: bad placeholder" usage_case "unmatched '{'" --csv one.csv -- echo '{x'
check "usage: {name} without --header" usage_case "{x} names a column by its header, which needs --header" --csv one.csv -- echo '{x}'
check "usage: --help exits 0" "$poolrun" --help > /dev/null

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]

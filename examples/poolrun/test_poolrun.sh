#!/usr/bin/env bash
# shellcheck disable=SC2016  # the sh -c child scripts take $1 unexpanded
# End-to-end tests of poolrun with real child processes: every row runs
# exactly once, fields stay literal (no shell), failures/timeouts/malformed
# rows are reported, SIGINT leaves no child behind, --retries and --failed-out
# round-trip, the job log and --resume, a dead stdout, --halt, --progress,
# --dry-run, {name}, --output-name, --delay/--retry-delay, many workers, a
# BOM and long fields, a watcher killed after it logged, a job log that
# cannot be written, a resume stopped before it read its logged successes,
# a stop that cuts the record being read, a stop while waiting for the job
# log, bad usage exits 2. The
# interrupted-and-resumed run is test_poolrun_resume.sh.
# Usage: test_poolrun.sh PATH/TO/poolrun
# Prints ok/FAIL per check and "N passed, M failed"; exits 1 on any failure.
set -euo pipefail

if [[ $# -ne 1 || $1 == -h || $1 == --help ]]; then
    echo "usage: $0 PATH/TO/poolrun" >&2
    exit 2
fi
poolrun=$(realpath "$1")
# shellcheck source=examples/poolrun/test_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/test_lib.sh"
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
# The group's last SIGKILL is sent before poolrun exits, but a process dies
# when it is next scheduled: allow it that moment (5 s at most).
for _ in $(seq 50); do
    none_match "$marker" && break
    sleep 0.1
done
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

# 12. --joblog and --resume: one line per finished row; --resume skips the
# logged successes and failures, --resume-failed runs the failures again.
printf 'a,0\nb,3\nc,0\n' > jl.csv
rc=0
"$poolrun" --csv jl.csv --joblog jl.log -- sh -c 'echo "$1" >> jl-runs.txt; exit "$2"' _ '{1}' '{2}' \
    > out12.txt 2>&1 || rc=$?
check "joblog: exit 1" test "$rc" -eq 1
check "joblog: header and one line per row" test "$(head -1 jl.log)" = "row,hash,start,seconds,status,attempts" -a "$(wc -l < jl.log)" -eq 4
check "joblog: status column" test "$(cut -d, -f1,5 jl.log | sort | tr '\n' ' ')" = "1,0 2,3 3,0 row,status "
"$poolrun" --csv jl.csv --joblog jl.log --resume -- sh -c 'echo "$1" >> jl-runs.txt; exit "$2"' _ '{1}' '{2}' \
    > out12b.txt 2> err12b.txt || true
check "resume: nothing left to run" test "$(wc -l < jl-runs.txt)" -eq 3
check "resume: summary counts the rows already done" contains err12b.txt "ran 0, succeeded 0, failed 0, skipped 0, already succeeded 2, already failed 1"
rc=0
"$poolrun" --csv jl.csv --joblog jl.log --resume-failed -- sh -c 'echo "$1" >> jl-runs.txt' _ '{1}' \
    > out12c.txt 2>&1 || rc=$?
check "resume-failed: only the failed row runs again" test "$(sort jl-runs.txt | tr '\n' ' ')" = "a b b c " -a "$rc" -eq 0
printf 'a,0\nB,3\nc,0\n' > jl2.csv
rc=0
"$poolrun" --csv jl2.csv --joblog jl.log --resume -- true > out12d.txt 2> err12d.txt || rc=$?
check "resume: another CSV than the logged one is refused (exit 2)" test "$rc" -eq 2
check "resume: the refusal names the row" contains err12d.txt "row 2 of the CSV is not the row the job log has"
check "usage: --joblog is the CSV" usage_case "--joblog 'one.csv' is the CSV" --joblog one.csv --csv one.csv -- true
printf 'row,hash,start,seconds,status,attempts\n' > kept.log
ln -sf kept.log kept-link.log
check "usage: --failed-out is the job log" usage_case "--failed-out 'kept-link.log' is the job log" \
    --joblog kept.log --failed-out kept-link.log --csv one.csv -- true
check "usage: --failed-out is the job log: the log is not emptied" test -s kept.log
check "usage: --failed-out is a new job log" usage_case "--failed-out 'new.log' is the job log" \
    --joblog new.log --failed-out new.log --csv one.csv -- true
check "usage: --failed-out is a new job log: nothing created" test ! -e new.log
check "usage: --resume needs --joblog" usage_case "--resume and --resume-failed need --joblog" --resume --csv one.csv -- true

# 13. After SIGINT, --failed-out holds the interrupted, queued and unread
# rows, so running it finishes the job: each of 40 rows runs, none is lost.
# A child the stop ends after its echo but before its exit (the stop lands
# while the first children finish) is reported interrupted and runs again:
# such a row, and only such a row, shows twice.
printf 'ticket\n' > forty.csv
seq -f 'T-%g' 1001 1040 >> forty.csv
"$poolrun" -w 4 --csv forty.csv --header --failed-out left.csv -- \
    sh -c 'sleep 0.3; echo "$1" >> forty-runs.txt' _ '{ticket}' > out13.txt 2> err13.txt &
bg_pid=$!
signal_when INT test -s forty-runs.txt
check "stop: exit 130" test "$rc" -eq 130
check "stop: the summary says where the unread rows went" contains err13.txt "copied to --failed-out unread"
"$poolrun" -w 8 --csv left.csv --header -- sh -c 'echo "$1" >> forty-runs.txt' _ '{ticket}' \
    > out13b.txt 2>&1 || true
# Each row that ran twice was reported interrupted by the first run and is
# in left.csv, and ran no more.
twice_only_if_interrupted() {
    local row count
    while read -r count row; do
        [[ $count -eq 1 ]] && continue
        if [[ $count -ne 2 ]] || ! grep -qx -- "$row" left.csv ||
            ! grep -qE -- "^row [0-9]+ FAILED: interrupted, .* _ $row\$" out13.txt; then
            echo "  $row ran $count times; left.csv: $(tail -n +2 left.csv | tr '\n' ' ')" >&2
            return 1
        fi
    done < <(sort forty-runs.txt | uniq -c)
}
check "stop: --failed-out alone finishes the job, no row lost" \
    test "$(sort -u forty-runs.txt | wc -l)" -eq 40
check "stop: a row runs twice only when the stop ended it after its work" twice_only_if_interrupted

# 14. A dead stdout: a closed pipe stops the run (141), a full disk exits 1.
seq 1 300 > three.csv
set +o pipefail
"$poolrun" -w 2 --csv three.csv -- sh -c 'echo "$1"; echo "$1" >> piped.txt' _ '{1}' 2> err14.txt | head -1 > /dev/null
rc=${PIPESTATUS[0]}
set -o pipefail
check "broken pipe: exit 141" test "$rc" -eq 141
check "broken pipe: far from all 300 rows started ($(wc -l < piped.txt))" test "$(wc -l < piped.txt)" -lt 100
check "broken pipe: said so" contains err14.txt "writing the report failed (Broken pipe)"
if [[ -w /dev/full ]]; then
    rc=0
    "$poolrun" --csv three.csv -- true > /dev/full 2> err14b.txt || rc=$?
    check "full stdout: exit 1" test "$rc" -eq 1
    check "full stdout: said so" contains err14b.txt "No space left on device"
fi

# 15. --halt: soon lets running rows finish; now terminates them; P%.
seq 1 100 > hundred.csv
rc=0
"$poolrun" -w 2 --halt soon,fail=5 --csv hundred.csv -- sh -c 'echo x >> halted.txt; exit 1' \
    > out15.txt 2> err15.txt || rc=$?
check "halt soon: exit 1" test "$rc" -eq 1
check "halt soon: at most fail + workers - 1 rows ran ($(wc -l < halted.txt))" test "$(wc -l < halted.txt)" -le 6
check "halt soon: said so" contains err15.txt "halted after 5 failed rows (--halt)"
start=$(now_ms)
rc=0
"$poolrun" -w 4 --halt now,fail=1 --csv hundred.csv -- sh -c 'if [ "$1" = 1 ]; then sleep 2; exit 1; fi; sleep 30' _ '{1}' \
    > out15b.txt 2> err15b.txt || rc=$?
elapsed=$(($(now_ms) - start))
check "halt now: exit 1, within 10 s (took ${elapsed} ms)" test "$rc" -eq 1 -a "$elapsed" -lt 10000
check "halt now: running rows were terminated" contains out15b.txt "FAILED: interrupted"
rc=0
"$poolrun" -w 2 --halt fail=50% --csv hundred.csv -- sh -c 'exit $(($1 % 2))' _ '{1}' \
    > out15c.txt 2> err15c.txt || rc=$?
check "halt percent: stopped early" test "$rc" -eq 1 -a "$(grep -c '^row' out15c.txt)" -lt 30
check "usage: bad --halt" usage_case "--halt wants" --halt later --csv one.csv -- true

# 16. --progress draws on a terminal only.
seq 1 5 > five.csv
"$poolrun" --progress -q --csv five.csv -- true 2> err16.txt
check "progress: nothing when stderr is not a terminal" bash -c "! grep -q \$'\\r' err16.txt"
if command -v script > /dev/null; then
    script -qec "'$poolrun' --progress -q -w 1 --csv five.csv -- sleep 0.3" /dev/null > tty16.txt 2>&1 || true
    check "progress: a status line on a terminal" contains tty16.txt "/5 done, 0 failed"
fi

# 17. --dry-run runs nothing and prints commands a shell runs as they would.
printf '%s\n' 'a b,x' "it's,\$(touch pwned6)" > dry.csv
rc=0
"$poolrun" --dry-run --csv dry.csv -- sh -c 'echo "$1" >> dry-runs.txt' _ '{1}' > dry.sh 2> err17.txt || rc=$?
check "dry run: exit 0, nothing ran" test "$rc" -eq 0 -a ! -e dry-runs.txt
check "dry run: one line per row" test "$(wc -l < dry.sh)" -eq 2
sh dry.sh
check "dry run: the lines are shell-quoted exactly" test "$(tr '\n' '|' < dry-runs.txt)" = "a b|it's|" -a ! -e pwned6

# 18. {name} picks a column by its header; an unknown name stops before any row.
printf 'id,ticket,customer\n1,T-7,Ann\n' > named.csv
"$poolrun" --csv named.csv --header -- sh -c 'echo "$1/$2" > named.txt' _ '{customer}' '{ticket}' > /dev/null 2>&1
check "names: {customer} and {ticket}" test "$(cat named.txt)" = "Ann/T-7"
rc=0
"$poolrun" --csv named.csv --header -- sh -c 'touch named-ran' _ '{tiket}' > out18.txt 2> err18.txt || rc=$?
check "names: unknown name exits 2 and nothing ran" test "$rc" -eq 2 -a ! -e named-ran
check "names: the error lists the header" contains err18.txt "{tiket} is not a column of the header; its names are: id, ticket, customer"

# 19. --output-name: a re-run of the failures into the same folder changes
# no other row's files; a repeated name gets -2; a bad name skips the row.
printf 'ticket,code\nT-1,0\nT-2,1\nT-3,0\nT-1,0\n../up,0\n' > tickets.csv
"$poolrun" --csv tickets.csv --header --output-dir logs --output-name '{ticket}' --failed-out again.csv -- \
    sh -c 'echo "$1 $RANDOM"; exit "$2"' _ '{ticket}' '{code}' > out19.txt 2>&1 || true
check "output-name: files named by ticket, a repeat made unique" \
    test -f logs/T-1.out -a -f logs/T-2.out -a -f logs/T-3.out -a -f logs/T-1-2.out
check "output-name: a name with .. or / skips the row" contains out19.txt "SKIPPED: line 6: --output-name gives ../up"
check "output-name: nothing written outside the folder" test ! -e up.out
sums_before=$(md5sum logs/T-1.out logs/T-3.out logs/T-1-2.out)
sed -i 's/^T-2,1$/T-2,0/' again.csv
"$poolrun" --csv again.csv --header --output-dir logs --output-name '{ticket}' -- \
    sh -c 'echo "$1 again"; exit "$2"' _ '{ticket}' '{code}' > out19b.txt 2>&1 || true
check "output-name: the re-run rewrote its own row" contains logs/T-2.out "T-2 again"
check "output-name: the re-run left the other rows' files alone" \
    test "$(md5sum logs/T-1.out logs/T-3.out logs/T-1-2.out)" = "$sums_before"
check "usage: --output-name without --output-dir" usage_case "--output-name needs --output-dir" --csv one.csv --output-name '{1}' -- true
check "usage: --output-name with a bad placeholder" usage_case "--output-name: " --csv one.csv --output-dir d --output-name '{x' -- true

# 20. --delay spaces starts; --retry-delay doubles; hopeless errors are not
# retried. Checked by lower bounds on the wall time, which load cannot break.
printf '1\n2\n3\n' > delay.csv
start=$(now_ms)
"$poolrun" -w 3 --delay 0.5 --csv delay.csv -- true > /dev/null 2>&1
elapsed=$(($(now_ms) - start))
check "delay: 3 starts 0.5 s apart take at least 1 s (took ${elapsed} ms)" test "$elapsed" -ge 1000
printf 'r\n' > retry1.csv
start=$(now_ms)
"$poolrun" --retries 2 --retry-delay 0.3 --csv retry1.csv -- sh -c 'echo x >> tries.txt; exit 1' > out20.txt 2>&1 || true
elapsed=$(($(now_ms) - start))
check "retry-delay: 3 attempts" test "$(wc -l < tries.txt)" -eq 3
check "retry-delay: 0.3 s then 0.6 s, at least 0.9 s (took ${elapsed} ms)" test "$elapsed" -ge 900
printf '%s\n' './no-such-tool' > missing.csv
rc=0
"$poolrun" --retries 3 --csv missing.csv -- '{1}' > out20b.txt 2>&1 || rc=$?
check "no retry: a command not found fails once" grep -qE "FAILED: cannot run: No such file or directory, [0-9]+ ms, 1 attempt:" out20b.txt
printf '#!/bin/sh\n' > not-exec.sh
check "usage: a command not found stops before any row" usage_case "command 'no-such-tool-xyz' not found in PATH" --csv one.csv -- no-such-tool-xyz '{1}'
check "usage: a command that is not executable" usage_case "command './not-exec.sh' is not an executable file" --csv one.csv -- ./not-exec.sh

# 21. Many workers: 4096 workers on 12 rows: a short input starts only the
# workers it needs.
seq 1 12 > twelve.csv
start=$(now_ms)
"$poolrun" -q -w 4096 --csv twelve.csv -- true > /dev/null 2> err21.txt
elapsed=$(($(now_ms) - start))
check "4096 workers, 12 rows: all ran, in under 20 s (took ${elapsed} ms)" \
    test "$elapsed" -lt 20000 -a "$(grep -c 'ran 12, succeeded 12' err21.txt)" -eq 1
# A pipe that pauses after 12 rows: all 4096 workers start, and stop. (Not
# under ThreadSanitizer, whose thread start-up alone takes a minute here;
# under AddressSanitizer 4096 thread starts took 22 s on a 2-core VM, so
# the bound, there only to catch a hang, is a minute.)
if [[ -z ${TSAN_OPTIONS:-} ]]; then
    limit_s=20
    if [[ -n ${ASAN_OPTIONS:-} ]]; then limit_s=60; fi
    start=$(now_ms)
    (seq 1 12; sleep 0.2) | "$poolrun" -q -w 4096 --csv - -- true > /dev/null 2> err21b.txt
    elapsed=$(($(now_ms) - start))
    check "4096 started workers, 12 rows: all ran, in under $limit_s s (took ${elapsed} ms)" \
        test "$elapsed" -lt $((limit_s * 1000)) -a "$(grep -c 'ran 12, succeeded 12' err21b.txt)" -eq 1
fi

# 22. A byte-order mark is dropped, malformed rows go to --failed-out
# verbatim, a long field is cut in the report and not retried (E2BIG),
# and --failed-out - is stdout.
printf '\xEF\xBB\xBFid,v\n1,a\n"b"x,2\r\n' > bom.csv
head -c 300000 /dev/zero | tr '\0' z | sed 's/^/3,/' >> bom.csv
echo >> bom.csv
rc=0
"$poolrun" --retries 2 --csv bom.csv --header --failed-out - -- echo '{id}' '{v}' > stdout22.txt 2> err22.txt || rc=$?
check "bom: {id} found in the header" contains stdout22.txt "1 a"
check "failed-out -: no file named -" test ! -e ./-
check "failed-out -: the header, without the mark" test "$(head -1 stdout22.txt)" = "id,v"
check "failed-out: a malformed row verbatim" grep -qF "$(printf '"b"x,2\r')" stdout22.txt
check "failed-out -: report lines went to stderr" contains err22.txt "SKIPPED: line 3"
check "long field: cut in the report" contains err22.txt "zzz...(300000 bytes)"
check "long field: the report line stays short" test "$(awk '{ if (length($0) > m) m = length($0) } END { print m }' err22.txt)" -lt 1000
check "long field: argument list too long, not retried" grep -qE "Argument list too long, [0-9]+ ms, 1 attempt:" err22.txt

# 23. A hard stop that kills a row watcher after it logged its row's success
# and before it could tell poolrun: the log is what happened, so the row is
# reported ok and --failed-out does not hold it (a re-run would repeat it).
printf 'w1\n' > window.csv
POOLRUN_TEST_HOLD_REPORT_MS=5000 "$poolrun" --csv window.csv --joblog window.log \
    --failed-out window-left.csv -- true > out23.txt 2> err23.txt &
bg_pid=$!
signal_when INT grep -q '^1,' window.log
check "killed watcher: exit 130" test "$rc" -eq 130
check "killed watcher: the row is logged once, as succeeded" \
    test "$(grep -c '^1,' window.log)" -eq 1 -a "$(grep '^1,' window.log | cut -d, -f5)" = 0
check "killed watcher: reported ok" contains out23.txt "row 1 ok: exit 0"
check "killed watcher: not in --failed-out" test ! -s window-left.csv

# 24. A job log that cannot be written (a file-size limit stands in for a
# full disk): the run stops, --failed-out holds exactly the rows that did not
# succeed, the summary names the successes the log lacks, and the next run
# on the log does not lose its first line to the half-written last one.
seq 1 80 > disk.csv
rc=0
(
    trap '' XFSZ  # a write past the limit then fails with EFBIG, as ENOSPC would
    ulimit -f 2
    exec "$poolrun" -w 2 --csv disk.csv --joblog disk.log --failed-out disk-left.csv -- \
        sh -c 'sleep 0.02; echo "$1" >> disk-runs.txt' _ '{1}' > /dev/null 2> err24.txt
) || rc=$?
check "full job log: exit 1, said so" test "$rc" -eq 1 && contains err24.txt "writing the job log failed"
check "full job log: stopped early ($(wc -l < disk-runs.txt) of 80 ran)" test "$(wc -l < disk-runs.txt)" -lt 80
check "full job log: --failed-out holds exactly the rows that did not run" \
    test "$(sort -n disk-runs.txt disk-left.csv | tr '\n' ' ')" = "$(seq 1 80 | tr '\n' ' ')"
unlogged=$(comm -23 <(sort disk-runs.txt) <(awk -F, '$5 == "0" { print $1 }' disk.log | sort) | sort -n | tr '\n' ' ')
names_rows() {  # names_rows LINE ROW...: LINE names each ROW
    local line=$1 r
    shift
    [[ $# -gt 0 ]] || return 1
    for r in "$@"; do [[ " ${line//,/ } " == *" $r "* ]] || return 1; done
}
# shellcheck disable=SC2086  # one argument per row
check "full job log: the summary names the rows the log lacks ($unlogged)" \
    names_rows "$(grep 'succeeded but could not be logged' err24.txt)" $unlogged
"$poolrun" -q -w 2 --csv disk.csv --joblog disk.log --resume -- sh -c 'echo "$1" >> disk-runs.txt' _ '{1}' \
    > /dev/null 2>&1 || true
check "full job log: a resume runs the rest, and again only the unlogged rows" \
    test "$(sort -n disk-runs.txt | uniq -d | tr '\n' ' ')" = "$unlogged" -a "$(sort -u disk-runs.txt | wc -l)" -eq 80
check "full job log: after the resume the log has every row" \
    test "$(awk -F, '$5 == "0"' disk.log | wc -l)" -eq 80


# 25. A --resume stopped before its reader got to rows the job log has as
# succeeded: --failed-out leaves them out (re-running it would repeat them).
seq 1 8 > eight.csv
"$poolrun" -q --csv eight.csv --joblog eight.log -- sh -c 'exit $(($1 == 5 || $1 == 6 ? 0 : 1))' _ '{1}' \
    > /dev/null 2>&1 || true
# Row 1 runs, row 2 waits out --delay holding a slot, row 3 is queued and the
# reader blocks on row 4: rows 5 to 8 are unread when the stop comes.
"$poolrun" -w 1 --delay 5 --csv eight.csv --joblog eight.log --resume-failed --failed-out eight-left.csv -- \
    true > out25.txt 2> err25.txt &
bg_pid=$!
signal_when INT grep -q '^1,.*,0,1$' eight.log
check "stopped resume: exit 130" test "$rc" -eq 130
check "stopped resume: --failed-out holds the unfinished rows, not the logged successes" \
    test "$(sort -n eight-left.csv | tr '\n' ' ')" = "2 3 4 7 8 "
check "stopped resume: the summary says how many were left out" \
    contains err25.txt "2 unread rows the job log has as succeeded were left out"

# 26. A stop while a record that crosses the end of the first 64 KiB read is
# in hand: as in 25, rows 1 to 3 are taken and the reader blocks on row 4;
# after the stop it gives row 4 up and reads row 5, which spans the two
# reads. --failed-out holds row 5 whole, and every other row not run, as they
# are in the CSV.
long_field() { head -c "$1" /dev/zero | tr '\0' x; }
for r in 1 2 3 4; do echo "$r,$(long_field 15000)"; done > cut.csv
{ echo "5,\"$(long_field 5000)"; echo "$(long_field 5000)\""; } >> cut.csv
seq 6 8 | sed 's/$/,y/' >> cut.csv
"$poolrun" -w 1 --delay 5 --csv cut.csv --joblog cut.log --failed-out cut-left.csv -- true \
    > out26.txt 2> err26.txt &
bg_pid=$!
signal_when INT grep -q '^1,.*,0,1$' cut.log
check "cut record: exit 130" test "$rc" -eq 130
check "cut record: --failed-out holds rows 2 to 8 as they are in the CSV" \
    cmp -s <(tail -n +2 cut.csv | sort) <(sort cut-left.csv)
# On a pipe the stop ends the read itself: a record cut short by it is left
# out of --failed-out (its rest was never read), and the summary says so.
mkfifo cut.fifo
{ printf '1,a\n2,b\n3,"cut'; exec sleep 30; } > cut.fifo &
writer=$!
"$poolrun" -w 1 --delay 5 --csv cut.fifo --joblog cutp.log --failed-out cutp-left.csv -- true \
    > out26p.txt 2> err26p.txt &
bg_pid=$!
signal_when INT grep -q '^1,.*,0,1$' cutp.log
kill "$writer" 2> /dev/null || true
check "cut record on a pipe: exit 130" test "$rc" -eq 130
check "cut record on a pipe: --failed-out holds row 2, not the cut row 3" test "$(cat cutp-left.csv)" = "2,b"
check "cut record on a pipe: the summary says the rest was not read" \
    contains err26p.txt "the rest of the CSV was not read"
# A stop before the header came: a stop (exit 130), not an empty CSV.
mkfifo head.fifo
sleep 30 > head.fifo &
writer=$!
"$poolrun" --header --csv head.fifo --failed-out head-left.csv -- echo '{name}' > out26h.txt 2> err26h.txt &
bg_pid=$!
sleep 0.5
signal_when INT true
kill "$writer" 2> /dev/null || true
check "stop before the header: exit 130, not a usage error" test "$rc" -eq 130
check "stop before the header: the summary says the CSV was not read" \
    contains err26h.txt "the rest of the CSV was not read"

# 27. A stop while the run waits for the job log (another process holds it):
# nothing runs, and an earlier --failed-out is left as it was, not emptied.
printf 'from,before\n' > left27.csv
flock wait27.log sleep 30 &
holder=$!
for _ in $(seq 100); do flock -n wait27.log true || break; sleep 0.05; done
"$poolrun" --csv eight.csv --joblog wait27.log --resume --failed-out left27.csv -- \
    sh -c 'echo "$1" >> runs27.txt' _ '{1}' > /dev/null 2> err27.txt &
bg_pid=$!
signal_when TERM contains err27.txt "waiting for the job log"
kill "$holder" 2> /dev/null || true
wait "$holder" 2> /dev/null || true
check "stop while waiting for the job log: exit 143" test "$rc" -eq 143
check "stop while waiting for the job log: nothing ran" test ! -e runs27.txt
check "stop while waiting for the job log: --failed-out left as it was" \
    test "$(cat left27.csv)" = "from,before"
check "stop while waiting for the job log: said so" contains err27.txt "before any row ran"

finish

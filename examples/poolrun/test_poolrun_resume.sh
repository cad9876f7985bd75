#!/usr/bin/env bash
# shellcheck disable=SC2016  # the sh -c child script takes $1 unexpanded
# poolrun's promise for a long job: stopped at any point (SIGINT, SIGTERM,
# SIGHUP, kill -9 of poolrun itself) and resumed with --resume, every row runs
# exactly once. 1,000 rows; several runs, each interrupted at a random moment
# while rows are running, then --resume-failed to the end. Every 97th row's
# command crashes (SIGSEGV) the first time, so the crashed rows are logged as
# failed, skipped by --resume and run again by --resume-failed. Counted from
# the commands' own log of successful runs. Also: after each catchable stop,
# the rows in --failed-out plus the rows logged as done are all the rows,
# each once (or, for a stop that came while a killed run's commands still
# held the job log, --failed-out is left as it was).
# Usage: test_poolrun_resume.sh PATH/TO/poolrun [SEED]
# Prints ok/FAIL per check and "N passed, M failed"; exits 1 on any failure.
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 || $1 == -h || $1 == --help ]]; then
    echo "usage: $0 PATH/TO/poolrun [SEED]" >&2
    exit 2
fi
poolrun=$(realpath "$1")
# shellcheck source=examples/poolrun/test_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/test_lib.sh"
RANDOM=${2:-$$}
echo "seed ${2:-$$}"

rows=1000
{
    echo "id,pause"
    for i in $(seq 1 $rows); do echo "$i,0.0$((i % 4))"; done
} > rows.csv
: > runs.log

# The command: a crash the first time for every 97th row, else a pause and
# its row logged as its last act. A stop's SIGTERM is ignored from just
# before that act: killed between the log line and its exit, a command would
# count as not done and run again, which no runner can tell apart (README).
mkdir crashed
command=(sh -c '
    if [ $(($1 % 97)) -eq 0 ] && [ ! -e "crashed/$1" ]; then touch "crashed/$1"; kill -SEGV $$; fi
    sleep "$2"; trap "" TERM; echo "$1" >> runs.log' _ '{id}' '{pause}')

# Runs poolrun on what is left.
start_run() {
    "$poolrun" -q -w 8 --csv rows.csv --header --joblog job.log --resume --failed-out left.csv -- \
        "${command[@]}" > /dev/null 2>> poolrun.err &
    bg_pid=$!
}

# The rows the job log has as succeeded, or as finished, one number a line.
logged_ok() { awk -F, 'NR > 1 && $5 == "0" { print $1 }' job.log | sort -n | uniq; }
logged_done() { awk -F, 'NR > 1 && $5 != "interrupted" { print $1 }' job.log | sort -n | uniq; }

for sig in INT KILL TERM KILL HUP TERM; do
    before=$(wc -l < runs.log)
    left_before=$(cksum 2> /dev/null < left.csv || true)
    err_before=$(wc -l 2> /dev/null < poolrun.err || echo 0)
    start_run
    # Wait for this run to get going, then stop it at a random moment.
    for _ in $(seq 200); do
        [[ $(wc -l < runs.log) -gt $before ]] && break
        sleep 0.02
    done
    sleep "0.$((RANDOM % 10))$((RANDOM % 10))"
    kill "-$sig" "$bg_pid" 2> /dev/null || true
    rc=0
    wait "$bg_pid" || rc=$?
    bg_pid=
    echo "# SIG$sig: exit $rc, $(wc -l < runs.log) runs so far"
    if [[ $sig != KILL ]]; then
        # (0 or 1 if the run ended before the signal came)
        check "SIG$sig: exit 128+N" test "$rc" -eq "$(($(kill -l "$sig") + 128))" -o "$rc" -le 1
        # Stopped while a killed run's commands still held the job log, or
        # before poolrun took over its signals: no summary, nothing ran, and
        # --failed-out was left as it was.
        if ! tail -n +$((err_before + 1)) poolrun.err | grep -q '^poolrun: ran '; then
            check "SIG$sig: stopped before the run began, --failed-out untouched" \
                test "$(cksum < left.csv)" = "$left_before"
            continue
        fi
        # --failed-out (less its header) holds every row not logged as succeeded.
        bad=$( (tail -n +2 left.csv | cut -d, -f1; logged_ok; seq 1 $rows) | sort -n | uniq -c |
            awk '$1 != 2 { print $2 }' | tr '\n' ' ')
        check "SIG$sig: --failed-out and the job log's successes together hold every row once${bad:+ (not: $bad)}" \
            test -z "$bad"
    fi
done

rc=0
"$poolrun" -q -w 8 --csv rows.csv --header --joblog job.log --resume -- \
    "${command[@]}" > /dev/null 2>> poolrun.err || rc=$?
check "run to the end: exit 1, the crashed rows failed" test "$rc" -eq 1
check "the job log has every row as finished" test "$(logged_done | wc -l)" -eq $rows
# A crash logged as SIGSEGV for each crash, but for one a stop cut short
# between the marker and the kill (it ran again without crashing).
crashes=$(grep -c ',SIGSEGV,' job.log || true)
check "the crashes are logged as SIGSEGV ($crashes)" test "$crashes" -ge 1 -a "$crashes" -le "$(find crashed -type f | wc -l)"
rc=0
"$poolrun" -q -w 8 --csv rows.csv --header --joblog job.log --resume-failed -- \
    "${command[@]}" > /dev/null 2>> poolrun.err || rc=$?
check "--resume-failed: exit 0" test "$rc" -eq 0
check "every row ran exactly once ($(wc -l < runs.log) runs logged)" \
    test "$(sort -n runs.log | uniq -c | awk '$1 == 1' | wc -l)" -eq $rows -a "$(wc -l < runs.log)" -eq $rows
check "the job log has every row as succeeded" test "$(logged_ok | wc -l)" -eq $rows
check "a resume of the finished job runs nothing" \
    "$poolrun" -q --csv rows.csv --header --joblog job.log --resume -- false

finish

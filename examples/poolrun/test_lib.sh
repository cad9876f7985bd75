# shellcheck shell=bash
# What poolrun's end-to-end tests share, sourced after `poolrun` is set: a
# scratch folder to work in (removed at exit, with a background poolrun
# whose pid is in bg_pid), and check/finish to count and print results.

# Under ThreadSanitizer each exit would sleep 1 s for threads to finish (the
# signal thread never does): not needed for these many short runs.
if [[ -n ${TSAN_OPTIONS:-} ]]; then export TSAN_OPTIONS="$TSAN_OPTIONS atexit_sleep_ms=0"; fi
work=$(mktemp -d)
bg_pid=
cleanup() {
    if [[ -n $bg_pid ]]; then kill -KILL "$bg_pid" 2> /dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
cd "$work" || exit 2

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

# signal_when SIGNAL COMMAND...: waits (10 s at most) until COMMAND
# succeeds, sends SIGNAL to the background run in bg_pid and waits for it;
# its exit status is left in rc.
# shellcheck disable=SC2034  # rc is the caller's
signal_when() {
    local sig=$1 _
    shift
    for _ in $(seq 200); do
        "$@" 2> /dev/null && break
        sleep 0.05
    done
    kill "-$sig" "$bg_pid"
    rc=0
    wait "$bg_pid" || rc=$?
    bg_pid=
}

finish() {  # prints the counts; fails if any check failed
    echo "$passed passed, $failed failed"
    [[ $failed -eq 0 ]]
}

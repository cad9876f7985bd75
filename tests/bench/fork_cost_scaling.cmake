# Checks `fork_cost scaling`, run by ctest as
#   cmake -DFORK_COST=<fork_cost> -P fork_cost_scaling.cmake
# fib and skynet each exit 0 and print a line per round, each over as many
# CPUs as nproc counts and with its speedups at even and at busy speeds,
# then the medians; pinned to a single CPU (taskset, where it is
# installed) the rounds are over that one CPU; bad input (an unknown
# recursion, a size that is no number or too big, an unknown UTS tree, 0
# rounds, a missing size) exits 2 with a message naming the problem. (A
# UTS tree is not run here: each has about 4 million nodes.)
cmake_minimum_required(VERSION 3.25)

if(NOT FORK_COST)
    message(FATAL_ERROR "usage: cmake -DFORK_COST=<fork_cost> -P ${CMAKE_CURRENT_LIST_FILE}")
endif()

# check_run(<expected CPUs> <rounds> <command...>): exits 0, prints <rounds>
# round lines over <expected CPUs> CPUs and the medians' line.
function(check_run cpus rounds)
    execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "'${ARGN}' exited ${rc}: ${err}")
    endif()
    string(REGEX MATCHALL "round [0-9]+: 1 worker [0-9.]+ to [0-9.]+ ns per task over ${cpus} CPUs[^\n]*at even speeds [0-9.]+x, at busy speeds [0-9.]+x\n"
           found "${out}")
    list(LENGTH found n)
    if(NOT n EQUAL rounds)
        message(FATAL_ERROR "'${ARGN}': ${n} round lines over ${cpus} CPUs, ${rounds} expected:\n${out}")
    endif()
    if(NOT out MATCHES "median of ${rounds} rounds: T1 / T${cpus} [0-9.]+x [^\n]*at even speeds [0-9.]+x, at busy speeds [0-9.]+x")
        message(FATAL_ERROR "'${ARGN}': no line of medians:\n${out}")
    endif()
endfunction()

# check_refused(<message regex> <command...>): exits 2 saying why.
function(check_refused why)
    execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(NOT rc EQUAL 2)
        message(FATAL_ERROR "'${ARGN}' exited ${rc}, 2 expected: ${out}${err}")
    endif()
    if(NOT err MATCHES "${why}")
        message(FATAL_ERROR "'${ARGN}': its message does not say '${why}': ${err}")
    endif()
endfunction()

execute_process(COMMAND nproc OUTPUT_VARIABLE nproc OUTPUT_STRIP_TRAILING_WHITESPACE)
check_run(${nproc} 2 ${FORK_COST} scaling fib 12 2)
check_run(${nproc} 1 ${FORK_COST} scaling skynet 3 1)

# The first CPU this process may run on: the one taskset pins to.
find_program(TASKSET taskset)
file(STRINGS /proc/self/status allowed REGEX "^Cpus_allowed_list:")
if(TASKSET AND allowed MATCHES "^Cpus_allowed_list:[ \t]*([0-9]+)")
    check_run(1 1 ${TASKSET} -c ${CMAKE_MATCH_1} ${FORK_COST} scaling fib 12 1)
endif()

check_refused("usage: fork_cost scaling" ${FORK_COST} scaling tree 3)
check_refused("usage: fork_cost scaling" ${FORK_COST} scaling fib)
check_refused("N must be a non-negative integer, got 'x'" ${FORK_COST} scaling fib x)
check_refused("N = 41 is too big" ${FORK_COST} scaling fib 41)
check_refused("DEPTH = 9 is too big" ${FORK_COST} scaling skynet 9)
check_refused("no UTS tree 't9'" ${FORK_COST} scaling uts t9)
check_refused("rounds must be at least 1" ${FORK_COST} scaling fib 12 0)

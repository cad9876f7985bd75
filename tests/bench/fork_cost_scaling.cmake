# Checks `fork_cost scaling`, run by ctest as
#   cmake -DFORK_COST=<fork_cost> -P fork_cost_scaling.cmake
# fib, skynet, nqueens and integrate each exit 0 and print a line per
# round, each over as many CPUs as nproc counts and with its speedups at
# even and at busy speeds, then the medians; without a size, fib runs the
# quick sweep's n = 30; --seconds S starts no round after S seconds (the
# first always runs); --json writes the rounds and medians as JSON that
# names the workload and its size; pinned to a single CPU (taskset, where
# it is installed) the rounds are over that one CPU; bad input (no or an
# unknown recursion, a size that is no number or out of range, an unknown
# UTS tree, 0 rounds, rounds given twice, seconds that are no number, an
# option without its value or unknown) exits 2 with a message naming the problem. (A UTS tree is not
# run here: each has about 4 million nodes.)
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
check_run(${nproc} 2 ${FORK_COST} scaling nqueens 6 --rounds 2)
check_run(${nproc} 1 ${FORK_COST} scaling integrate 10 1)
# --seconds 0: no limit; --seconds 1 stops a million rounds of a few
# milliseconds within about a second, with the medians of those it ran.
check_run(${nproc} 2 ${FORK_COST} scaling fib 12 --rounds 2 --seconds 0)
execute_process(COMMAND ${FORK_COST} scaling fib 12 --rounds 1000000 --seconds 1
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 30)
if(NOT rc EQUAL 0 OR NOT out MATCHES "median of ([0-9]+) rounds: T1 / T${nproc} ")
    message(FATAL_ERROR "--seconds 1 did not stop the rounds (exit ${rc}): ${err}")
endif()
if(CMAKE_MATCH_1 GREATER_EQUAL 1000000)
    message(FATAL_ERROR "--seconds 1 ran all ${CMAKE_MATCH_1} rounds")
endif()

# --json: the rounds and medians, the workload and its size (the quick
# sweep's fib n = 30 when no size is given).
set(json_file ${CMAKE_CURRENT_BINARY_DIR}/fork_cost_scaling_test.json)
file(REMOVE ${json_file})
check_run(${nproc} 1 ${FORK_COST} scaling fib --json ${json_file} --rounds 1)
file(READ ${json_file} json)
string(JSON workload GET "${json}" workload)
string(JSON size GET "${json}" size)
string(JSON workers GET "${json}" workers)
string(JSON rounds LENGTH "${json}" rounds)
string(JSON even GET "${json}" median even)
string(JSON one LENGTH "${json}" rounds 0 one_s)
if(NOT workload STREQUAL "fib" OR NOT size STREQUAL "30" OR NOT workers EQUAL nproc
   OR NOT rounds EQUAL 1 OR NOT one EQUAL nproc OR NOT even GREATER 0)
    message(FATAL_ERROR "--json wrote an unexpected object:\n${json}")
endif()
file(REMOVE ${json_file})

# The first CPU this process may run on: the one taskset pins to.
find_program(TASKSET taskset)
file(STRINGS /proc/self/status allowed REGEX "^Cpus_allowed_list:")
if(TASKSET AND allowed MATCHES "^Cpus_allowed_list:[ \t]*([0-9]+)")
    check_run(1 1 ${TASKSET} -c ${CMAKE_MATCH_1} ${FORK_COST} scaling fib 12 1)
endif()

check_refused("usage: fork_cost scaling" ${FORK_COST} scaling tree 3)
check_refused("usage: fork_cost scaling" ${FORK_COST} scaling)
check_refused("usage: fork_cost scaling" ${FORK_COST} scaling fib 12 2 --rounds 2)
check_refused("usage: fork_cost scaling" ${FORK_COST} scaling fib --bogus)
check_refused("--json needs a value" ${FORK_COST} scaling fib 12 --json)
check_refused("seconds must be a non-negative integer, got 'x'" ${FORK_COST} scaling fib 12 --seconds x)
check_refused("N = 17 is out of range \\(1 to 16\\)" ${FORK_COST} scaling nqueens 17)
check_refused("N = 0 is out of range" ${FORK_COST} scaling integrate 0)
check_refused("N must be a non-negative integer, got 'x'" ${FORK_COST} scaling fib x)
check_refused("N = 41 is too big" ${FORK_COST} scaling fib 41)
check_refused("DEPTH = 9 is too big" ${FORK_COST} scaling skynet 9)
check_refused("no UTS tree 't9'" ${FORK_COST} scaling uts t9)
check_refused("rounds must be at least 1" ${FORK_COST} scaling fib 12 0)

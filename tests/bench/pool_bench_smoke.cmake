# Smoke test of pool_bench, run by ctest as
#   cmake -DPOOL_BENCH=<pool_bench> -DOUT=<json file> -P pool_bench_smoke.cmake
# Runs the smallest rows of every workload with POOLBENCH_QUICK=1 and checks:
# exit status 0, a row for every workload, and no error but "unsupported: ...".
cmake_minimum_required(VERSION 3.25)

if(NOT POOL_BENCH OR NOT OUT)
    message(FATAL_ERROR "usage: cmake -DPOOL_BENCH=<pool_bench> -DOUT=<json> -P ${CMAKE_CURRENT_LIST_FILE}")
endif()

set(workloads empty cpu skewed tree fib producers sleep idle latency reference
    parallel_for uts nqueens bursty)
# The research workloads at one or two worker counts: parallel_for at one
# grain, uts for a few pools and baselines (each row is a tree of 1.4e6 nodes).
set(filter "^(reference/|(empty|cpu|skewed|producers)/[^/]+/workers:[12]/jobs:1000/|tree/[^/]+/workers:[12]/depth:10/|fib/[^/]+/workers:[12]/|sleep/[^/]+/workers:(1|8)/|(idle|latency)/[^/]+/workers:[12]/|parallel_for/[^/]+/workers:[12]/n:[0-9]+/(grain:4096/|iterations)|uts/(serial|work_stealing|asio|openmp)/workers:[12]/|nqueens/[^/]+/workers:[12]/|bursty/[^/]+/workers:1/)")

file(REMOVE ${OUT})
execute_process(
    COMMAND ${CMAKE_COMMAND} -E env POOLBENCH_QUICK=1
            ${POOL_BENCH} --benchmark_filter=${filter}
            --benchmark_out=${OUT} --benchmark_out_format=json
    RESULT_VARIABLE rc
    OUTPUT_VARIABLE out
    ERROR_VARIABLE err
    TIMEOUT 580)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "pool_bench exited with '${rc}'\n${out}\n${err}")
endif()
if(NOT EXISTS ${OUT})
    message(FATAL_ERROR "pool_bench wrote no ${OUT}\n${out}\n${err}")
endif()

file(READ ${OUT} json)
string(JSON rows LENGTH "${json}" benchmarks)
set(seen "")
set(failures "")
set(unsupported 0)
math(EXPR last "${rows} - 1")
foreach(i RANGE ${last})
    string(JSON name GET "${json}" benchmarks ${i} name)
    string(REGEX MATCH "^[^/]+" workload "${name}")
    list(APPEND seen ${workload})
    string(JSON error ERROR_VARIABLE no_error GET "${json}" benchmarks ${i} error_occurred)
    if(NOT no_error AND error)
        string(JSON why GET "${json}" benchmarks ${i} error_message)
        if(why MATCHES "^unsupported: ")
            math(EXPR unsupported "${unsupported} + 1")
        else()
            string(APPEND failures "  ${name}: ${why}\n")
        endif()
    endif()
endforeach()

foreach(w IN LISTS workloads)
    if(NOT w IN_LIST seen)
        string(APPEND failures "  workload '${w}' has no row\n")
    endif()
endforeach()
if(failures)
    message(FATAL_ERROR "pool_bench smoke test failed:\n${failures}")
endif()
message(STATUS "pool_bench smoke: ${rows} rows, ${unsupported} unsupported, all others measured")

# Smoke test of pool_bench, run by ctest as
#   cmake -DPOOL_BENCH=<pool_bench> -DOUT=<json file> -P pool_bench_smoke.cmake
# Runs the smallest rows of every workload (with the shortest timed loops:
# this checks behaviour, not speed) and checks:
# exit status 0, a row for every workload, and no error but "unsupported: ...".
cmake_minimum_required(VERSION 3.25)

if(NOT POOL_BENCH OR NOT OUT)
    message(FATAL_ERROR "usage: cmake -DPOOL_BENCH=<pool_bench> -DOUT=<json> -P ${CMAKE_CURRENT_LIST_FILE}")
endif()

set(workloads empty cpu skewed tree fib producers sleep idle latency reference
    parallel_for uts nqueens bursty skynet integrate matmul mergesort chain spawn_busy small_for
    reduce)
# Three runs, so that every workload's smallest rows are covered: the full
# sweep's (POOLBENCH_QUICK=0) smallest job counts and tree depth, which the
# quick sweep does not have, and the quick sweep's rows of every other
# workload: the research workloads at one or two worker counts, parallel_for
# at one grain, uts for a few pools and baselines (each row is UTS's
# published tree T3, 4.1e6 nodes).
set(full_filter "^((empty|cpu|skewed|producers)/[^/]+/workers:[12]/jobs:1000/|tree/[^/]+/workers:[12]/depth:10/)")
set(quick_filter "^(reference/|fib/[^/]+/workers:[12]/|sleep/[^/]+/workers:(1|8)/|(idle|latency)/[^/]+/workers:[12]/|parallel_for/[^/]+/workers:[12]/n:[0-9]+/(grain:n_8w/|real_time)|uts/(serial|work_stealing|asio|openmp)/workers:[12]/|nqueens/[^/]+/workers:[12]/|bursty/[^/]+/workers:1/)")

# The field and library workloads at the quick sizes, at one worker, for the
# pool that wins and the baselines beside it (tests/bench/field_test runs
# them through every pool at small sizes).
set(field_filter "^(skynet|integrate|matmul|mergesort|chain|spawn_busy|small_for|reduce)/(work_stealing|serial|pthreadpool)/workers:1/")

set(seen "")
set(failures "")
set(unsupported 0)
set(rows_total 0)
foreach(run full quick field)
    if(run STREQUAL "full")
        set(quick 0)
        set(filter "${full_filter}")
    elseif(run STREQUAL "field")
        set(quick 1)
        set(filter "${field_filter}")
    else()
        set(quick 1)
        set(filter "${quick_filter}")
    endif()
    set(run_out ${OUT}.${run}.json)
    file(REMOVE ${run_out})
    execute_process(
        COMMAND ${CMAKE_COMMAND} -E env POOLBENCH_QUICK=${quick} POOLBENCH_WORKERS=1,2
                ${POOL_BENCH} --benchmark_filter=${filter} --benchmark_min_time=0.001
                --benchmark_out=${run_out} --benchmark_out_format=json
        RESULT_VARIABLE rc
        OUTPUT_VARIABLE out
        ERROR_VARIABLE err
        TIMEOUT 280)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "pool_bench (${run}) exited with '${rc}'\n${out}\n${err}")
    endif()
    if(NOT EXISTS ${run_out})
        message(FATAL_ERROR "pool_bench (${run}) wrote no ${run_out}\n${out}\n${err}")
    endif()
    file(READ ${run_out} json)
    string(JSON rows LENGTH "${json}" benchmarks)
    math(EXPR rows_total "${rows_total} + ${rows}")
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
endforeach()
set(rows ${rows_total})

foreach(w IN LISTS workloads)
    if(NOT w IN_LIST seen)
        string(APPEND failures "  workload '${w}' has no row\n")
    endif()
endforeach()
if(failures)
    message(FATAL_ERROR "pool_bench smoke test failed:\n${failures}")
endif()
message(STATUS "pool_bench smoke: ${rows} rows, ${unsupported} unsupported, all others measured")

# The memory pass (POOLBENCH_MEMORY=1): every tree and fib row at one worker
# either says "unsupported: ..." or has the three peaks, each a fresh
# process's, with the pool's own equal to the difference of the other two.
set(memory_out ${OUT}.memory.json)
file(REMOVE ${memory_out})
execute_process(
    COMMAND ${CMAKE_COMMAND} -E env POOLBENCH_MEMORY=1 POOLBENCH_WORKERS=1
            ${POOL_BENCH} --benchmark_out=${memory_out} --benchmark_out_format=json
    RESULT_VARIABLE rc
    OUTPUT_VARIABLE out
    ERROR_VARIABLE err
    TIMEOUT 280)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "pool_bench (POOLBENCH_MEMORY=1) exited with '${rc}'\n${out}\n${err}")
endif()
file(READ ${memory_out} json)
string(JSON rows LENGTH "${json}" benchmarks)
set(measured 0)
math(EXPR last "${rows} - 1")
foreach(i RANGE ${last})
    string(JSON name GET "${json}" benchmarks ${i} name)
    if(NOT name MATCHES "^(tree/[^/]+/workers:1/depth:20|fib/[^/]+/workers:1/n:30)/")
        string(APPEND failures "  memory row '${name}' is not a tree or fib row at one worker\n")
    endif()
    string(JSON error ERROR_VARIABLE no_error GET "${json}" benchmarks ${i} error_occurred)
    if(NOT no_error AND error)
        string(JSON why GET "${json}" benchmarks ${i} error_message)
        if(NOT why MATCHES "^unsupported: ")
            string(APPEND failures "  ${name}: ${why}\n")
        endif()
        continue()
    endif()
    foreach(counter pool_peak_mb process_peak_mb empty_pool_peak_mb)
        string(JSON value ERROR_VARIABLE missing GET "${json}" benchmarks ${i} ${counter})
        if(missing)
            string(APPEND failures "  ${name}: no ${counter}\n")
        endif()
    endforeach()
    math(EXPR measured "${measured} + 1")
endforeach()
if(measured EQUAL 0)
    string(APPEND failures "  the memory pass measured no row\n")
endif()
if(failures)
    message(FATAL_ERROR "pool_bench smoke test (memory) failed:\n${failures}")
endif()
message(STATUS "pool_bench smoke: ${measured} memory rows measured")

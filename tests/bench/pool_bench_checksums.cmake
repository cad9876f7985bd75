# Checks `pool_bench --checksums`, run by ctest as
#   cmake -DPOOL_BENCH=<pool_bench> -P pool_bench_checksums.cmake
# It must exit 0, print one `workload value` line per workload (no line
# twice), and give the values bench/external/README.md states where they are
# known; a workload not yet in pool_bench is not required.
cmake_minimum_required(VERSION 3.25)

if(NOT POOL_BENCH)
    message(FATAL_ERROR "usage: cmake -DPOOL_BENCH=<pool_bench> -P ${CMAKE_CURRENT_LIST_FILE}")
endif()

execute_process(COMMAND ${POOL_BENCH} --checksums
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "pool_bench --checksums exited ${rc}: ${err}")
endif()

string(REGEX REPLACE "\n$" "" out "${out}")
string(REPLACE "\n" ";" lines "${out}")
set(names "")
foreach(line IN LISTS lines)
    if(NOT line MATCHES "^([a-z_]+) ([0-9./e+-]+)$")
        message(FATAL_ERROR "not a `workload value` line: '${line}'")
    endif()
    set(name "${CMAKE_MATCH_1}")
    if(name IN_LIST names)
        message(FATAL_ERROR "line for ${name} printed twice")
    endif()
    list(APPEND names "${name}")
    set(value_${name} "${CMAKE_MATCH_2}")
endforeach()

# Required lines and their known values ("" = any value).
set(required empty 1000 cpu "" skewed "" tree 2047 producers 1000 parallel_for ""
    fib 6765 nqueens 92 uts "")
# Known values of the lines other workloads add, checked once they exist.
set(optional skynet 49995000 matmul 262144 chain 1000 spawn_busy 1000)

function(check_pairs pairs must_exist)
    list(LENGTH pairs n)
    math(EXPR last "${n} - 1")
    foreach(i RANGE 0 ${last} 2)
        math(EXPR j "${i} + 1")
        list(GET pairs ${i} name)
        list(GET pairs ${j} want)
        if(NOT DEFINED value_${name})
            if(must_exist)
                message(FATAL_ERROR "no line for ${name}")
            endif()
            continue()
        endif()
        if(NOT want STREQUAL "" AND NOT value_${name} STREQUAL want)
            message(FATAL_ERROR "${name}: got ${value_${name}}, expected ${want}")
        endif()
    endforeach()
endfunction()
check_pairs("${required}" TRUE)
check_pairs("${optional}" FALSE)
if(NOT value_uts MATCHES "^[0-9]+/6/[0-9]+$")
    message(FATAL_ERROR "uts: '${value_uts}' is not nodes/6/leaves")
endif()
message(STATUS "pool_bench --checksums: ${names}")

# Checks `pool_bench --cpu-speed`, run by ctest as
#   cmake -DPOOL_BENCH=<pool_bench> -P pool_bench_cpu_speed.cmake
# It must exit 0 and print one `cpu <index> <ns>` line per CPU the process
# may run on (as many as nproc counts, each index once, each time above 0),
# and run pinned to a single CPU (taskset, where it is installed) print that
# CPU's line alone.
cmake_minimum_required(VERSION 3.25)

if(NOT POOL_BENCH)
    message(FATAL_ERROR "usage: cmake -DPOOL_BENCH=<pool_bench> -P ${CMAKE_CURRENT_LIST_FILE}")
endif()

# check_lines(<output> <expected count> <result list variable>)
function(check_lines out expected cpus_var)
    string(REGEX REPLACE "\n$" "" out "${out}")
    string(REPLACE "\n" ";" lines "${out}")
    set(cpus "")
    foreach(line IN LISTS lines)
        if(NOT line MATCHES "^cpu ([0-9]+) ([0-9]+)$")
            message(FATAL_ERROR "not a `cpu <index> <ns>` line: '${line}'")
        endif()
        if(CMAKE_MATCH_1 IN_LIST cpus)
            message(FATAL_ERROR "CPU ${CMAKE_MATCH_1} printed twice")
        endif()
        if(CMAKE_MATCH_2 EQUAL 0)
            message(FATAL_ERROR "CPU ${CMAKE_MATCH_1}: a time of 0")
        endif()
        list(APPEND cpus "${CMAKE_MATCH_1}")
    endforeach()
    list(LENGTH cpus n)
    if(NOT n EQUAL expected)
        message(FATAL_ERROR "${n} CPUs printed, ${expected} expected:\n${out}")
    endif()
    set(${cpus_var} "${cpus}" PARENT_SCOPE)
endfunction()

execute_process(COMMAND nproc OUTPUT_VARIABLE nproc OUTPUT_STRIP_TRAILING_WHITESPACE)
execute_process(COMMAND ${POOL_BENCH} --cpu-speed
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "pool_bench --cpu-speed exited ${rc}: ${err}")
endif()
check_lines("${out}" "${nproc}" cpus)

find_program(TASKSET taskset)
if(TASKSET)
    list(GET cpus -1 last)
    execute_process(COMMAND ${TASKSET} -c ${last} ${POOL_BENCH} --cpu-speed
                    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "taskset -c ${last} pool_bench --cpu-speed exited ${rc}: ${err}")
    endif()
    check_lines("${out}" 1 pinned)
    if(NOT pinned STREQUAL last)
        message(FATAL_ERROR "pinned to CPU ${last}, it printed CPU ${pinned}")
    endif()
endif()

# The outside baselines compute what pool_bench's serial work computes: run
# by ctest as
#   cmake -DPOOL_BENCH=<pool_bench> -DPROGRAM=<go_bench|rayon_bench> -P outside_checksums.cmake
# Both print one line per workload at the small sizes of
# bench/external/README.md ("--checksums": workload, then its values); every
# line of PROGRAM must be pool_bench's line for that workload, byte for byte,
# and PROGRAM must have most workloads. A PROGRAM that was not built (no Go
# toolchain, no cargo) skips the test (exit 77).
cmake_minimum_required(VERSION 3.25)

if(NOT POOL_BENCH OR NOT PROGRAM)
    message(FATAL_ERROR "usage: cmake -DPOOL_BENCH=<pool_bench> -DPROGRAM=<program> -P ${CMAKE_CURRENT_LIST_FILE}")
endif()
if(NOT EXISTS ${PROGRAM})
    message("outside_checksums: ${PROGRAM} was not built (its toolchain is missing): skipped")
    cmake_language(EXIT 77)
endif()

function(checksums program out_var)
    execute_process(COMMAND ${program} --checksums RESULT_VARIABLE rc OUTPUT_VARIABLE out
                    ERROR_VARIABLE err TIMEOUT 60)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "${program} --checksums exited with '${rc}'\n${out}\n${err}")
    endif()
    string(REPLACE "\n" ";" lines "${out}")
    list(FILTER lines EXCLUDE REGEX "^$")
    set(${out_var} "${lines}" PARENT_SCOPE)
endfunction()

checksums(${POOL_BENCH} serial)
checksums(${PROGRAM} outside)
get_filename_component(name ${PROGRAM} NAME)

set(failures "")
set(matched 0)
foreach(line IN LISTS outside)
    string(REGEX MATCH "^[a-z_]+" workload "${line}")
    set(expected "")
    foreach(s IN LISTS serial)
        if(s MATCHES "^${workload} ")
            set(expected "${s}")
        endif()
    endforeach()
    if(expected STREQUAL "")
        string(APPEND failures "  ${name} prints '${line}', a workload pool_bench --checksums lacks\n")
    elseif(NOT line STREQUAL expected)
        string(APPEND failures "  ${workload}: ${name} '${line}', pool_bench '${expected}'\n")
    else()
        math(EXPR matched "${matched} + 1")
    endif()
endforeach()
list(LENGTH serial serial_count)
math(EXPR enough "${serial_count} - 2")
if(matched LESS enough)
    string(APPEND failures "  ${name} checks ${matched} of pool_bench's ${serial_count} workloads\n")
endif()
if(failures)
    message(FATAL_ERROR "outside_checksums: ${name} differs from pool_bench's serial work:\n${failures}")
endif()
message(STATUS "outside_checksums: ${name}: ${matched} workloads, every value as pool_bench's")

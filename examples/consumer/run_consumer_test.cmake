# ctest driver: installs this build of poolbench into a fresh prefix, then
# builds examples/consumer against the installed package only, once without
# components and once with every component this build installed (tbb, asio),
# and runs each.
# -D BUILD_DIR=<poolbench build> -D SOURCE_DIR=<examples/consumer> -D WORK_DIR=<scratch>
file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "consumer example: installing ${BUILD_DIR} failed (${rc})")
endif()
foreach(header include/poolbench.hpp include/poolbench/pools/work_stealing_pool.hpp
               include/poolbench/queues/chase_lev_deque.hpp include/poolbench/base/cache_line.hpp)
    if(NOT EXISTS ${prefix}/${header})
        message(FATAL_ERROR "consumer example: the install has no ${header}")
    endif()
endforeach()
set(all_components "")
foreach(component tbb asio)
    file(GLOB found ${prefix}/lib*/cmake/poolbench/poolbench-${component}-targets.cmake)
    if(found)
        list(APPEND all_components ${component})
    endif()
endforeach()
foreach(variant none all)
    if(variant STREQUAL "none")
        set(components "")
    else()
        set(components "${all_components}")
    endif()
    set(build ${WORK_DIR}/build-${variant})
    # Quoted, so that "tbb;asio" stays one argument.
    execute_process(COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${build} -DCMAKE_PREFIX_PATH=${prefix}
                            -DCMAKE_BUILD_TYPE=Release "-DCONSUMER_COMPONENTS=${components}"
                    RESULT_VARIABLE rc)
    if(rc EQUAL 0)
        execute_process(COMMAND ${CMAKE_COMMAND} --build ${build} RESULT_VARIABLE rc)
    endif()
    if(rc EQUAL 0)
        execute_process(COMMAND ${build}/consumer RESULT_VARIABLE rc)
    endif()
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "consumer example (components: '${components}'): failed (${rc})")
    endif()
endforeach()

# ctest driver: installs this build of poolbench into a fresh prefix, builds
# examples/consumer against the installed package only, and runs it.
# -D BUILD_DIR=<poolbench build> -D SOURCE_DIR=<examples/consumer> -D WORK_DIR=<scratch>
file(REMOVE_RECURSE ${WORK_DIR})
foreach(step
        "${CMAKE_COMMAND};--install;${BUILD_DIR};--prefix;${WORK_DIR}/prefix"
        "${CMAKE_COMMAND};-S;${SOURCE_DIR};-B;${WORK_DIR}/build;-DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix;-DCMAKE_BUILD_TYPE=Release"
        "${CMAKE_COMMAND};--build;${WORK_DIR}/build"
        "${WORK_DIR}/build/consumer")
    execute_process(COMMAND ${step} RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "consumer example: step failed (${rc}): ${step}")
    endif()
endforeach()

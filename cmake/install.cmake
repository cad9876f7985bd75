# Install rules: poolbench.hpp in include/ and the headers under
# include/poolbench/{base,pools,queues} (both folders on the exported
# target's include path, so <poolbench.hpp> and <pools/...> resolve), the CMake
# package poolbench (find_package(poolbench CONFIG REQUIRED)), and poolrun.
# The tbb and asio pools are components so that only their users need oneTBB
# or Boost:
#   find_package(poolbench CONFIG REQUIRED COMPONENTS tbb)  -> poolbench::tbb
#   find_package(poolbench CONFIG REQUIRED COMPONENTS asio) -> poolbench::asio
include(CMakePackageConfigHelpers)

set(POOLBENCH_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/poolbench)

install(FILES ${PROJECT_SOURCE_DIR}/poolbench.hpp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/base ${PROJECT_SOURCE_DIR}/queues ${PROJECT_SOURCE_DIR}/pools
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/poolbench FILES_MATCHING PATTERN "*.hpp")

install(TARGETS poolbench EXPORT poolbench-targets)
install(EXPORT poolbench-targets NAMESPACE poolbench:: DESTINATION ${POOLBENCH_CMAKE_DIR})
if(TARGET poolbench_tbb)
    install(TARGETS poolbench_tbb EXPORT poolbench-tbb-targets)
    install(EXPORT poolbench-tbb-targets NAMESPACE poolbench:: DESTINATION ${POOLBENCH_CMAKE_DIR})
endif()
if(TARGET poolbench_asio)
    install(TARGETS poolbench_asio EXPORT poolbench-asio-targets)
    install(EXPORT poolbench-asio-targets NAMESPACE poolbench:: DESTINATION ${POOLBENCH_CMAKE_DIR})
endif()

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/poolbench-config.cmake.in
                              ${PROJECT_BINARY_DIR}/poolbench-config.cmake
                              INSTALL_DESTINATION ${POOLBENCH_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/poolbench-config-version.cmake
                                 COMPATIBILITY SameMinorVersion ARCH_INDEPENDENT)
install(FILES ${PROJECT_BINARY_DIR}/poolbench-config.cmake
              ${PROJECT_BINARY_DIR}/poolbench-config-version.cmake
        DESTINATION ${POOLBENCH_CMAKE_DIR})

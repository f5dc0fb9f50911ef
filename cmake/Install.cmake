# `cmake --install`: the tool, the client library (shared with a SONAME,
# and static), its public headers, pkg-config and CMake package files, man
# pages, bash completion and the example configurations.
include(CMakePackageConfigHelpers)

# What the static client library needs (pkg-config module names): what
# pipeline-client-all.o calls, at most what common/ links. The install test
# links a program statically through pkg-config, so a missing one fails.
set(PL_PC_REQUIRES_PRIVATE "libsodium libprotobuf-c libcrypto libcbor")

install(TARGETS pipeline RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
if(NOT PIPELINE_STATIC)
  install(TARGETS pipeline_client_shared
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
  install(FILES ${PL_CLIENT_ARCHIVE} DESTINATION ${CMAKE_INSTALL_LIBDIR})
  install(DIRECTORY include/pipeline DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
    FILES_MATCHING PATTERN "*.h")

  # pkg-config: prefix relative to the .pc file
  set(PL_PC_DIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
  file(RELATIVE_PATH PL_PC_TO_PREFIX /${PL_PC_DIR} /)
  string(REGEX REPLACE "/$" "" PL_PC_TO_PREFIX "${PL_PC_TO_PREFIX}")
  configure_file(cmake/pipeline-client.pc.in pipeline-client.pc @ONLY)
  install(FILES ${CMAKE_CURRENT_BINARY_DIR}/pipeline-client.pc DESTINATION ${PL_PC_DIR})

  set(PL_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/PipelineClient)
  file(RELATIVE_PATH PL_CMAKE_TO_PREFIX /${PL_CMAKE_DIR} /)
  configure_file(cmake/PipelineClientConfig.cmake.in PipelineClientConfig.cmake @ONLY)
  write_basic_package_version_file(PipelineClientConfigVersion.cmake
    VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
  install(FILES ${CMAKE_CURRENT_BINARY_DIR}/PipelineClientConfig.cmake
                ${CMAKE_CURRENT_BINARY_DIR}/PipelineClientConfigVersion.cmake
    DESTINATION ${PL_CMAKE_DIR})
endif()

install(FILES man/pipeline.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES man/pipeline.conf.5 DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)
install(FILES completion/pipeline.bash
  DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
  RENAME pipeline)
install(FILES config/pipeline.config.toml config/server.config.toml
              examples/enclave/README.md examples/enclave/Dockerfile
              examples/enclave/server.conf examples/enclave/host.conf
              examples/pipeline.service
  DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})

# The installable client library, libpipeline-client.so.1 and
# libpipeline-client.a.
#
# The client archive, with what it needs from the common and proto ones
# (server-only code stays out), is first linked into one relocatable
# object whose hidden symbols are then made local (objcopy
# --localize-hidden): inside it every internal call is resolved, and
# outside only the PL_EXPORT functions of include/pipeline/*.h remain
# global. The shared library is linked from that object and the static one
# archives it, so both offer exactly the public API and internal names
# never clash with a program's.

set(PL_CLIENT_OBJ ${CMAKE_CURRENT_BINARY_DIR}/pipeline-client-all.o)
set(PL_CLIENT_ARCHIVE ${CMAKE_CURRENT_BINARY_DIR}/libpipeline-client.a)
add_custom_command(
  OUTPUT ${PL_CLIENT_OBJ} ${PL_CLIENT_ARCHIVE}
  COMMAND ${CMAKE_LINKER} -r -o ${PL_CLIENT_OBJ} --whole-archive
          $<TARGET_FILE:pipeline_client> --no-whole-archive
          $<TARGET_FILE:pipeline_common> $<TARGET_FILE:pipeline_proto>
  COMMAND ${CMAKE_OBJCOPY} --localize-hidden ${PL_CLIENT_OBJ}
  COMMAND ${CMAKE_COMMAND} -E rm -f ${PL_CLIENT_ARCHIVE}
  COMMAND ${CMAKE_AR} rcs ${PL_CLIENT_ARCHIVE} ${PL_CLIENT_OBJ}
  DEPENDS pipeline_client pipeline_common pipeline_proto
  COMMENT "Linking the client library object (public symbols only)"
  VERBATIM)
# One target runs the rule, so parallel builds never run it twice.
add_custom_target(pipeline_client_object ALL DEPENDS ${PL_CLIENT_OBJ} ${PL_CLIENT_ARCHIVE})

file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/client_shared_stub.c
     "/* libpipeline-client.so is linked from pipeline-client-all.o */\n"
     "typedef int pl_client_shared_stub;\n")
add_library(pipeline_client_shared SHARED ${CMAKE_CURRENT_BINARY_DIR}/client_shared_stub.c)
add_dependencies(pipeline_client_shared pipeline_client_object)
set_target_properties(pipeline_client_shared PROPERTIES
  OUTPUT_NAME pipeline-client
  VERSION ${PROJECT_VERSION}
  SOVERSION ${PROJECT_VERSION_MAJOR}
  LINK_DEPENDS ${PL_CLIENT_OBJ})
# The internal archive after the object adds no code (every symbol is
# already defined) but brings the external libraries it needs (libsodium,
# libprotobuf-c, ... whatever common/ links), so a new dependency there
# reaches this library by itself.
target_link_libraries(pipeline_client_shared PRIVATE ${PL_CLIENT_OBJ} pipeline_client)
target_link_options(pipeline_client_shared PRIVATE -Wl,--no-undefined -Wl,--as-needed)
target_include_directories(pipeline_client_shared INTERFACE
  $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)

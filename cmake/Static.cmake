# A fully static `pipeline` for enclave images: no shared library, not even
# libc's, so the binary runs in an image that holds nothing else.
#
# The internal archives are the ones the normal build makes (position
# independent code links statically too); the external libraries are
# Debian's static archives: libsodium.a, libprotobuf-c.a, libconfig.a,
# libcrypto.a. Debian 12 ships no libcbor.a (libcbor-dev has only the
# shared library); it is used when found (or given as
# -DPIPELINE_CBOR_STATIC=/path/libcbor.a) and left out otherwise, which
# works for as long as nothing the binary links calls into libcbor.
#
# -DPIPELINE_STATIC=ON makes `pipeline` itself static (what an image
# build wants); otherwise a normal build also links `pipeline-static`
# beside it when the archives are there, for tests/package/test_static.sh.

set(PL_STATIC_OK TRUE)
set(PL_STATIC_LIBS)
foreach(lib crypto sodium protobuf-c config)
  string(MAKE_C_IDENTIFIER ${lib} id)
  find_library(PIPELINE_${id}_STATIC NAMES lib${lib}.a)
  if(PIPELINE_${id}_STATIC)
    list(APPEND PL_STATIC_LIBS ${PIPELINE_${id}_STATIC})
  else()
    set(PL_STATIC_OK FALSE)
    list(APPEND PL_STATIC_MISSING lib${lib}.a)
  endif()
endforeach()
find_library(PIPELINE_CBOR_STATIC NAMES libcbor.a)
if(PIPELINE_CBOR_STATIC)
  list(APPEND PL_STATIC_LIBS ${PIPELINE_CBOR_STATIC})
else()
  message(STATUS "Static pipeline: no libcbor.a (Debian ships none); linking without libcbor")
endif()

# Links target fully statically against the internal archives.
function(pipeline_link_static target)
  if(NOT PL_STATIC_OK)
    message(FATAL_ERROR "A static pipeline needs ${PL_STATIC_MISSING} "
                        "(Debian: libsodium-dev libprotobuf-c-dev libconfig-dev libssl-dev)")
  endif()
  add_dependencies(${target} pipeline_server pipeline_client pipeline_common pipeline_proto)
  target_include_directories(${target} PRIVATE
    $<TARGET_PROPERTY:pipeline_server,INTERFACE_INCLUDE_DIRECTORIES>
    $<TARGET_PROPERTY:pipeline_client,INTERFACE_INCLUDE_DIRECTORIES>)
  # Archives that call each other: one group, searched until nothing new.
  target_link_libraries(${target} PRIVATE -static -Wl,--start-group
    $<TARGET_FILE:pipeline_server> $<TARGET_FILE:pipeline_client>
    $<TARGET_FILE:pipeline_common> $<TARGET_FILE:pipeline_proto>
    ${PL_STATIC_LIBS} -Wl,--end-group -ldl -pthread)
endfunction()

# A fully static `pipeline` for enclave images: no shared library, not even
# libc's, so the binary runs in an image that holds nothing else.
#
# The internal archives are the ones the normal build makes (position
# independent code links statically too); the external libraries are
# Debian's static archives: libsodium.a, libprotobuf-c.a, libconfig.a,
# libcrypto.a.
#
# libcbor: Debian 12 ships no libcbor.a (libcbor-dev has only the shared
# library). When one is found, or given as
# -DPIPELINE_CBOR_STATIC=/path/libcbor.a (examples/enclave/Dockerfile
# builds one from Debian's libcbor source), the static binary is complete.
# Without it, the files that call libcbor (the attestation verifier's CBOR
# steps, the NSM request) are replaced at link time by common/nocbor/ and
# server/nocbor/, whose functions fail saying why: that binary serves
# every call and verifies nothing, and `listen` in an enclave needs
# server.attestation = false (--no-attestation). The configure step says
# which one it makes.
#
# -DPIPELINE_STATIC=ON makes `pipeline` itself static (what an image
# build wants); otherwise a normal build also links `pipeline-static`
# beside it when the archives are there, for tests/package/test_static.sh.
#
# The normal `pipeline` takes the same archives but keeps libc (and
# libcbor when there is no libcbor.a) shared: pipeline_link_archives(),
# PIPELINE_FAST_START. Each `pipeline run` is a short-lived process, and
# the dynamic loader's work for four more shared libraries (symbol
# lookups, relocations, page faults) cost it about 0.5 ms of CPU, a sixth
# of a whole `run -- true`. libpipeline-client.so still links the shared
# libraries, so distribution updates of them reach library users.

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
  message(STATUS "Static pipeline: with attestation (${PIPELINE_CBOR_STATIC})")
else()
  message(STATUS "Static pipeline: no libcbor.a (Debian 12 ships none), so "
                 "WITHOUT attestation; give -DPIPELINE_CBOR_STATIC=/path/libcbor.a for it")
  add_library(pipeline_nocbor OBJECT common/nocbor/attest_nocbor.c server/nocbor/nsm_nocbor.c)
  target_include_directories(pipeline_nocbor PRIVATE
    $<TARGET_PROPERTY:pipeline_server,INTERFACE_INCLUDE_DIRECTORIES>
    $<TARGET_PROPERTY:pipeline_common,INTERFACE_INCLUDE_DIRECTORIES>)
  target_compile_options(pipeline_nocbor PRIVATE
    $<TARGET_PROPERTY:pipeline_common,INTERFACE_COMPILE_OPTIONS>)
endif()

# Links target against the internal archives and the external libraries'
# static archives: fully static (STATIC), or with libc and, lacking
# libcbor.a, libcbor shared (SHARED_LIBC).
function(pipeline_link_archives target mode)
  if(NOT PL_STATIC_OK)
    message(FATAL_ERROR "A static pipeline needs ${PL_STATIC_MISSING} "
                        "(Debian: libsodium-dev libprotobuf-c-dev libconfig-dev libssl-dev)")
  endif()
  add_dependencies(${target} pipeline_server pipeline_client pipeline_common pipeline_proto)
  target_include_directories(${target} PRIVATE
    $<TARGET_PROPERTY:pipeline_server,INTERFACE_INCLUDE_DIRECTORIES>
    $<TARGET_PROPERTY:pipeline_client,INTERFACE_INCLUDE_DIRECTORIES>)
  if(mode STREQUAL SHARED_LIBC)
    # No libcrypto at all: common/ossl_dlopen/ opens libcrypto.so.3 when
    # attestation or a warm AEAD direction first needs it (common/ossl.h).
    # Any call that bypasses the table fails to link here.
    set(libs ${PL_STATIC_LIBS})
    list(REMOVE_ITEM libs ${PIPELINE_crypto_STATIC})
    if(NOT PIPELINE_CBOR_STATIC)
      list(APPEND libs PkgConfig::LIBCBOR)
    endif()
    if(NOT TARGET pipeline_ossl_dlopen)
      add_library(pipeline_ossl_dlopen OBJECT common/ossl_dlopen/ossl_dlopen.c)
      target_include_directories(pipeline_ossl_dlopen PRIVATE common
        $<TARGET_PROPERTY:PkgConfig::LIBCRYPTO,INTERFACE_INCLUDE_DIRECTORIES>)
    endif()
    # The object before the archives: its table wins over ossl_direct.c.
    target_sources(${target} PRIVATE $<TARGET_OBJECTS:pipeline_ossl_dlopen>)
    target_link_libraries(${target} PRIVATE -Wl,--start-group
      $<TARGET_FILE:pipeline_server> $<TARGET_FILE:pipeline_client>
      $<TARGET_FILE:pipeline_common> $<TARGET_FILE:pipeline_proto>
      ${libs} -Wl,--end-group ${CMAKE_DL_LIBS} Threads::Threads)
    return()
  endif()
  if(TARGET pipeline_nocbor)
    # Objects before the archives: their definitions win, and the archive
    # members that call libcbor are never pulled in.
    target_sources(${target} PRIVATE $<TARGET_OBJECTS:pipeline_nocbor>)
  endif()
  # Archives that call each other: one group, searched until nothing new.
  target_link_libraries(${target} PRIVATE -static -Wl,--start-group
    $<TARGET_FILE:pipeline_server> $<TARGET_FILE:pipeline_client>
    $<TARGET_FILE:pipeline_common> $<TARGET_FILE:pipeline_proto>
    ${PL_STATIC_LIBS} -Wl,--end-group -ldl -pthread)
endfunction()

function(pipeline_link_static target)
  pipeline_link_archives(${target} STATIC)
endfunction()

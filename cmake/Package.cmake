# `cpack -G DEB`: one Debian package with the tool, the client library,
# its headers, pkg-config and CMake files, man pages, completion and the
# examples. Depends is computed by dpkg-shlibdeps from what the binaries
# link, the version is the project's.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME pipeline)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "Pipeline")
set(CPACK_PACKAGE_CONTACT "Pipeline maintainers <pipeline@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "run commands in an AWS Nitro Enclave and move files in and out")
set(CPACK_PACKAGE_DESCRIPTION
  "pipeline lets the parent EC2 instance drive a Nitro Enclave over vsock:
run a command inside it with live output and its exit status, and copy
files and directory trees in and out, over a Noise XX channel (mutually
authenticated, encrypted). Includes the C client library
libpipeline-client with its headers, pkg-config and CMake files.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# pipeline opens libcrypto.so.3 when it first needs it (common/ossl.h),
# which dpkg-shlibdeps cannot see.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libssl3")
# A shlibs file for libpipeline-client.so.1, so packages built against it
# get a Depends on this one; CPack adds the ldconfig call (postinst/postrm)
# for the library in /usr/lib.
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# The static client library needs the dependencies' headers and
# archives only when a program links it statically; suggest them.
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "libsodium-dev, libprotobuf-c-dev, libssl-dev")
set(CPACK_STRIP_FILES ON)
include(CPack)

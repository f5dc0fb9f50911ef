#!/bin/bash
# cmake --install into a fresh prefix: the files land where they should,
# and a program outside the project builds against the installed tree
# alone, with pkg-config (shared and static) and with
# find_package(PipelineClient), then runs against the installed server.
. "$(dirname "$0")/../integration/lib.sh"

BUILD=$PIPELINE_BUILD
P=$TESTROOT/prefix
if ! cmake --install "$BUILD" --prefix "$P" >"$TESTROOT/install.log" 2>&1; then
    cat "$TESTROOT/install.log" >&2
    fail "cmake --install"
    finish
fi
LIBDIR=$(sed -n 's/^CMAKE_INSTALL_LIBDIR:PATH=//p' "$BUILD/CMakeCache.txt")
L=$P/$LIBDIR
VERSION=$("$PIPELINE_BIN" --version | cut -d' ' -f2)

for f in bin/pipeline "$LIBDIR/libpipeline-client.so.$VERSION" \
    "$LIBDIR/libpipeline-client.a" include/pipeline/client.h \
    include/pipeline/error.h include/pipeline/keys.h include/pipeline/pipeline.h \
    "$LIBDIR/pkgconfig/pipeline-client.pc" \
    "$LIBDIR/cmake/PipelineClient/PipelineClientConfig.cmake" \
    "$LIBDIR/cmake/PipelineClient/PipelineClientConfigVersion.cmake" \
    share/man/man1/pipeline.1 share/man/man5/pipeline.conf.5 \
    share/bash-completion/completions/pipeline \
    share/doc/pipeline/examples/pipeline.config.toml \
    share/doc/pipeline/examples/server.config.toml \
    share/doc/pipeline/examples/Dockerfile; do
    check "installed: $f" [ -f "$P/$f" ]
done
check "libpipeline-client.so.1 links to the versioned file" \
    [ "$(readlink "$L/libpipeline-client.so.1")" = "libpipeline-client.so.$VERSION" ]
check "libpipeline-client.so (for -l) links to the SONAME" \
    [ "$(readlink "$L/libpipeline-client.so")" = libpipeline-client.so.1 ]
check "nothing private is installed (only the public headers)" \
    [ "$(ls "$P/include/pipeline" | tr '\n' ' ')" = "client.h error.h keys.h pipeline.h " ]
check "installed pipeline --version" [ "$("$P/bin/pipeline" --version)" = "pipeline $VERSION" ]

want=$(grep -v '^#' "$PIPELINE_SRC/client/exported-symbols.txt" | sed '/^$/d' | sort)
got=$(nm -D --defined-only "$L/libpipeline-client.so.1" | awk '{print $3}' |
    grep -vxE '_init|_fini|__bss_start|_edata|_end' | sort)
check "the installed library exports only the public API" [ "$got" = "$want" ]

# A program that knows nothing of the source tree.
W=$TESTROOT/work
mkdir -p "$W"
cp "$PIPELINE_SRC/tests/package/client_program.c" "$W/prog.c"
export PKG_CONFIG_PATH=$L/pkgconfig
cflags=$(pkg-config --cflags pipeline-client | sed 's/ *$//')
check "pkg-config --cflags points at the installed headers ($cflags)" \
    [ "$(realpath -m "${cflags#-I}")" = "$P/include" ]
check "pkg-config --modversion is the project's version" \
    [ "$(pkg-config --modversion pipeline-client)" = "$VERSION" ]
# shellcheck disable=SC2046
check "a program builds with pkg-config --cflags --libs pipeline-client" \
    cc -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -o "$W/prog_pc" "$W/prog.c" \
    $(pkg-config --cflags --libs pipeline-client) -Wl,-rpath,"$L"
# The static library: pkg-config --static adds what it needs.
static_libs=$(pkg-config --static --libs pipeline-client | sed 's/-lpipeline-client/-l:libpipeline-client.a/')
# shellcheck disable=SC2086
check "a program links the static library with pkg-config --static" \
    cc -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Werror -o "$W/prog_static" "$W/prog.c" \
    $cflags $static_libs
check "ldd: the pkg-config program uses the installed libpipeline-client.so.1" \
    grep -q "libpipeline-client.so.1 => $L/libpipeline-client.so.1" <(ldd "$W/prog_pc")
check "ldd: the static program needs no libpipeline-client" \
    not_grep libpipeline-client <(ldd "$W/prog_static")
check "nm: the static program has no internal symbol of the library as a global" \
    not_grep -E ' [TDBR] pl_(channel|handshake|transport|fail|stream|atomic|config|client_expect)' <(nm "$W/prog_static")

# CMake's find_package, from the installed tree only.
mkdir -p "$W/cmake"
cat >"$W/cmake/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.18)
project(client_program C)
find_package(PipelineClient 1.0 REQUIRED)
add_executable(prog_cmake ../prog.c)
target_compile_definitions(prog_cmake PRIVATE _POSIX_C_SOURCE=200809L)
target_link_libraries(prog_cmake PRIVATE PipelineClient::pipeline-client)
add_executable(prog_cmake_static ../prog.c)
target_compile_definitions(prog_cmake_static PRIVATE _POSIX_C_SOURCE=200809L)
target_link_libraries(prog_cmake_static PRIVATE PipelineClient::pipeline-client-static)
CMAKE
if cmake -S "$W/cmake" -B "$W/cmake/build" -DCMAKE_PREFIX_PATH="$P" \
    >"$W/cmake.log" 2>&1 && cmake --build "$W/cmake/build" >>"$W/cmake.log" 2>&1; then
    ok "a program builds with find_package(PipelineClient)"
else
    cat "$W/cmake.log" >&2
    fail "a program builds with find_package(PipelineClient)"
fi
check "ldd: the find_package program uses the installed library" \
    grep -q "libpipeline-client.so.1 => $L/libpipeline-client.so.1" <(ldd "$W/cmake/build/prog_cmake")
mkdir -p "$W/v2"
printf 'cmake_minimum_required(VERSION 3.18)\nproject(v2 C)\nfind_package(PipelineClient 2.0 REQUIRED)\n' >"$W/v2/CMakeLists.txt"
configure_v2() { cmake -S "$W/v2" -B "$W/v2/build" -DCMAKE_PREFIX_PATH="$P" >/dev/null 2>&1; }
check "find_package refuses another major version" not configure_v2

# The installed server, and each program against it.
PIPELINE_BIN=$P/bin/pipeline
start_server unix
head -c 100000 /dev/urandom >"$T/data"
for prog in "$W/prog_pc" "$W/prog_static" "$W/cmake/build/prog_cmake" \
    "$W/cmake/build/prog_cmake_static"; do
    name=$(basename "$prog")
    rm -f "$T/data.back"
    out=$("$prog" "$ADDR" "$T/data" "$T/remote/data" 2>&1)
    echo "$out" | sed "s/^/     $name: /"
    check "$name: a bad address is a usage error" grep -q "^bad address: usage error: " <<<"$out"
    check "$name: connects, pings the installed server" grep -q "^ping pipeline $VERSION " <<<"$out"
    check "$name: runs a command (output, exit status)" \
        grep -qx "exec exit=3 out=hello from the server" <<<"$out"
    check "$name: sends and gets a file back" \
        eval 'grep -qx "get 100000 bytes sha256=1" <<<"$out" && cmp -s "$T/data" "$T/data.back"'
    check "$name: a refused call has the server's status (NOT_FOUND = 5)" \
        grep -qx "missing: server reported an error status=5" <<<"$out"
done
stop_server

# pkg-config still finds it after the tree moves (prefix from the .pc's place).
mv "$P" "$TESTROOT/moved"
moved=$(PKG_CONFIG_PATH=$TESTROOT/moved/$LIBDIR/pkgconfig pkg-config --cflags pipeline-client | sed 's/ *$//')
check "the .pc file follows a moved tree" \
    [ "$(realpath -m "${moved#-I}")" = "$TESTROOT/moved/include" ]

finish

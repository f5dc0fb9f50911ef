#!/bin/bash
# The Debian package: cpack -G DEB builds it with Depends computed by
# dpkg-shlibdeps and the project's version; it installs into an isolated
# root (dpkg --root, its own package database: the machine's is never
# touched), where its pipeline runs and a program builds against its
# library with pkg-config and runs against its server; then it is removed
# and leaves nothing behind.
. "$(dirname "$0")/../integration/lib.sh"

BUILD=$PIPELINE_BUILD
VERSION=$("$PIPELINE_BIN" --version | cut -d' ' -f2)
O=$TESTROOT/out
if ! cpack -G DEB --config "$BUILD/CPackConfig.cmake" -B "$O" >"$TESTROOT/cpack.log" 2>&1; then
    cat "$TESTROOT/cpack.log" >&2
    fail "cpack -G DEB"
    finish
fi
DEB=$O/pipeline_${VERSION}_$(dpkg --print-architecture).deb
check "cpack made $(basename "$DEB")" [ -f "$DEB" ]

field() { dpkg-deb -f "$DEB" "$1"; }
check "Package: pipeline" [ "$(field Package)" = pipeline ]
check "Version: the project's ($VERSION)" [ "$(field Version)" = "$VERSION" ]
depends=$(field Depends)
echo "     Depends: $depends"
# What the binaries actually link (or, libssl3, open), each as a Debian
# package dependency.
for lib in libc6 libsodium23 libprotobuf-c1 libssl3; do
    check "Depends names $lib" grep -qE "(^|, )$lib( |,|$)" <<<"$depends"
done
check "Depends carries versions from the symbols files" grep -qE 'libc6 \(>= [0-9.]+\)' <<<"$depends"
contents=$(dpkg-deb -c "$DEB" | awk '{print $6}')
for f in ./usr/bin/pipeline ./usr/lib/libpipeline-client.so.1 ./usr/lib/libpipeline-client.a \
    ./usr/include/pipeline/client.h ./usr/lib/pkgconfig/pipeline-client.pc \
    ./usr/share/man/man1/pipeline.1 ./usr/share/man/man5/pipeline.conf.5 \
    ./usr/share/bash-completion/completions/pipeline; do
    check "the package holds $f" grep -qx -- "$f" <<<"$contents"
done
shlibs=$(dpkg-deb -I "$DEB" shlibs 2>/dev/null)
check "a shlibs file for libpipeline-client.so.1 ($shlibs)" \
    grep -q "^libpipeline-client 1 pipeline" <<<"$shlibs"

host_before=$(dpkg-query -W -f='${Status}' pipeline 2>/dev/null || true)

# An isolated root with an empty package database.
R=$TESTROOT/root
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" "$R/var/lib/dpkg/triggers"
: >"$R/var/lib/dpkg/status"
: >"$R/var/lib/dpkg/available"
mkdir -p "$R/etc"
# The root has no shell for the maintainer scripts (ldconfig after the
# library is installed), so they run outside it (--force-script-chrootless,
# with DPKG_ROOT set), where `ldconfig` is this wrapper: it notes the call
# and builds the root's own cache, never the machine's.
mkdir -p "$TESTROOT/bin"
cat >"$TESTROOT/bin/ldconfig" <<WRAP
#!/bin/sh
echo "ldconfig \$* DPKG_ROOT=\$DPKG_ROOT" >>"$TESTROOT/ldconfig.calls"
[ -n "\$DPKG_ROOT" ] || exit 1
exec /sbin/ldconfig -r "\$DPKG_ROOT"
WRAP
chmod +x "$TESTROOT/bin/ldconfig"
rdpkg() {
    PATH=$TESTROOT/bin:$PATH dpkg --root="$R" --force-script-chrootless "$@"
}
# --force-depends: the root's database knows none of the dependencies;
# the machine has them, which is what the binaries load.
if rdpkg --force-depends -i "$DEB" >"$TESTROOT/dpkg.log" 2>&1; then
    ok "dpkg --root -i installs it"
else
    cat "$TESTROOT/dpkg.log" >&2
    fail "dpkg --root -i installs it"
    finish
fi
check "the postinst ran ldconfig for the root ($(head -1 "$TESTROOT/ldconfig.calls" 2>/dev/null))" \
    grep -q "DPKG_ROOT=$R" "$TESTROOT/ldconfig.calls"
check "the root's linker cache lists libpipeline-client.so.1" \
    grep -q "libpipeline-client.so.1 .*=> /usr/lib/libpipeline-client.so.1" <(/sbin/ldconfig -r "$R" -p)
check "the root's database lists it installed" \
    [ "$(dpkg --root="$R" -s pipeline 2>/dev/null | sed -n 's/^Status: //p')" = "install ok installed" ]
check "installed: pipeline --version" [ "$("$R/usr/bin/pipeline" --version)" = "pipeline $VERSION" ]
check "the installed man page renders" eval 'MANWIDTH=80 man -l "$R/usr/share/man/man1/pipeline.1" 2>/dev/null | grep -q "EXIT STATUS"'

# The pkg-config program against the packaged library and server.
W=$TESTROOT/work
mkdir -p "$W"
export PKG_CONFIG_PATH=$R/usr/lib/pkgconfig
# shellcheck disable=SC2046
check "a program builds with the package's pkg-config file" \
    cc -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Werror -o "$W/prog" \
    "$PIPELINE_SRC/tests/package/client_program.c" \
    $(pkg-config --cflags --libs pipeline-client) -Wl,-rpath,"$R/usr/lib"
static_libs=$(pkg-config --static --libs pipeline-client | sed 's/-lpipeline-client/-l:libpipeline-client.a/')
# shellcheck disable=SC2046,SC2086
check "... and statically with the package's libpipeline-client.a" \
    cc -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Werror -o "$W/prog_static" \
    "$PIPELINE_SRC/tests/package/client_program.c" $(pkg-config --cflags pipeline-client) $static_libs
check "ldd: it loads the package's libpipeline-client.so.1" \
    grep -q "libpipeline-client.so.1 => $R/usr/lib/libpipeline-client.so.1" <(ldd "$W/prog")
PIPELINE_BIN=$R/usr/bin/pipeline
start_server unix
head -c 50000 /dev/urandom >"$T/data"
for prog in "$W/prog" "$W/prog_static"; do
    out=$("$prog" "$ADDR" "$T/data" "$T/remote/data" 2>&1)
    echo "$out" | sed "s/^/     $(basename "$prog"): /"
    check "$(basename "$prog"): pings, runs a command, moves a file with the packaged server" \
        eval 'grep -q "^ping pipeline $VERSION" <<<"$out" &&
              grep -qx "exec exit=3 out=hello from the server" <<<"$out" &&
              grep -qx "get 50000 bytes sha256=1" <<<"$out"'
done
stop_server

if rdpkg --purge pipeline >>"$TESTROOT/dpkg.log" 2>&1; then
    ok "dpkg --root --purge removes it"
else
    cat "$TESTROOT/dpkg.log" >&2
    fail "dpkg --root --purge removes it"
fi
# (etc/ld.so.cache is the root's linker cache, not the package's.)
left=$(cd "$R" && find . -path ./var -prune -o -path ./etc/ld.so.cache -prune -o \
    -type f -print -o -type l -print)
check "nothing of it is left in the root${left:+: $left}" [ -z "$left" ]
check "the root's database no longer lists it" \
    not eval 'dpkg --root="$R" -s pipeline 2>/dev/null | grep -q "^Status: install"'
check "the machine's own package database was not touched" \
    [ "$(dpkg-query -W -f='${Status}' pipeline 2>/dev/null || true)" = "$host_before" ]

finish

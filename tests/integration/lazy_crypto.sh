# The `pipeline` executable opens libcrypto.so.3 only when it needs it
# (common/ossl.h): never for a short command, on first use for a bulk
# transfer and for attestation. Without a usable libcrypto a transfer stays
# on libsodium and attestation says what is missing. Registered only for
# the executable built that way (tests/CMakeLists.txt).
. "$(dirname "$0")/lib.sh"

T=$TESTROOT
L=$TESTROOT # the stand-ins (start_server moves T)
VEC="$PIPELINE_SRC/tests/vectors/nitro/debug-enclave-2024-09-17.b64"
AT=1726534080 # the document's own time (SOURCE.md)

check "the executable links no libcrypto" sh -c "! ldd '$PIPELINE_BIN' | grep -q libcrypto"

# Two stand-ins found first through LD_LIBRARY_PATH (the dynamic loader
# passes over a file that is not an ELF library, so each is a real one):
# badlib's cannot be loaded (it needs a library that is gone), oldlib's
# loads but is not OpenSSL 3 (none of the functions we call).
mkdir -p "$L/badlib" "$L/oldlib" "$L/gone"
echo 'int pl_gone(void) { return 1; }' >"$L/gone.c"
echo 'int pl_gone(void); int pl_stand_in(void) { return pl_gone(); }' >"$L/stand.c"
cc -shared -fPIC -o "$L/gone/libplgone.so" "$L/gone.c" &&
    cc -shared -fPIC -o "$L/badlib/libcrypto.so.3" "$L/stand.c" -L"$L/gone" -lplgone &&
    cc -shared -fPIC -o "$L/oldlib/libcrypto.so.3" "$L/gone.c"
check "stand-in libraries built" [ -f "$L/badlib/libcrypto.so.3" ] && [ -f "$L/oldlib/libcrypto.so.3" ]
rm -rf "$L/gone"

for transport in unix tcp; do
    start_server "$transport"
    LD_DEBUG=files pl run -- true >"$T/out" 2>"$T/ld"
    check "run -- true works" [ $? -eq 0 ]
    check "run -- true never loads libcrypto" sh -c "! grep -q 'file=libcrypto' '$T/ld'"
    LD_DEBUG=files pl ping -q 2>"$T/ld"
    check "ping never loads libcrypto" sh -c "! grep -q 'file=libcrypto' '$T/ld'"

    # Past the 256 KiB libsodium carries, each direction moves to EVP.
    head -c 3000000 /dev/urandom >"$T/big"
    LD_DEBUG=files pl send-file "$T/big" "$T/up" 2>"$T/ld"
    check "a 3 MB upload arrives intact" cmp -s "$T/big" "$T/up"
    check "... and opened libcrypto.so.3 on the way" grep -q "file=libcrypto.so.3 .*dynamically loaded" "$T/ld"
    LD_DEBUG=files pl recv-file "$T/up" "$T/down" 2>"$T/ld"
    check "a 3 MB download arrives intact" cmp -s "$T/big" "$T/down"
    check "... and opened libcrypto.so.3 on the way" grep -q "file=libcrypto.so.3 .*dynamically loaded" "$T/ld"

    # No usable libcrypto: libsodium carries the whole transfer.
    for lib in badlib oldlib; do
        rm -f "$T/up" "$T/down"
        LD_DEBUG=files LD_LIBRARY_PATH="$L/$lib" pl send-file "$T/big" "$T/up" 2>"$T/ld"
        check "($lib) the client tried the stand-in" grep -q "$L/$lib/libcrypto.so.3" "$T/ld"
        check "($lib) and no other libcrypto" sh -c "! grep -q 'x86_64-linux-gnu/libcrypto' '$T/ld'"
        check "($lib) an upload still arrives intact" cmp -s "$T/big" "$T/up"
        LD_LIBRARY_PATH="$L/$lib" pl recv-file "$T/up" "$T/down" 2>"$T/err"
        check "($lib) a download still arrives intact" cmp -s "$T/big" "$T/down"
    done
    stop_server
done
TRANSPORT=
T=$L

pa() { timeout 60 "$PIPELINE_BIN" attest "$@"; }
LD_DEBUG=files pa --document "$VEC" --at $AT >/dev/null 2>"$T/ld"
check "attestation verifies with libcrypto opened on demand" [ $? -eq 0 ]
check "... which it was" grep -q "file=libcrypto.so.3 .*dynamically loaded" "$T/ld"
rc=0
LD_LIBRARY_PATH="$L/badlib" pa --document "$VEC" --at $AT >/dev/null 2>"$T/err" || rc=$?
check "without libcrypto attestation fails (exit $rc)" [ "$rc" -ne 0 ]
check "... saying libcrypto.so.3 could not be loaded" grep -q "cannot load OpenSSL's libcrypto.so.3 (.*libplgone" "$T/err"
check "... and how to get it" grep -q "apt-get install libssl3" "$T/err"
rc=0
LD_LIBRARY_PATH="$L/oldlib" pa --document "$VEC" --at $AT >/dev/null 2>"$T/err" || rc=$?
check "with a libcrypto that is not OpenSSL 3 attestation fails (exit $rc)" [ "$rc" -ne 0 ]
check "... naming a function it lacks" grep -q "libcrypto.so.3 lacks [A-Za-z0-9_]*: it is not the OpenSSL 3" "$T/err"
finish

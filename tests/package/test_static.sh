#!/bin/bash
# The static pipeline (cmake/Static.cmake) serves from an empty root: a
# chroot in a private mount namespace holding only the binary and
# /dev/null, started with an empty environment (env -i). A dynamic
# client on the host pings it, runs a program in it, sends a file in and
# gets it back.
. "$(dirname "$0")/../integration/lib.sh"

STATIC=${PIPELINE_STATIC_BIN:-$PIPELINE_BUILD/pipeline-static}
if [ ! -x "$STATIC" ]; then
    fail "no static binary at $STATIC (scripts/deps.sh installs the static archives)"
    finish
fi
check "file(1) says statically linked" grep -q "statically linked" <(file -b "$STATIC")
check "no program interpreter (ld.so) is asked for" not_grep INTERP <(readelf -l "$STATIC")
check "no shared library is needed" not_grep NEEDED <(readelf -d "$STATIC" 2>&1)

T=$TESTROOT/t
mkdir -p "$T"
# Without libcbor.a (Debian 12) the binary is built without attestation
# (cmake/Static.cmake); asked to attest, it must say so, not misbehave.
if nm "$STATIC" | grep -q ' T cbor_load$'; then
    rc=0
    out=$(timeout 20 "$STATIC" listen --address "unix:$T/att.sock" --attestation-device /dev/null 2>&1) || rc=$?
    check "with libcbor linked in, a bad attestation device is refused (exit $rc: $out)" \
        eval '[ "$rc" = 1 ] && grep -q "cannot get an attestation document" <<<"$out"'
else
    rc=0
    out=$(timeout 20 "$STATIC" listen --address "unix:$T/att.sock" --attestation-device /dev/null 2>&1) || rc=$?
    check "built without libcbor: asked to attest, listen fails saying why (exit $rc: $out)" \
        eval '[ "$rc" = 1 ] && grep -q "built without it (no libcbor.a)" <<<"$out" && grep -q -- "--no-attestation" <<<"$out"'
fi
R=$TESTROOT/root
mkdir -p "$R/dev"
cp "$STATIC" "$R/pipeline"
: >"$R/dev/null"
ADDR="unix:$R/s.sock"
CONF=$T/client.conf
echo "address = \"$ADDR\";" >"$CONF"

# unshare: the bind mount stays in the new namespace and goes away with it;
# --kill-child: the server never outlives unshare (which itself ignores
# SIGTERM while it waits, so the server is stopped by its own pid).
unshare --mount --fork --kill-child -- sh -c '
    mount --bind /dev/null "$1/dev/null" || exit 99
    exec env -i /usr/sbin/chroot "$1" /pipeline listen --address unix:/s.sock \
        --key-file /server.key' sh "$R" 2>"$T/server.log" &
SERVER_PID=$!
stop_static() {
    [ -n "$SERVER_PID" ] || return 0
    local s
    s=$(ps -o pid= --ppid "$SERVER_PID" | tr -d ' ')
    [ -n "$s" ] && kill "$s"
    wait "$SERVER_PID" 2>/dev/null
    SERVER_PID=
}
trap 'stop_static; cleanup' EXIT
wait_server

out=$(pl ping 2>&1)
check "ping answers from the chroot ($out)" grep -q "^pong from $ADDR: pipeline " <<<"$out"

out=$(tpl run -- /pipeline --version 2>&1)
check "run: a program inside the empty root runs (got: $out)" \
    [ "$out" = "pipeline $("$PIPELINE_BIN" --version | cut -d' ' -f2)" ]
rc=0
err=$(tpl run --command true 2>&1) || rc=$?
check "run --command: no /bin/sh in the root fails with 127 naming it ($rc: $err)" \
    eval '[ "$rc" = 127 ] && grep -q "/bin/sh" <<<"$err"'

head -c 300000 /dev/urandom >"$T/data"
expect_rc 0 "send-file into the root" tpl send-file -q "$T/data" /data
check "the file arrived intact" cmp -s "$T/data" "$R/data"
expect_rc 0 "recv-file back out of it" tpl recv-file -q /data "$T/back"
check "the file came back intact" cmp -s "$T/data" "$T/back"

entries=$(cd "$R" && find . -mindepth 1 | sort | tr '\n' ' ')
check "the root holds only the binary, /dev/null, the socket, the key and the file ($entries)" \
    [ "$entries" = "./data ./dev ./dev/null ./pipeline ./s.sock ./server.key " ]
check "the server is still up" server_alive
stop_static
check "the server logged no crash" not_grep -iE "fatal|sanitizer|segmentation" "$T/server.log"

finish

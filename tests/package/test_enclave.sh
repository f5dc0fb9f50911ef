#!/bin/bash
# examples/enclave: what can be checked without Docker or nitro-cli. The
# Dockerfile's shape (stages, static build, files it copies, exec-form
# entry point); then the image's file system as its last stage lays it
# out, with the static binary the build stage makes, and the ENTRYPOINT run
# as written in an empty chroot with env -i: it listens on vsock port
# 53000. The same entry point given a unix address (vsock has no loopback
# here) serves a client whose key is in the image's authorized_keys and
# refuses any other.
. "$(dirname "$0")/../integration/lib.sh"

EX=$PIPELINE_SRC/examples/enclave
DF=$EX/Dockerfile
STATIC=${PIPELINE_STATIC_BIN:-$PIPELINE_BUILD/pipeline-static}

# ---- the Dockerfile's shape ----
instr() { grep -E "^[[:space:]]*$1[[:space:]]" "$DF"; }
check "two stages: a build stage named build, then the image" \
    eval '[ "$(instr FROM | wc -l)" = 2 ] && instr FROM | head -1 | grep -qiE " AS build$"'
check "the build stage configures -DPIPELINE_STATIC=ON and builds the pipeline target" \
    eval 'grep -q -- "-DPIPELINE_STATIC=ON" "$DF" && grep -q -- "--target pipeline" "$DF"'
final=$(awk '/^FROM/ {n++} n == 2' "$DF")
entry=$(grep -E '^ENTRYPOINT ' <<<"$final" | sed 's/^ENTRYPOINT //')
check "the entry point is in exec (JSON) form" \
    /usr/bin/python3 -c 'import json,sys; a=json.loads(sys.argv[1]); assert isinstance(a, list) and all(isinstance(x, str) for x in a)' "$entry"
mapfile -t ENTRY < <(/usr/bin/python3 -c 'import json,sys; print("\n".join(json.loads(sys.argv[1])))' "$entry")
check "the entry point is \`pipeline ... listen\` (${ENTRY[*]})" \
    eval '[ "$(basename "${ENTRY[0]}")" = pipeline ] && [ "${ENTRY[-1]}" = listen ]'
# The last stage's COPY lines: "--from=build SRC DST" or "SRC DST".
ROOT=$TESTROOT/image
mkdir -p "$ROOT/dev"
while read -r _ a b c; do
    if [[ $a == --from=build ]]; then
        check "the binary copied from the build stage is the static pipeline ($b)" [ "$b" = /build/pipeline ]
        mkdir -p "$ROOT$(dirname "$c")"
        cp "$STATIC" "$ROOT$c"
    else
        check "COPY $a: the file exists in the repository" [ -f "$PIPELINE_SRC/$a" ]
        mkdir -p "$ROOT$(dirname "$b")"
        cp "$PIPELINE_SRC/$a" "$ROOT$b"
    fi
done < <(grep -E '^COPY ' <<<"$final")
check "the entry point's binary is in the image" [ -x "$ROOT${ENTRY[0]}" ]
# The image's environment: its ENV lines (NAME=value form), nothing else.
mapfile -t IMAGE_ENV < <(grep -E '^ENV [A-Za-z_]+=' <<<"$final" | sed 's/^ENV //')
: >"$ROOT/dev/null"

# ---- the entry point, as written ----
T=$TESTROOT/t
mkdir -p "$T"
# run_image LOG [ARGS...]: the entry point in the image's root with the
# image's environment only, args appended as `docker run IMAGE ARGS` would.
run_image() {
    local log=$1
    shift
    unshare --mount --fork --kill-child -- sh -c '
        root=$1
        shift
        mount --bind /dev/null "$root/dev/null" || exit 99
        exec env -i "$@"' sh "$ROOT" "${IMAGE_ENV[@]}" /usr/sbin/chroot "$ROOT" \
        "${ENTRY[@]}" "$@" 2>"$log" &
    SERVER_PID=$!
}
stop_image() {
    [ -n "$SERVER_PID" ] || return 0
    local s
    s=$(ps -o pid= --ppid "$SERVER_PID" | tr -d ' ')
    [ -n "$s" ] && kill "$s"
    wait "$SERVER_PID" 2>/dev/null
    SERVER_PID=
}
trap 'stop_image; cleanup' EXIT

run_image "$T/vsock.log"
for _ in $(seq 1 100); do
    grep -q "listening on" "$T/vsock.log" && break
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.05
done
check "as written, it listens on vsock port 53000 ($(head -1 "$T/vsock.log"))" \
    grep -qE "listening on vsock:(any|[0-9]+):53000, server key " "$T/vsock.log"
check "... and keeps running" kill -0 "$SERVER_PID"
check "without /dev/nsm (no attestation) its key is made in the image's HOME" \
    [ -s "$ROOT/root/.config/pipeline/server.key" ]
stop_image

# ---- serving, over a unix socket instead ----
CONF=$T/host.conf
echo "address = \"unix:$ROOT/s.sock\";" >"$CONF"
echo "key_file = \"$T/client.key\";" >>"$CONF"
"$PIPELINE_BIN" -c "$CONF" pubkey --client >>"$ROOT/etc/pipeline/authorized_keys"
run_image "$T/server.log" --address unix:/s.sock
for _ in $(seq 1 100); do
    [ -S "$ROOT/s.sock" ] && break
    sleep 0.05
done
out=$(tpl ping 2>&1)
check "the host's key (in authorized_keys) is served: ping" grep -q "^pong from" <<<"$out"
out=$(tpl run -- /usr/bin/pipeline --version 2>&1)
check "run inside the image: $out" [ "$out" = "$("$PIPELINE_BIN" --version)" ]
echo "key_file = \"$T/other.key\";" >"$T/other.conf"
echo "address = \"unix:$ROOT/s.sock\";" >>"$T/other.conf"
expect_rc 255 "a key not in authorized_keys is refused" \
    timeout 60 "$PIPELINE_BIN" -c "$T/other.conf" ping -q
stop_image

finish

#!/usr/bin/env bash
# Quick start: build, start a server on a unix socket in a temporary
# directory, run a command, push a file in and pull it back, stop.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
if [ ! -x build/pipeline ]; then
    echo "==> building"
    scripts/build.sh build
fi
bin=$PWD/build/pipeline
dir=$(mktemp -d /tmp/pipeline-demo.XXXXXX)
server_pid=
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    rm -rf "$dir"
}
trap cleanup EXIT
conf=$dir/pipeline.conf
cat > "$conf" <<CONF
# Both ends read this file in the demo; each makes its own key beside it.
address = "unix:$dir/pipeline.sock";
CONF
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

say "pipeline -c $conf listen --key-file $dir/server.key &"
"$bin" -c "$conf" listen --key-file "$dir/server.key" 2>"$dir/server.log" &
server_pid=$!
for _ in $(seq 1 50); do [ -S "$dir/pipeline.sock" ] && break; sleep 0.1; done

say "pipeline ping"
"$bin" -c "$conf" ping

say "pipeline run -- echo hello"
"$bin" -c "$conf" run -- echo hello || echo "(exit $?)"

say "pipeline run --command 'uname -sr; exit 3'; echo \"exit code \$?\""
rc=0; "$bin" -c "$conf" run --command 'uname -sr; exit 3' || rc=$?
echo "exit code $rc"

head -c 1048576 /dev/urandom > "$dir/local.bin"
chmod 755 "$dir/local.bin"
say "pipeline send-file --checksum $dir/local.bin $dir/enclave/in/data.bin"
"$bin" -c "$conf" send-file --checksum "$dir/local.bin" "$dir/enclave/in/data.bin" || echo "(exit $?)"

say "pipeline recv-file $dir/enclave/in/data.bin $dir/back.bin"
"$bin" -c "$conf" recv-file "$dir/enclave/in/data.bin" "$dir/back.bin" || echo "(exit $?)"
if cmp -s "$dir/local.bin" "$dir/back.bin"; then
    echo "round trip: 1 MiB identical, mode $(stat -c %a "$dir/back.bin")"
else
    echo "round trip: files differ"
fi

say "server log"
cat "$dir/server.log"

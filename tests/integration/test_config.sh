# Configuration and identity (issue #12, items 1-3): per-user keys and
# known servers whatever the current directory, PIPELINE_CONFIG, the
# original's ./.config file, an explicit server key path, named hosts, and
# honest errors for unknown keys and TOML look-alikes.
. "$(dirname "$0")/lib.sh"

D="$TESTROOT/config"
mkdir -p "$D/a" "$D/b"
U="$XDG_CONFIG_HOME/pipeline"
quiet() { "$@" >/dev/null 2>&1; }

# --- 1. identity belongs to the user, not to the current directory ---
start_server unix
k1=$(cd "$D/a" && "$PIPELINE_BIN" pubkey --client)
k2=$(cd "$D/b" && "$PIPELINE_BIN" pubkey --client)
check "pubkey --client is the same from two directories" test -n "$k1" -a "$k1" = "$k2"
check "... and lives in \$XDG_CONFIG_HOME/pipeline/client.key" \
    test "$("$PIPELINE_BIN" pubkey --key-file "$U/client.key")" = "$k1"
(cd "$D/a" && "$PIPELINE_BIN" -c "$CONF" ping -q) || fail "ping from directory a"
(cd "$D/b" && "$PIPELINE_BIN" -c "$CONF" ping -q) || fail "ping from directory b"
check "known_servers is per user: one line for the server" \
    test "$(grep -c "^$ADDR " "$U/known_servers")" = 1
check "no .config directory appears where the client ran" \
    eval 'test ! -e "$D/a/.config" && test ! -e "$D/b/.config"'
# Without XDG_CONFIG_HOME the place is ~/.config/pipeline.
out=$(cd / && env -u XDG_CONFIG_HOME HOME="$D/home" "$PIPELINE_BIN" pubkey --client 2>&1)
check "without XDG_CONFIG_HOME the key goes to \$HOME/.config/pipeline (run from /)" \
    eval 'test -f "$D/home/.config/pipeline/client.key" &&
          test "$("$PIPELINE_BIN" pubkey --key-file "$D/home/.config/pipeline/client.key")" = "$out"'
check "... in a directory of mode 0700" test "$(stat -c %a "$D/home/.config/pipeline")" = 700
if id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null; then
    # Outside $TESTROOT (mode 0700): nobody must be able to reach it.
    NB=$(mktemp -d /tmp/pl-nobody.XXXXXX)
    chmod 755 "$NB" && chown nobody "$NB"
    out=$(cd / && setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
        env HOME="$NB" XDG_CONFIG_HOME= "$PIPELINE_BIN" pubkey --client 2>&1)
    check "an unprivileged user running from / gets a key ($out)" \
        eval '[[ "$out" =~ ^[A-Za-z0-9+/]{43}=$ ]] && test -f "$NB/.config/pipeline/client.key"'
    rm -rf "$NB"
fi

# PIPELINE_CONFIG names the file like --config does.
out=$(cd "$D/a" && PIPELINE_CONFIG="$CONF" "$PIPELINE_BIN" ping 2>&1)
check "PIPELINE_CONFIG is read ($out)" grep -q "^pong from" <<<"$out"
out=$(PIPELINE_CONFIG="$D/none.conf" "$PIPELINE_BIN" ping 2>&1)
rc=$?
check "a PIPELINE_CONFIG that does not exist is an error naming it (exit $rc)" \
    eval 'test $rc = 2 && grep -q "$D/none.conf" <<<"$out"'
out=$(PIPELINE_CONFIG="$D/none.conf" "$PIPELINE_BIN" -c "$CONF" ping 2>&1)
check "--config wins over PIPELINE_CONFIG" grep -q "^pong from" <<<"$out"

# The original's ./.config/pipeline.config.toml is still read.
mkdir -p "$D/legacy/.config"
printf 'address = "%s"\n' "$ADDR" > "$D/legacy/.config/pipeline.config.toml"
out=$(cd "$D/legacy" && "$PIPELINE_BIN" ping 2>&1)
check "./.config/pipeline.config.toml is read when present" grep -q "^pong from" <<<"$out"
check "... and no key is created beside it" \
    eval 'test ! -e "$D/legacy/.config/client.key" && test ! -e "$D/legacy/.config/known_servers"'
# The per-user config file is read too, under the legacy one.
printf 'address = "%s";\n' "$ADDR" > "$U/config"
out=$(cd "$D/b" && "$PIPELINE_BIN" ping 2>&1)
check "the per-user file ~/.config/pipeline/config is read" grep -q "^pong from" <<<"$out"
rm -f "$U/config"

# The server's key: an explicit path in its config; pubkey --server reads
# the same file and never creates one.
cat > "$D/server.conf" <<EOF
address = "unix:$D/srv.sock";
server = { key_file = "$D/srv/server.key"; };
EOF
out=$(cd "$D/a" && "$PIPELINE_BIN" -c "$D/server.conf" pubkey --server 2>&1)
rc=$?
check "pubkey --server before the server ever ran: error, no key made (exit $rc)" \
    eval 'test $rc = 1 && test ! -e "$D/srv/server.key" && grep -q "pipeline listen. creates the server key there" <<<"$out"'
"$PIPELINE_BIN" -c "$D/server.conf" listen 2>"$D/srv.log" &
spid=$!
for i in $(seq 100); do grep -q "listening on" "$D/srv.log" && break; sleep 0.05; done
pub=$(cd "$D/b" && "$PIPELINE_BIN" -c "$D/server.conf" pubkey --server)
check "server.key_file is the key listen uses" test -f "$D/srv/server.key"
check "pubkey --server from another directory prints the running server's key" \
    grep -qF "server key $pub" "$D/srv.log"
kill $spid
wait $spid 2>/dev/null
stop_server

# --- 2. named hosts ---
start_server tcp
good=$(grep "^$ADDR " "$U/known_servers" | awk '{print $2}')
[ -n "$good" ] || good=$("$PIPELINE_BIN" -c "$CONF" ping | sed 's/.*key \([^,]*\),.*/\1/')
cat > "$D/hosts.conf" <<EOF
# an old flat line next to the named hosts
cid = 3
port = 5000
hosts = {
    web-enclave = { address = "$ADDR"; server_key = "$good"; };
    wrong-key = { address = "$ADDR"; server_key = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="; };
    by-cid = { cid = 16; port = 7000; };
};
EOF
out=$("$PIPELINE_BIN" -c "$D/hosts.conf" run --host web-enclave -- echo hi 2>&1)
check "run --host web-enclave uses the entry's address ($out)" test "$out" = hi
out=$("$PIPELINE_BIN" --host web-enclave -c "$D/hosts.conf" ping 2>&1)
check "--host works before the subcommand too" grep -q "^pong from $ADDR" <<<"$out"
out=$("$PIPELINE_BIN" -c "$D/hosts.conf" ping --host wrong-key 2>&1)
rc=$?
check "the entry's server_key is enforced (exit $rc)" eval 'test $rc = 255'
out=$("$PIPELINE_BIN" -c "$D/hosts.conf" ping --host wrong-key --server-key "$good" 2>&1)
check "a flag wins over the entry (--server-key)" grep -q "^pong from" <<<"$out"
out=$("$PIPELINE_BIN" -c "$D/hosts.conf" ping --host by-cid --address "$ADDR" 2>&1)
check "a flag wins over the entry (--address)" grep -q "^pong from $ADDR" <<<"$out"
out=$("$PIPELINE_BIN" -c "$D/hosts.conf" ping --host by-cid --connect-timeout 1 2>&1)
check "an entry's cid/port replace the top-level ones ($out)" grep -q "vsock:16:7000" <<<"$out"
out=$("$PIPELINE_BIN" -c "$D/hosts.conf" ping --host nope 2>&1)
rc=$?
check "an unknown host is a usage error listing the known ones (exit $rc)" \
    eval 'test $rc = 2 && grep -q "no host \"nope\"" <<<"$out" && grep -q "known: web-enclave, wrong-key, by-cid" <<<"$out"'
stop_server

# --- 3. unknown keys and TOML look-alikes ---
T="$D"
cfg_err() { # FILE-CONTENT TEXT WHAT: ping and listen both refuse with TEXT
    printf '%b' "$1" > "$D/bad.conf"
    expect_err 2 "$2" "$3 (ping)" "$PIPELINE_BIN" -c "$D/bad.conf" ping
    expect_err 2 "$2" "$3 (listen)" "$PIPELINE_BIN" -c "$D/bad.conf" listen
}
cfg_err 'port = 5000\nserver = {\n  alow_exec = false;\n};\n' \
    "$D/bad.conf:3: unknown key server.alow_exec (did you mean allow_exec?)" \
    "a misspelt server key is refused with file, line and the closest key"
cfg_err 'allow_exec = false\n' \
    "$D/bad.conf:1: unknown key allow_exec (did you mean server.allow_exec?)" \
    "a server key at top level points to its group"
cfg_err 'cid = 3\nprot = 5000\n' "$D/bad.conf:2: unknown key prot (did you mean port?)" \
    "a misspelt top-level key"
cfg_err 'hosts = { a = { adress = "unix:/x"; }; };\n' \
    "$D/bad.conf:1: unknown key adress in a hosts entry (did you mean address?)" \
    "a misspelt key inside a hosts entry"
cfg_err 'frobnicate = 1\n' "$D/bad.conf:1: unknown key frobnicate" \
    "an unknown key with nothing close"
cfg_err '[server]\nallow_exec = false\n' \
    'write it as: server = { key = value; };' "a TOML table header"
cfg_err 'port = 5_000\n' 'write it as: port = 5000;' "TOML digit separators"
cfg_err "address = 'unix:/x'\n" 'write it as: address = "unix:/x";' "a TOML single-quoted string"
cfg_err 'server.allow_exec = false\n' 'write it as: server = { allow_exec = false; };' \
    "a TOML dotted key"
printf '[server]\n' > "$D/bad.conf"
out=$("$PIPELINE_BIN" -c "$D/bad.conf" ping 2>&1)
check "the TOML message names the file and line and says the format" \
    eval 'grep -q "$D/bad.conf:1: syntax error: \"\[server\]\" looks like TOML" <<<"$out"'
# A misspelt policy key never starts a server with the default policy.
printf 'address = "unix:%s/p.sock";\nserver = { alow_exec = false; };\n' "$D" > "$D/bad.conf"
timeout 10 "$PIPELINE_BIN" -c "$D/bad.conf" listen --key-file "$D/p.key" 2>/dev/null
rc=$?
check "listen with alow_exec exits 2 instead of serving with exec on (exit $rc)" \
    eval 'test $rc = 2 && test ! -e "$D/p.sock"'
finish

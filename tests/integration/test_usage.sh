# The command line users expect (issue #12, items 4-14): stdin only with -i,
# a hint for shell syntax in one word, cp habits, global options anywhere,
# help, -v, the original's cat faces, "pipeline SUB:" messages that say
# which side failed, exit codes, forget, signal deaths, the progress bar.
. "$(dirname "$0")/lib.sh"

quiet() { "$@" >/dev/null 2>&1; }

start_server unix
# --- 4. stdin is opt-in ---
out=$(printf 'one\ntwo\nthree\n' | while read -r x; do tpl run -- echo "$x"; done)
check "a read loop around run keeps its list ($(echo $out))" test "$(echo $out)" = "one two three"
out=$(echo hi | tpl run -- cat)
check "without -i the command's stdin is empty" test -z "$out"
out=$(echo hi | tpl run -i -- cat)
check "-i streams stdin" test "$out" = hi
out=$(echo hi | tpl run --stdin -- cat)
check "--stdin streams stdin" test "$out" = hi
out=$(echo hi | tpl run -n -- cat)
check "-n is still accepted (a no-op)" test -z "$out"

# --- 5. shell syntax in one word ---
expect_err 127 "give --command" "run 'echo a; echo b' says to use --command" \
    tpl run 'echo a; echo b'
expect_err 127 "remote: no-such-prog-x: No such file or directory" \
    "a plain missing program gets no shell hint" tpl run no-such-prog-x
check "... and really no hint" eval '! grep -q -- --command "$T/stderr"'

# --- 6. cp habits ---
mkdir -p "$T/adir" "$T/src/sub" "$T/into" "$T/back"
expect_err 1 "(use recv-file -r or recv-dir for directories)" \
    "recv-file of a remote directory points to recv-dir" tpl recv-file "$T/adir" "$T/got"
echo one > "$T/src/one"
echo two > "$T/src/two"
echo deep > "$T/src/sub/deep"
expect_rc 0 "send-file FILE DIR into an existing remote directory" tpl send-file "$T/src/one" "$T/adir"
check "... appends the source's name" cmp "$T/src/one" "$T/adir/one"
expect_rc 0 "send-file A B DIR: several sources" tpl send-file "$T/src/one" "$T/src/two" "$T/into"
check "... all land in the directory" eval 'cmp "$T/src/one" "$T/into/one" && cmp "$T/src/two" "$T/into/two"'
expect_rc 0 "recv-file A B DIR: several remote sources" tpl recv-file "$T/into/one" "$T/into/two" "$T/back"
check "... all land in the local directory" eval 'cmp "$T/src/one" "$T/back/one" && cmp "$T/src/two" "$T/back/two"'
expect_err 1 "several sources need an existing directory" \
    "recv-file with several sources and no local directory" tpl recv-file "$T/into/one" "$T/into/two" "$T/nodir"
expect_err 1 "use send-file -r or send-dir" "send-file of a directory without -r" \
    tpl send-file "$T/src" "$T/tree"
expect_rc 0 "send-file -r DIR: the directory form" tpl send-file -r "$T/src" "$T/tree"
check "... sends the tree" eval 'cmp "$T/src/sub/deep" "$T/tree/sub/deep" && cmp "$T/src/one" "$T/tree/one"'
expect_rc 0 "recv-file -r DIR: the directory form" tpl recv-file -r "$T/tree" "$T/tree-back"
check "... receives the tree" cmp "$T/src/sub/deep" "$T/tree-back/sub/deep"
expect_rc 2 "-r is not an option of send-dir (it does nothing there)" quiet tpl send-dir -r "$T/src" "$T/t2"

# --- 7. global options anywhere, help, -q, -v ---
out=$("$PIPELINE_BIN" ping --config "$CONF" 2>&1)
check "--config after the subcommand" grep -q "^pong from" <<<"$out"
out=$("$PIPELINE_BIN" run -c "$CONF" -- echo ok 2>&1)
check "-c after the subcommand" test "$out" = ok
out=$("$PIPELINE_BIN" help)
check "pipeline help lists the subcommands" eval 'grep -q "^  run " <<<"$out" && grep -q "^  forget " <<<"$out"'
out=$("$PIPELINE_BIN" help run)
check "pipeline help run is run's help" eval 'grep -q "Usage: pipeline run" <<<"$out" && grep -q -- "--stdin" <<<"$out"'
expect_rc 2 "pipeline help frobnicate is a usage error" quiet "$PIPELINE_BIN" help frobnicate
out=$(tpl ping -q 2>&1)
check "ping -q prints nothing" test -z "$out"
out=$(tpl -v run -- true 2>&1)
check "-v names the address" grep -q "pipeline run: connecting to $ADDR" <<<"$out"
check "-v names the suite and the connect+handshake time" \
    grep -Eq "connected to $ADDR in [0-9.]+ ms \(connect and handshake\): Noise_XX_25519_(AESGCM|ChaChaPoly)_SHA256" <<<"$out"
check "-v shows the server key and how it was trusted" \
    grep -Eq "server key [A-Za-z0-9+/]{43}= (matches|first contact)" <<<"$out"
check "-v says the attestation result" grep -q "attestation: none" <<<"$out"
check "-v times the call" grep -Eq "call ended in [0-9.]+ ms \(exit 0\)" <<<"$out"
out=$(tpl run --verbose -- true 2>&1)
check "--verbose after the subcommand" grep -q "connecting to" <<<"$out"
out=$(tpl run -- true 2>&1)
check "without -v, nothing" test -z "$out"

# --- 8. the cat faces as the original's docs spell them ---
out=$("$PIPELINE_BIN" --"=(^\">,.•.,<\"^)=")
rc=$?
check "pipeline --\"=(^\\\">,.•.,<\\\"^)=\" shows George (exit $rc)" eval 'test $rc = 0 && grep -q George <<<"$out"'
out=$("$PIPELINE_BIN" --"=(^\",..,\"^)=")
rc=$?
check "pipeline --\"=(^\\\",..,\\\"^)=\" shows Pascal (exit $rc)" eval 'test $rc = 0 && grep -q Pascal <<<"$out"'

# --- 9. "pipeline run:" and a pointer to --help ---
out=$(tpl run --frobnicate 2>&1)
rc=$?
check "an unknown option: exit 2, 'pipeline run:' and a --help pointer" \
    eval 'test $rc = 2 && grep -q "^pipeline run: unrecognized option .--frobnicate." <<<"$out" &&
          grep -q "pipeline run --help" <<<"$out"'
expect_err 2 "pipeline run: give either --address or --cid/--port, not both (see pipeline run --help)" \
    "--address with --cid/--port is refused" tpl run --address "$ADDR" --cid 3 --port 5 -- true
expect_err 2 "pipeline send-file: give either --address or --cid/--port" \
    "... on every client subcommand" tpl send-file --address "$ADDR" --port 5 /etc/hostname "$T/x"

# --- 10. which side failed ---
expect_err 1 "pipeline send-file: local: $T/nope: No such file or directory" \
    "a missing local file is said to be local" tpl send-file "$T/nope" "$T/x"
expect_err 1 "pipeline recv-file: remote: $T/nope: No such file or directory" \
    "a missing remote file is said to be remote" tpl recv-file "$T/nope" "$T/x"
mkdir -p "$T/ro-local"
chmod 555 "$T/ro-local"
if [ "$(id -u)" != 0 ]; then
    expect_err 1 "local:" "an unwritable local destination is local" \
        tpl recv-file /etc/hostname "$T/ro-local/x"
fi

# --- 13. a signal death is said ---
expect_err 137 "pipeline run: remote command killed by SIGKILL" \
    "killed by SIGKILL: 137 and the shell's message" tpl run --command 'kill -9 $$'
expect_err 143 "pipeline run: remote command killed by SIGTERM" \
    "killed by SIGTERM: 143" tpl run --command 'kill -TERM $$'

# --- 12. a changed key: the exact command to forget it ---
KS="$XDG_CONFIG_HOME/pipeline/known_servers"
check "the server's key was recorded" grep -q "^$ADDR " "$KS"
stop_server
rm -f "$T/server.key"
"$PIPELINE_BIN" -c "$CONF" listen --key-file "$T/server.key" 2>>"$T/server.log" &
SERVER_PID=$!
for i in $(seq 100); do [ -S "${ADDR#unix:}" ] && break; sleep 0.05; done
expect_err 255 "forget the old one with: pipeline forget $ADDR" \
    "a changed key prints the exact forget command" tpl ping
cmd=$(grep -o "pipeline forget .*" "$T/stderr")
out=$("$PIPELINE_BIN" ${cmd#pipeline } 2>&1)
rc=$?
check "running it removes the old key (exit $rc: $out)" eval 'test $rc = 0 && ! grep -q "^$ADDR " "$KS"'
out=$(tpl ping 2>&1)
check "the next contact records the new key" eval 'grep -q "^pong from" <<<"$out" && grep -q "^$ADDR " "$KS"'
expect_err 1 "has no key for unix:/nowhere" "forget of an unknown address says so" \
    "$PIPELINE_BIN" forget unix:/nowhere
out=$(tpl ping --known-servers "$T/ks2" 2>&1)
"$PIPELINE_BIN" forget --known-servers "$T/ks2" "$ADDR" 2>/dev/null
check "forget --known-servers FILE" eval '! grep -q "^$ADDR " "$T/ks2"'
stop_server

# --- 11. exit codes of policy refusals ---
start_server unix "server = { allow_exec = false; read_only = true; };"
expect_err 126 "pipeline run: remote:" "run refused by allow_exec = false exits 126" tpl run -- true
echo x > "$T/small"
expect_err 1 "pipeline send-file: remote:" "send-file refused by read_only exits 1" \
    tpl send-file "$T/small" "$T/y"
stop_server

# --- 14. the progress bar keeps its width ---
start_server unix
head -c 24M /dev/urandom > "$T/big"
on_tty() { script -qefc "$*" /dev/null; }
# A narrow, slow-enough transfer draws several frames.
out=$(COLUMNS=100 on_tty "$PIPELINE_BIN" -c "$CONF" send-file "$T/big" "$T/big2" 2>&1 |
    tr '\r' '\n' | sed 's/\x1b\[K//g' | grep -a '\[')
widths=$(awk '{print length($0)}' <<<"$out" | sort -u)
check "every frame of the bar has the same width ($(echo $widths))" test "$(wc -l <<<"$widths")" = 1
check "the final frame says it shows an average, and the time" \
    eval 'tail -n1 <<<"$out" | grep -Eq "100% .* avg in +[0-9]+:[0-9]{2}"'
check "the transfer itself is intact" cmp "$T/big" "$T/big2"
out=$("$PIPELINE_BIN" help send-file)
check "send-file's help says what the final figure measures" grep -q "average" <<<"$out"
stop_server
finish

#!/bin/bash
# Exec: the original's documented `run` examples (with --address in place of
# vsock), exit statuses, separate binary-safe streams, stdin, -e/-w/--timeout,
# descriptor hygiene, --no-wait, server policy and no zombies.
. "$(dirname "$0")/lib.sh"

# After stop_server: a sanitizer build reports errors and leaks in the log.
sanitizer_clean() { ! grep -qE 'Sanitizer|runtime error' "$T/server.log"; }

# Z-state children of a pid.
zombies_of() {
    local ppid=$1 n=0 f s
    for f in /proc/[0-9]*/stat; do
        s=$(cat "$f" 2>/dev/null) || continue
        s=${s##*) }
        # shellcheck disable=SC2086
        set -- $s
        [ "$2" = "$ppid" ] && [ "$1" = Z ] && n=$((n + 1))
    done
    echo "$n"
}

has() { grep -q -- "$2" "$1"; }
running() { pgrep -f "$1" >/dev/null; }
not() { ! "$@"; }
pings() { pl ping -q >/dev/null; }
now() { date +%s.%N; }
elapsed_lt() { awk -v a="$1" -v b="$(now)" -v lim="$2" 'BEGIN{exit !(b-a < lim)}'; }

for transport in unix tcp; do
    start_server "$transport" "server: { kill_grace = 1; };"
    E=$T/e
    mkdir -p "$T/app"

    # --- the original's documentation ---
    out=$(pl run --command "echo 'Hello from enclave'")
    check "docs: --command \"echo 'Hello from enclave'\"" [ "$out" = "Hello from enclave" ]
    out=$(pl run --command "cat /proc/cpuinfo | grep 'model name'")
    check "docs: a pipe and quotes inside --command" \
        [ -n "$out" -a "$out" = "$(grep 'model name' /proc/cpuinfo)" ]
    expect_rc 1 "docs: --command \"test -f /enclave/data/input.txt\"" \
        pl run --command "test -f /enclave/data/input.txt"
    out=$(pl run -- echo hello)
    check "docs: run -- echo hello" [ "$out" = hello ]
    out=$(pl run -- echo "Hello from enclave")
    check "docs: run -- echo \"Hello from enclave\"" [ "$out" = "Hello from enclave" ]
    out=$(pl run --address "$ADDR" --command "hostname")
    check "docs: --command hostname with --address" [ "$out" = "$(hostname)" ]
    out=$("$PIPELINE_BIN" --config "$CONF" run --command "echo production")
    check "docs: pipeline --config FILE run --command" [ "$out" = production ]
    printf '#!/bin/sh\necho "process $*"\n' > "$T/app/process.sh"
    chmod +x "$T/app/process.sh"
    out=$(pl run --command "$T/app/process.sh --input data.json")
    check "docs: a script with arguments" [ "$out" = "process --input data.json" ]
    out=$(pl run -- "$T/app/process.sh" --flag value)
    check "docs: run -- /usr/bin/my-secure-app --flag value" [ "$out" = "process --flag value" ]
    if pl run --command "true"; then ok "docs: conditional, success branch"; else fail "docs: conditional, success branch"; fi
    if pl run --command "false"; then fail "docs: conditional, failure branch"; else ok "docs: conditional, failure branch"; fi
    out=$(pl run --command "env")
    check "docs: --command env shows the environment" grep -q '^PATH=' <<<"$out"
    expect_rc 255 "docs: run --cid C --port P parses (vsock has no peer here)" \
        pl run --cid 3 --port 5000 --connect-timeout 1 --command "echo ping"

    # --no-wait forms
    # The job outlives the call by seconds, so "at once" holds on a loaded
    # machine too, and still tells a detached start from a waited one.
    printf '#!/bin/sh\nsleep 5\necho "$*" > %s\n' "$T/app/job.out" > "$T/app/long-job.sh"
    chmod +x "$T/app/long-job.sh"
    t0=$(now)
    expect_rc 0 "docs: --command SCRIPT --no-wait" pl run --command "$T/app/long-job.sh started" --no-wait
    check "--no-wait returns at once" elapsed_lt "$t0" 4
    for _ in $(seq 400); do [ -s "$T/app/job.out" ] && break; sleep 0.05; done
    check "--no-wait: the detached command ran" [ "$(cat "$T/app/job.out" 2>/dev/null)" = started ]
    expect_rc 0 "docs: --command \"nohup sleep 1 &\" --no-wait" pl run --command "nohup sleep 1 &" --no-wait
    rm -f "$T/app/job.out"
    expect_rc 0 "docs: run --no-wait -- PROGRAM ARGS" pl run --no-wait -- "$T/app/long-job.sh" argv-form
    for _ in $(seq 400); do [ -s "$T/app/job.out" ] && break; sleep 0.05; done
    check "--no-wait -- ARGV ran" [ "$(cat "$T/app/job.out" 2>/dev/null)" = argv-form ]
    cp "$T/app/process.sh" "$T/app/app.bin"
    chmod -x "$T/app/app.bin"
    expect_rc 0 "docs: --command \"chmod +x app && app --config ...\" --no-wait" \
        pl run --command "chmod +x $T/app/app.bin && $T/app/app.bin --config x" --no-wait
    marker="detached-$RANDOM-$transport"
    pl run --no-wait --command "echo $marker-out; echo $marker-err >&2" >/dev/null
    for _ in $(seq 400); do has "$T/server.log" "$marker-err" && break; sleep 0.05; done
    check "--no-wait output goes to the server's console" has "$T/server.log" "$marker-err"
    expect_rc 127 "--no-wait with a missing program fails" pl run --no-wait -- no-such-program-pl 2>"$E"
    check "--no-wait failure names the program" has "$E" "no-such-program-pl: No such file or directory"
    pl run --no-wait -- sleep "3.$$"
    check "--no-wait: the command is running after we return" running "^sleep 3.$$"
    pkill -f "^sleep 3.$$"

    # --- exit statuses ---
    expect_rc 7 "run -- sh -c 'exit 7'" pl run -- sh -c 'exit 7'
    expect_rc 137 "run -- sh -c 'kill -9 \$\$' (128+9)" pl run -- sh -c 'kill -9 $$'
    expect_rc 143 "a command killed by SIGTERM (128+15)" pl run -- sh -c 'kill -TERM $$'
    expect_rc 1 "run --command \"test -f /nonexistent\"" pl run --command "test -f /nonexistent"
    expect_rc 127 "a missing program" pl run -- no-such-program-pl --x 2>"$E"
    check "missing program message" has "$E" "pipeline run: remote: no-such-program-pl: No such file or directory"
    expect_rc 127 "a missing program through the shell" pl run --command "no-such-program-pl" 2>/dev/null
    printf 'echo x\n' > "$T/app/noexec"
    chmod 644 "$T/app/noexec"
    expect_rc 126 "a file that is not executable" pl run -- "$T/app/noexec" 2>"$E"
    check "not executable message" has "$E" "noexec: Permission denied"
    expect_rc 126 "a directory as the program" pl run -- /etc 2>/dev/null
    expect_rc 2 "usage: --command and ARGV both" pl run --command true -- true 2>/dev/null
    expect_rc 2 "usage: nothing to run" pl run 2>"$E"
    check "usage message says what is missing" has "$E" "nothing to run"
    expect_rc 2 "usage: -e without =" pl run -e FOO -- true 2>/dev/null
    expect_rc 2 "usage: unknown option" pl run --bogus -- true 2>/dev/null
    out=$(pl run -- ls -la /proc/self/fd 2>&1 | head -1)
    check "options after ARGV belong to the command (run -- ls -la)" grep -q '^total' <<<"$out"

    # --- streams ---
    pl run --command 'echo to-out; echo to-err >&2' >"$T/o" 2>"$T/e2"
    check "stdout and stderr are separated" [ "$(cat "$T/o")" = to-out -a "$(cat "$T/e2")" = to-err ]
    pl run -- printf '\377\376\000\200\n' >"$T/bin.out"
    printf '\377\376\000\200\n' >"$T/bin.want"
    check "non-UTF-8 output round-trips" cmp -s "$T/bin.out" "$T/bin.want"
    pl run -- printf '%s' $'\xff\xfe\xc3' >"$T/arg.out"
    check "non-UTF-8 arguments round-trip" [ "$(od -An -tx1 "$T/arg.out" | tr -d ' ')" = fffec3 ]
    head -c 1048576 /dev/urandom >"$T/rand"
    pl run -i -- cat <"$T/rand" >"$T/rand.out"
    check "binary stdin -> stdout round-trips (1 MiB)" cmp -s "$T/rand" "$T/rand.out"
    pl run -i --command 'cat >&2' <"$T/rand" 2>"$T/rand.err" >/dev/null
    check "binary stdin -> stderr round-trips" cmp -s "$T/rand" "$T/rand.err"
    out=$(printf 'a\nb\nc\n' | pl run -i -- wc -l)
    check "stdin is streamed with EOF (wc -l)" [ "$out" = 3 ]
    out=$(printf 'x\n' | pl run -n -- cat)
    check "-n gives an empty stdin" [ -z "$out" ]
    out=$(printf 'x\n' | pl run --no-stdin -- wc -c)
    check "--no-stdin: wc sees 0 bytes" [ "$out" = 0 ]
    out=$(pl run --command 'yes | head -c 4' 2>"$E")
    check "the command gets default SIGPIPE (yes | head, silent)" \
        [ "$out" = "$(printf 'y\ny')" -a ! -s "$E" ]
    t0=$(now)
    out=$(yes | pl run -i -- head -c 6)
    check "a command that stops reading a stdin that never ends" [ "$out" = "$(printf 'y\ny\ny')" ]
    check "  ... returns promptly" elapsed_lt "$t0" 5
    check "  ... and the server still serves" pings

    # --- environment, cwd, timeout ---
    out=$(pl run -e FOO=bar -e X=1 -- sh -c 'echo "$FOO$X"')
    check "-e NAME=VALUE (repeatable)" [ "$out" = bar1 ]
    out=$(pl run --env 'SPACED=a b=c' --command 'echo "$SPACED"')
    check "--env value with spaces and =" [ "$out" = "a b=c" ]
    expect_rc 127 "-e PATH= is used to find the program" pl run -e PATH=/nonexistent -- ls 2>/dev/null
    out=$(pl run -w /tmp -- pwd)
    check "-w DIR" [ "$out" = /tmp ]
    out=$(pl run --cwd "$T/app" -- ./process.sh rel)
    check "--cwd with a relative program" [ "$out" = "process rel" ]
    expect_rc 126 "-w to a missing directory" pl run -w /nonexistent-dir -- true 2>"$E"
    check "missing cwd message" has "$E" "/nonexistent-dir: No such file or directory"
    t0=$(now)
    expect_rc 124 "--timeout 1 on sleep 30" pl run --timeout 1 -- sleep 30 2>"$E"
    check "--timeout kills within a couple of seconds" elapsed_lt "$t0" 5
    check "--timeout message" has "$E" "timed out"
    t0=$(now)
    expect_rc 124 "--timeout on a command that ignores SIGTERM (KILL after grace)" \
        pl run --timeout 1 -- sh -c "trap '' TERM; sleep 30.$$" 2>/dev/null
    check "  ... killed after kill_grace" elapsed_lt "$t0" 6
    check "  ... nothing left of it" not running "^sleep 30.$$"
    expect_rc 0 "--timeout not reached" pl run --timeout 5 -- true
    expect_rc 2 "--timeout with --no-wait is a usage error" pl run --timeout 5 --no-wait -- true 2>/dev/null

    # --- descriptors: only 0 1 2 reach the command (3 is ls's own) ---
    out=$(pl run -- ls /proc/self/fd | tr '\n' ' ')
    check "no leaked descriptors: run -- ls /proc/self/fd -> '$out'" [ "$out" = "0 1 2 3 " ]
    out=$(pl run --command 'ls /proc/self/fd' | tr '\n' ' ')
    check "no leaked descriptors through the shell" [ "$out" = "0 1 2 3 " ]

    # --- no zombies: detached and finished commands are reaped ---
    sleep 1.2
    z=$(zombies_of "$SERVER_PID")
    check "no zombie children of the server (found $z)" [ "$z" = 0 ]
    check "the server survived everything" server_alive
    stop_server
    check "no sanitizer report in the server log" sanitizer_clean
done

# --- policy (unix only: it is the server's decision, not the transport's) ---
start_server unix "server: { allow_exec = false; };"
expect_rc 126 "exec disabled in config is refused (126: may not execute)" pl run -- true 2>"$T/e"
check "refusal message: $(cat "$T/e")" has "$T/e" "exec is disabled on this server"
expect_rc 126 "exec disabled: --no-wait too" pl run --no-wait -- true 2>/dev/null
check "the server logs the refusal" has "$T/server.log" "refused: exec is disabled"
stop_server
check "no sanitizer report in the server log" sanitizer_clean

start_server unix "server: { max_execs = 1; };"
pl run -- sleep "1.$$" &
busy=$!
for _ in $(seq 40); do pgrep -f "^sleep 1.$$" >/dev/null && break; sleep 0.05; done
expect_rc 255 "max_execs reached: RESOURCE_EXHAUSTED" pl run -- true 2>"$T/e"
check "limit message: $(cat "$T/e")" has "$T/e" "too many commands running"
wait "$busy"
expect_rc 0 "the slot is free again afterwards" pl run -- true
stop_server
check "no sanitizer report in the server log" sanitizer_clean

finish

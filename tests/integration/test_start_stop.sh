#!/bin/bash
# A stop signal at any moment of the server's start-up stops it cleanly:
# it exits promptly, with status 0 once it has begun to start, and leaves
# no socket file. Before `listen` has begun (the shell's fork, exec, the
# program's own start), the signal's default action may kill it: then it
# has created nothing (no key file, no socket, no log line).
. "$(dirname "$0")/lib.sh"

# run_one DIR HOW [DELAY|SIGNAL]: starts a server in DIR and stops it.
#   delay D: SIGTERM D seconds after the start (0: at once)
#   pending SIG: the server starts with SIG blocked and already pending (a
#   parent that blocked it, as some supervisors do): it must still stop.
# Prints "STATUS SECONDS" (seconds from the signal to the exit).
run_one() {
    local d=$1 how=$2 arg=$3 pid t0 t1 i
    mkdir -p "$d"
    echo "address = \"unix:$d/s.sock\";" >"$d/c"
    if [ "$how" = pending ]; then
        /usr/bin/python3 -c '
import os, signal, sys
sig = getattr(signal, sys.argv[1])
signal.pthread_sigmask(signal.SIG_BLOCK, {sig})
os.kill(os.getpid(), sig)  # pending, delivered once unblocked
os.execv(sys.argv[2], sys.argv[2:])' "$arg" \
            "$PIPELINE_BIN" -c "$d/c" listen --key-file "$d/k" 2>"$d/log" &
        pid=$!
        t0=$(date +%s%N)
    else
        "$PIPELINE_BIN" -c "$d/c" listen --key-file "$d/k" 2>"$d/log" &
        pid=$!
        [ "$arg" = 0 ] || sleep "$arg"
        t0=$(date +%s%N)
        kill -TERM "$pid"
    fi
    # Promptly: 10 s at most on a loaded machine (it takes milliseconds).
    for i in $(seq 1 200); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    t1=$(date +%s%N)
    if kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid"
        wait "$pid" 2>/dev/null
        echo "hung $(((t1 - t0) / 1000000))ms"
        return
    fi
    wait "$pid"
    echo "$? $(((t1 - t0) / 1000000))ms"
}

# judge DIR RESULT WHAT: the checks for one run.
judge() {
    local d=$1 rc=${2%% *} took=${2#* } what=$3
    if [ "$rc" = hung ]; then
        fail "$what: still running $took after the signal"
        return
    fi
    if [ -e "$d/s.sock" ]; then
        fail "$what: exit $rc, the socket file is left"
        return
    fi
    case $rc in
    0) grep -q "stopping on SIG" "$d/log" ||
        fail "$what: exit 0 without 'stopping on SIG...' in its log" ;;
    143) # Killed before `listen` began: nothing may exist yet.
        if [ -e "$d/k" ] || [ -s "$d/log" ]; then
            fail "$what: killed by SIGTERM after it had begun (key file or log written): $(head -c 300 "$d/log")"
        fi ;;
    *) fail "$what: exit $rc: $(head -c 300 "$d/log")" ;;
    esac
}

# Signals pending from the start: delivered only when the server takes
# them, so every run goes through the whole start-up with one waiting.
for sig in SIGTERM SIGINT SIGHUP; do
    zero=0
    for i in 1 2 3 4 5; do
        d="$TESTROOT/pending-$sig-$i"
        r=$(run_one "$d" pending "$sig")
        judge "$d" "$r" "$sig pending at start (run $i)"
        [ "${r%% *}" = 0 ] && zero=$((zero + 1))
        grep -q "stopping on $sig" "$d/log" ||
            fail "$sig pending at start (run $i): no 'stopping on $sig' in the log"
    done
    check "$sig pending at start: 5 of 5 stopped cleanly, exit 0 ($zero)" test "$zero" = 5
done

# SIGTERM at once and after tiny random delays, up to a few times the
# start-up's length, so it lands at every stage of it.
declare -A seen
before=$FAILURES
for i in $(seq 1 30); do
    if [ "$i" -le 5 ]; then
        delay=0
    else
        delay=$(printf '0.%03d' $((RANDOM % 25)))
    fi
    d="$TESTROOT/term-$i"
    r=$(run_one "$d" delay "$delay")
    judge "$d" "$r" "SIGTERM after ${delay}s (run $i)"
    seen[${r%% *}]=$((${seen[${r%% *}]:-0} + 1))
done
summary=""
for k in "${!seen[@]}"; do summary="$summary exit $k: ${seen[$k]};"; done
check "30 servers sent SIGTERM during start-up all stopped promptly, none left its socket ($summary)" \
    test "$FAILURES" = "$before"

# The stop path's own log lines are intact under sanitizers.
check "no sanitizer report in any server log" \
    eval '! cat "$TESTROOT"/*/log | grep -qE "Sanitizer|runtime error"'
finish

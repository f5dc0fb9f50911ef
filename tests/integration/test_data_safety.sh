#!/bin/bash
# Data safety around failures: SIGTERM mid-upload leaves no temporary,
# stale temporaries of a killed server are removed at start (only ours,
# only regular files, never one a live writer holds), and a PutDir that
# fails or is cut short by SIGTERM leaves no directory at the 0700 it had
# while being filled.
. "$(dirname "$0")/lib.sh"

# temps DIR: the .incomplete files beneath DIR, one per line.
temps() { find "$1" -name '*.incomplete' 2>/dev/null; }
# wait_for CMD...: until CMD succeeds (10 s at most).
wait_for() {
    local i
    for i in $(seq 1 200); do
        "$@" && return 0
        sleep 0.05
    done
    return 1
}
has_temps() { [ -n "$(temps "$1")" ]; }

cat >"$TESTROOT/putdir.py" <<'EOF'
import os
import sys
import time

sys.path.insert(0, os.path.join(sys.argv[1], "clients", "python"))
import pipeline_client as pc  # noqa: E402

pb = pc.pb
ADDR, MODE, TOP = sys.argv[2], sys.argv[3], sys.argv[4].encode()


def entry(name, kind, mode=0):
    return pb.Frame(dir_entry=pb.DirEntry(name=name, type=kind, mode=mode))


with pc.connect(ADDR) as c:
    c.send_frame(pb.Frame(put_dir=pb.PutDirRequest(path=TOP, mode=0o750)))
    c.send_frame(entry(b"ro", pb.ENTRY_DIR, 0o500))
    c.send_frame(entry(b"ro/inner", pb.ENTRY_DIR, 0o555))
    if MODE == "bad-name":
        c.send_frame(entry(b"../escape", pb.ENTRY_DIR, 0o755))
    elif MODE == "bad-count":
        c.send_frame(pb.Frame(end=pb.EndOfStream(stream=pb.STREAM_DIR,
                                                 total_length=7)))
    elif MODE in ("hang-up", "stall"):
        c.send_frame(entry(b"ro/file", pb.ENTRY_FILE, 0o644))
        c.send_frame(pb.Frame(data=pb.Data(stream=pb.STREAM_FILE,
                                           data=b"partial")))
        if MODE == "stall":
            print("STALLING", flush=True)
            time.sleep(60)
        c.close()
        print("OK hung up")
        sys.exit(0)
    f = c.recv_frame()
    if f.WhichOneof("body") != "status":
        print("FAIL expected a Status, got %s" % f.WhichOneof("body"))
        sys.exit(1)
    print("OK %s: %s" % (pb.Code.Name(f.status.code), f.status.message))
EOF
putdir() { timeout 60 /usr/bin/python3 "$TESTROOT/putdir.py" "$PIPELINE_SRC" "$ADDR" "$@"; }
mode_of() { stat -c %a "$1" 2>/dev/null; }

for transport in unix tcp; do
    R="$TESTROOT/root-$transport"
    mkdir -p "$R"

    # ---- 11: a failed PutDir applies the modes of what it created ----
    start_server "$transport" "server = { root = \"$R\"; };"
    for how in bad-name bad-count hang-up; do
        out=$(putdir "$how" "/pd-$how" 2>&1)
        check "PutDir ($how) failed as it should: $out" grep -q "^OK" <<<"$out"
        check "PutDir ($how): the new top directory has its mode, 750" \
            wait_for eval '[ "$(mode_of "$R/pd-$how")" = 750 ]'
        check "PutDir ($how): a created directory has its delayed mode, 500" \
            wait_for eval '[ "$(mode_of "$R/pd-$how/ro")" = 500 ]'
        check "PutDir ($how): and its child, 555" \
            wait_for eval '[ "$(mode_of "$R/pd-$how/ro/inner")" = 555 ]'
    done
    check "PutDir: no temporary left after the hang-up" \
        wait_for eval '! has_temps "$R"'

    # ---- 10: SIGTERM mid-upload removes the temporaries in flight ----
    # The upload's stdin: a FIFO this shell holds open, so it never ends.
    mkfifo "$T/in"
    tpl send-file -q - /up/dest <"$T/in" >/dev/null 2>&1 &
    upload=$!
    exec 7>"$T/in"
    printf 'partial data' >&7
    putdir stall /pd-stall >"$T/stall.out" 2>&1 &
    stall=$!
    # And a real send-dir of a tree whose directories are not 0700, cut
    # short in a big (sparse) file inside a read-only directory.
    D="$TESTROOT/tree-$transport"
    mkdir -p "$D/ro/sub"
    truncate -s 4G "$D/ro/big"
    chmod 555 "$D/ro/sub"
    chmod 550 "$D/ro"
    chmod 750 "$D"
    tpl send-dir -q "$D" /sd >/dev/null 2>&1 &
    senddir=$!
    check "three uploads in flight, each with its temporary" \
        wait_for eval '[ "$(temps "$R" | wc -l)" = 3 ]'
    kill -TERM "$SERVER_PID"
    wait "$SERVER_PID"
    SERVER_PID=
    check "after SIGTERM no temporary is left ($(temps "$R" | tr '\n' ' '))" \
        eval '! has_temps "$R"'
    check "and no partial file under a real name" test ! -e "$R/up/dest"
    # A PutDir cut short by the stop keeps what it completed, and the
    # directories it made have their modes, as when it fails: none is
    # left at the 0700 it had while being filled.
    check "stopped PutDir: the new top directory has its mode, 750 ($(mode_of "$R/pd-stall"))" \
        test "$(mode_of "$R/pd-stall")" = 750
    check "stopped PutDir: a created directory has its delayed mode, 500 ($(mode_of "$R/pd-stall/ro"))" \
        test "$(mode_of "$R/pd-stall/ro")" = 500
    check "stopped PutDir: and its child, 555 ($(mode_of "$R/pd-stall/ro/inner"))" \
        test "$(mode_of "$R/pd-stall/ro/inner")" = 555
    check "stopped send-dir: the top directory has its mode, 750 ($(mode_of "$R/sd"))" \
        test "$(mode_of "$R/sd")" = 750
    check "stopped send-dir: the read-only directory has its mode, 550 ($(mode_of "$R/sd/ro"))" \
        test "$(mode_of "$R/sd/ro")" = 550
    check "stopped send-dir: no partial file under a real name" \
        test ! -e "$R/sd/ro/big"
    check "no directory left at 0700 ($(find "$R" -type d -perm 700 | tr '\n' ' '))" \
        test -z "$(find "$R" -type d -perm 700)"
    check "the server logged the modes it applied at the stop" \
        grep -q "stopping: put-dir /pd-stall: gave 3 directories their modes" "$T/server.log"
    wait "$senddir" 2>/dev/null
    rm -rf "$D"
    exec 7>&-
    kill "$upload" "$stall" 2>/dev/null
    wait "$upload" "$stall" 2>/dev/null

    # ---- 10: stale temporaries of a dead server, removed at start ----
    S="$TESTROOT/stale-$transport"
    mkdir -p "$S/sub/deeper" "$S/.d.AbCdE1.incomplete" "$TESTROOT/outside-$transport"
    echo x >"$S/.f.AbCdE1.incomplete"                  # ours: removed
    echo x >"$S/sub/deeper/.g h.Zz9Zz9.incomplete"     # ours, nested: removed
    echo x >"$S/.short.abc.incomplete"                 # not our form: kept
    echo x >"$S/plain.incomplete"                      # not our form: kept
    echo x >"$S/.f.AbCdE1.incomplete.bak"              # not our form: kept
    mkfifo "$S/.p.AbCdE1.incomplete"                   # not a regular file
    echo keep >"$TESTROOT/outside-$transport/target"
    ln -s "$TESTROOT/outside-$transport/target" "$S/.s.AbCdE1.incomplete"
    echo x >"$S/.live.QwErT1.incomplete"               # a live writer holds it
    /usr/bin/python3 -c '
import fcntl, sys, time
f = open(sys.argv[1], "a")
fcntl.flock(f, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(60)' "$S/.live.QwErT1.incomplete" >"$TESTROOT/locked-$transport" &
    locker=$!
    wait_for grep -q locked "$TESTROOT/locked-$transport"
    start_server "$transport" "server = { root = \"$S\"; };"
    check "a stale temporary is removed" test ! -e "$S/.f.AbCdE1.incomplete"
    check "a nested stale temporary is removed" \
        test ! -e "$S/sub/deeper/.g h.Zz9Zz9.incomplete"
    for kept in .short.abc.incomplete plain.incomplete .f.AbCdE1.incomplete.bak \
        .d.AbCdE1.incomplete .p.AbCdE1.incomplete .live.QwErT1.incomplete; do
        check "kept: $kept" test -e "$S/$kept"
    done
    check "kept: a symlink of our form" test -L "$S/.s.AbCdE1.incomplete"
    check "and what it points to" test -e "$TESTROOT/outside-$transport/target"
    check "the removals are logged" grep -q "2 removed, 1 in use kept" "$T/server.log"
    stop_server
    kill "$locker" 2>/dev/null
    wait "$locker" 2>/dev/null
    check "server log is free of sanitizer reports" \
        eval '! grep -qE "Sanitizer|runtime error" "$T/server.log"'
done
TRANSPORT=
finish

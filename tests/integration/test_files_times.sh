#!/bin/bash
# -p/--preserve keeps modification times, as cp -p and scp -p do:
# send-file, recv-file, send-dir, recv-dir and the -r forms carry each
# file's, symlink's and directory's time (the top directory and nested
# ones included) to the nanosecond; without -p what is written gets the
# time it was written. A raw client's nonsense time (a second's worth of
# nanoseconds or more) is refused with an error and the server carries on.
. "$(dirname "$0")/lib.sh"

# "NAME SECONDS.NANOSECONDS" of every entry beneath $1, the top as ".".
times_of() {
    (cd "$1" && find . -printf '%p %T@\n' | sort)
}
same_times() { cmp <(times_of "$1") <(times_of "$2"); }
# mtime_is FILE "DATE": stat's %y (nanoseconds) as touch -d DATE sets it.
mtime_is() {
    local want
    want=$(touch -d "$2" "$T/ref" && stat -c %y "$T/ref")
    [ "$(stat -c %y "$1")" = "$want" ]
}
# Written now: newer than a moment before the copy.
is_fresh() { [ "$(stat -c %Y "$1")" -ge "$STARTED" ]; }

OLD='2001-02-03 04:05:06.123456789'
make_tree() {
    local d=$1
    mkdir -p "$d/a/b" "$d/empty" "$d/ro"
    echo deep >"$d/a/b/deep"
    echo top >"$d/top"
    echo inside >"$d/ro/f"
    ln -s top "$d/link"
    # Distinct times, children first, so a mix-up shows.
    touch -h -d '2001-02-03 04:05:06.111111111' "$d/a/b/deep"
    touch -h -d '2002-03-04 05:06:07.222222222' "$d/a/b"
    touch -h -d '2003-04-05 06:07:08.333333333' "$d/a"
    touch -h -d '2004-05-06 07:08:09.444444444' "$d/empty"
    touch -h -d '2005-06-07 08:09:10.555555555' "$d/top"
    touch -h -d '2006-07-08 09:10:11.666666666' "$d/ro/f"
    touch -h -d '2007-08-09 10:11:12.777777777' "$d/link"
    # A read-only directory: its mode comes last, its time still applies.
    chmod 555 "$d/ro"
    touch -h -d '2008-09-10 11:12:13.888888888' "$d/ro"
    touch -h -d '1969-07-20 20:17:40.000000001' "$d"
}

start_server unix
L=$T/local R=$T/remote
mkdir -p "$L" "$R/into"
echo data >"$L/f"
touch -d "$OLD" "$L/f"
check "the source has the old time" mtime_is "$L/f" "$OLD"
STARTED=$(date +%s)

# ---- files ----
tpl send-file -q -p "$L/f" "$R/f.kept"
check "send-file -p: the remote copy has the source's time to the nanosecond" \
    mtime_is "$R/f.kept" "$OLD"
check "... (stat %Y equal too)" [ "$(stat -c %Y "$R/f.kept")" = "$(stat -c %Y "$L/f")" ]
tpl send-file -q "$L/f" "$R/f.fresh"
check "send-file without -p: the copy gets the time it was written" is_fresh "$R/f.fresh"
tpl send-file -q --preserve "$L/f" "$R/into"
check "send-file --preserve into an existing directory keeps it" mtime_is "$R/into/f" "$OLD"

tpl recv-file -q -p "$R/f.kept" "$L/got.kept"
check "recv-file -p: the local copy has the remote time to the nanosecond" \
    mtime_is "$L/got.kept" "$OLD"
tpl recv-file -q "$R/f.kept" "$L/got.fresh"
check "recv-file without -p: the time it was written" is_fresh "$L/got.fresh"
check "no temporaries left" [ -z "$(find "$L" "$R" -name '*.incomplete')" ]
tpl recv-file -q -p "$R/f.kept" - >"$L/stdout.copy"
check "recv-file -p to stdout still works" grep -qx data "$L/stdout.copy"

# ---- directories ----
make_tree "$L/src"
tpl send-dir -q -p "$L/src" "$R/tree"
check "send-dir exits 0" test $? = 0
check "send-dir -p: every file, link and directory time kept (top and nested too)" \
    same_times "$L/src" "$R/tree"
check "... the read-only directory still got its mode" [ "$(stat -c %a "$R/tree/ro")" = 555 ]
tpl recv-dir -q -p "$R/tree" "$L/back"
check "recv-dir -p: every time kept" same_times "$L/src" "$L/back"
check "... the top directory's time (from before 1970)" \
    mtime_is "$L/back" '1969-07-20 20:17:40.000000001'
check "... a nested directory's" mtime_is "$L/back/a/b" '2002-03-04 05:06:07.222222222'

tpl send-dir -q "$L/src" "$R/plain"
check "send-dir without -p: the top directory gets the time it was written" is_fresh "$R/plain"
check "... a nested directory too" is_fresh "$R/plain/a/b"
check "... and a file" is_fresh "$R/plain/a/b/deep"
tpl recv-dir -q "$R/tree" "$L/plain"
check "recv-dir without -p: the top directory is fresh" is_fresh "$L/plain"
check "... a nested directory too" is_fresh "$L/plain/a/b"
check "... and a file" is_fresh "$L/plain/top"

# The -r forms go the same way.
tpl send-file -q -r -p "$L/src" "$R/viar"
check "send-file -r -p keeps every time" same_times "$L/src" "$R/viar"
tpl recv-file -q -r -p "$R/viar" "$L/viar"
check "recv-file -r -p keeps every time" same_times "$L/src" "$L/viar"

# ---- a raw client with nonsense times ----
out=$(/usr/bin/python3 - "$PIPELINE_SRC" "$ADDR" "$R/bad" <<'EOF' 2>&1
import os, sys
sys.path.insert(0, os.path.join(sys.argv[1], "clients", "python"))
import pipeline_client as pc
pb = pc.pb
addr, dest = sys.argv[2], os.fsencode(sys.argv[3])
with pc.connect(addr, timeout=10.0) as c:
    def status(what):
        f = c.recv_frame()
        kind = f.WhichOneof("body")
        if kind != "status" or f.status.code != pb.CODE_INVALID_ARGUMENT:
            print("FAIL %s: %s %s" % (what, kind, f))
            sys.exit(1)
        print("%s: %s" % (what, f.status.message))
    bad = pb.FileTime(sec=981173106, nsec=10**9)
    c.send_frame(pb.Frame(put_file=pb.PutFileRequest(path=dest, mode=0o644, mtime=bad)))
    c.send_frame(pb.Frame(data=pb.Data(stream=pb.STREAM_FILE, data=b"x")))
    c.send_frame(pb.Frame(end=pb.EndOfStream(stream=pb.STREAM_FILE, total_length=1)))
    status("put-file")
    c.send_frame(pb.Frame(put_dir=pb.PutDirRequest(path=dest + b".d")))
    c.send_frame(pb.Frame(dir_entry=pb.DirEntry(
        name=b"sub", type=pb.ENTRY_DIR, mtime=pb.FileTime(sec=-1, nsec=2**32 - 1))))
    c.send_frame(pb.Frame(end=pb.EndOfStream(stream=pb.STREAM_DIR, total_length=1)))
    status("put-dir")
    c.ping()
    print("OK")
EOF
)
check "a PutFile with 10^9 nanoseconds is refused: $(echo $out)" \
    grep -q "put-file: .*invalid modification time" <<<"$out"
check "... so is a directory entry with 2^32-1 nanoseconds" \
    grep -q "put-dir: .*invalid modification time" <<<"$out"
check "... and the connection carries on" grep -qx OK <<<"$out"
check "nothing was created" eval '[ ! -e "$R/bad" ] && [ ! -e "$R/bad.d/sub" ]'
check "the server is alive" server_alive
check "... and serves" eval 'pl ping -q >/dev/null'
check "... it logged the refusal" grep -q "invalid modification time" "$T/server.log"

chmod -R u+w "$L" "$R"
stop_server
# ASan/UBSan builds report at exit.
check "server log is free of sanitizer reports" \
    eval '! grep -qE "Sanitizer|runtime error" "$T/server.log"'
finish

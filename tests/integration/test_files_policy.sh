#!/bin/bash
# Server policy for the file calls, over unix and tcp: server.root (paths
# resolved beneath it: no escape through "..", absolute paths or symlinks,
# with openat2 and with the fallback resolver), server.read_only and
# server.allow_files.
. "$(dirname "$0")/lib.sh"

ROOT_BASE=$TESTROOT/roots
mkdir -p "$ROOT_BASE"

for transport in unix tcp; do
    for resolver in openat2 fallback; do
        ROOT=$(mktemp -d "$ROOT_BASE/root.XXXXXX")
        OUT=$(mktemp -d "$ROOT_BASE/outside.XXXXXX")
        echo secret >"$OUT/secret"
        mkdir -p "$ROOT/etc" "$ROOT/data"
        echo inside >"$ROOT/data/file"
        ln -s "$OUT" "$ROOT/abs"
        ln -s ../"$(basename "$OUT")" "$ROOT/rel"
        ln -s "$OUT/secret" "$ROOT/secretlink"
        # Symlinks out of the root: openat2 says the path leads outside;
        # the fallback refuses every symlink (so this shows it is in use).
        SYM="server root"
        if [ $resolver = fallback ]; then
            export PIPELINE_NO_OPENAT2=1
            SYM="symbolic links are not followed beneath the server root"
        fi
        start_server "$transport" "server = { root = \"$ROOT\"; };"
        unset PIPELINE_NO_OPENAT2
        L=$T/local
        mkdir -p "$L"
        echo data >"$L/f"
        TRANSPORT="$transport/$resolver"

        expect_err 1 \
            "pipeline recv-file: remote: /etc/passwd: No such file or directory" \
            "recv-file /etc/passwd is ROOT/etc/passwd, absent" \
            tpl recv-file /etc/passwd "$L/passwd"
        check "... and nothing was received" test ! -e "$L/passwd"
        expect_err 1 "beneath the server root" "recv-file ../ is refused" \
            tpl recv-file "../$(basename "$OUT")/secret" "$L/s"
        expect_err 1 "beneath the server root" \
            "recv-file a/../../x is refused" \
            tpl recv-file "data/../../$(basename "$OUT")/secret" "$L/s"
        expect_err 1 "$SYM" "recv-file through an absolute symlink" \
            tpl recv-file abs/secret "$L/s"
        expect_err 1 "$SYM" "recv-file through a relative symlink out" \
            tpl recv-file rel/secret "$L/s"
        expect_err 1 "$SYM" "recv-file of a symlink pointing out" \
            tpl recv-file secretlink "$L/s"
        check "nothing secret was received" test ! -e "$L/s"
        expect_err 1 "beneath the server root" "send-file to ../ is refused" \
            tpl send-file "$L/f" "../$(basename "$OUT")/pwn"
        expect_err 1 "$SYM" "send-file through a symlink is refused" \
            tpl send-file "$L/f" abs/pwn
        expect_err 1 "$SYM" "send-dir through a symlink is refused" \
            tpl send-dir "$L" rel/tree
        expect_err 1 "$SYM" "recv-dir through a symlink is refused" \
            tpl recv-dir abs "$L/tree"
        check "nothing was written outside the root" \
            test "$(ls "$OUT")" = secret

        check "recv-file inside the root" tpl recv-file -q /data/file "$L/in"
        check "... is ROOT/data/file" cmp "$ROOT/data/file" "$L/in"
        check "send-file /new/dir/f lands in ROOT/new/dir/f" \
            tpl send-file -q "$L/f" /new/dir/f
        check "... intact" cmp "$L/f" "$ROOT/new/dir/f"
        check "send-dir inside the root" tpl send-dir -q "$L" /tree
        check "... intact" cmp "$L/f" "$ROOT/tree/f"
        stop_server
    done
    TRANSPORT=$transport

    # ---- read-only: reads work, writes are refused ----
    start_server "$transport" "server = { read_only = true; };"
    L=$T/local
    mkdir -p "$L"
    echo data >"$L/f"
    expect_err 1 "pipeline send-file: remote: $T/x: this server is read-only" \
        "read_only refuses send-file" tpl send-file "$L/f" "$T/x"
    expect_err 1 "read-only" "read_only refuses send-dir" \
        tpl send-dir "$L" "$T/d"
    check "... and nothing was written" test ! -e "$T/x" -a ! -e "$T/d"
    check "read_only still serves recv-file" \
        tpl recv-file -q "$L/f" "$L/g"
    check "... intact" cmp "$L/f" "$L/g"
    stop_server

    # ---- allow_files = false: no file call at all ----
    start_server "$transport" "server = { allow_files = false; };"
    L=$T/local
    mkdir -p "$L"
    echo data >"$L/f"
    expect_err 1 "file transfers are disabled on this server" \
        "allow_files = false refuses send-file" tpl send-file "$L/f" "$T/x"
    expect_err 1 "file transfers are disabled on this server" \
        "allow_files = false refuses recv-file" tpl recv-file "$L/f" "$L/g"
    expect_err 1 "file transfers are disabled on this server" \
        "allow_files = false refuses recv-dir" tpl recv-dir "$L" "$T/d"
    check "... and nothing moved" test ! -e "$T/x" -a ! -e "$L/g" -a ! -e "$T/d"
    stop_server
done
finish

#!/bin/bash
# send-file / recv-file with the real binaries over unix and tcp: byte-exact
# round trips, modes, --checksum, stdin/stdout, /proc files, parent
# directories, both argument forms, and every error a user can meet (with
# its exit code and one-line message), never leaving a partial file.
. "$(dirname "$0")/lib.sh"

no_temporaries() { [ -z "$(find "$@" -name '*.incomplete' 2>/dev/null)" ]; }

for transport in unix tcp; do
    start_server "$transport"
    L=$T/local R=$T/remote
    mkdir -p "$L" "$R"
    : >"$L/empty"
    printf x >"$L/one"
    head -c 1M /dev/urandom >"$L/mib"
    chmod 750 "$L/mib"

    # ---- round trips ----
    for f in empty one mib; do
        check "send-file $f" tpl send-file -q "$L/$f" "$R/$f"
        check "$f arrives byte-identical" cmp "$L/$f" "$R/$f"
        check "recv-file $f" tpl recv-file -q "$R/$f" "$L/$f.back"
        check "$f comes back byte-identical" cmp "$L/$f" "$L/$f.back"
    done
    check "permission bits kept on send (750)" \
        test "$(stat -c %a "$R/mib")" = 750
    check "permission bits kept on recv (750)" \
        test "$(stat -c %a "$L/mib.back")" = 750
    cp "$L/one" "$L/tool" && chmod 755 "$L/tool"
    tpl send-file -q "$L/tool" "$R/bin/tool"
    check "a pushed executable stays executable" test -x "$R/bin/tool"

    # ---- the original's flag forms and the documented positional form ----
    check "send-file --localpath --remotepath" \
        tpl send-file -q --localpath "$L/mib" --remotepath "$R/flags"
    check "recv-file --remotepath --localpath" \
        tpl recv-file -q --remotepath "$R/flags" --localpath "$L/flags"
    check "flag forms round-trip" cmp "$L/mib" "$L/flags"
    check "options after the positional arguments" \
        tpl send-file "$L/one" "$R/late" -q
    check "... are honoured" cmp "$L/one" "$R/late"

    # ---- --checksum: sha256sum's format and digest, on both ends ----
    out=$(tpl send-file -q --checksum "$L/mib" "$R/sum")
    check "send-file --checksum prints what sha256sum prints" \
        test "$out" = "$(sha256sum "$L/mib")"
    out=$(tpl recv-file -q --checksum "$R/sum" "$L/sum")
    check "recv-file --checksum prints what sha256sum prints" \
        test "$out" = "$(sha256sum "$L/sum")"
    check "the printed line passes sha256sum -c" \
        bash -c 'echo "$1" | sha256sum -c --status' _ "$out"
    digest=$(sha256sum <"$L/mib" | cut -c1-64)
    check "the server logs path, bytes, digest and client key" grep -q \
        "put-file $R/sum: 1048576 bytes.*sha256 $digest, client [A-Za-z0-9+/]" \
        "$T/server.log"

    # ---- stdin and stdout ----
    check "send-file - reads stdin" \
        bash -c 'timeout 60 "$0" -c "$1" send-file -q - "$2" <"$3"' \
        "$PIPELINE_BIN" "$CONF" "$R/stdin" "$L/mib"
    check "stdin arrives intact" cmp "$L/mib" "$R/stdin"
    tpl recv-file -q --checksum "$R/mib" - >"$L/stdout" 2>"$T/digest"
    check "recv-file - writes stdout, intact" cmp "$L/mib" "$L/stdout"
    check "with -, the digest goes to stderr" \
        grep -q "^$(sha256sum <"$L/mib" | cut -c1-64)  -$" "$T/digest"

    # ---- /proc files: read to EOF, not by st_size ----
    check "recv-file /proc/cpuinfo" tpl recv-file -q /proc/cpuinfo "$L/cpuinfo"
    check "/proc/cpuinfo arrives non-empty" test -s "$L/cpuinfo"
    check "... and equal to the server's" \
        cmp <(grep -v MHz /proc/cpuinfo) <(grep -v MHz "$L/cpuinfo")

    # ---- destinations ----
    check "send-file creates parent directories" \
        tpl send-file -q "$L/one" "$R/a/b/c/one"
    check "... with the file inside" cmp "$L/one" "$R/a/b/c/one"
    check "recv-file creates parent directories" \
        tpl recv-file -q "$R/one" "$L/x/y/z/one"
    check "... with the file inside" cmp "$L/one" "$L/x/y/z/one"
    check "a remote path ending in / takes the local name" \
        tpl send-file -q "$L/mib" "$R/into/"
    check "... as REMOTE/NAME" cmp "$L/mib" "$R/into/mib"
    mkdir "$L/into"
    check "an existing local directory receives REMOTE's name" \
        tpl recv-file -q "$R/mib" "$L/into"
    check "... as LOCAL/NAME" cmp "$L/mib" "$L/into/mib"
    echo "old contents" >"$R/replace"
    echo "old contents" >"$L/replace"
    check "send-file replaces an existing file" \
        tpl send-file -q "$L/mib" "$R/replace"
    check "... with the new contents" cmp "$L/mib" "$R/replace"
    check "recv-file replaces an existing file" \
        tpl recv-file -q "$R/mib" "$L/replace"
    check "... with the new contents" cmp "$L/mib" "$L/replace"

    # ---- errors: clear, one line, exit 1, nothing touched ----
    echo keep >"$L/keep"
    echo keep >"$R/keep"
    expect_err 1 "pipeline send-file: local: $L/nope: No such file or directory" \
        "missing local source" tpl send-file "$L/nope" "$R/nope"
    check "... creates nothing remotely" test ! -e "$R/nope"
    expect_err 1 "pipeline send-file: local: $L: Is a directory" \
        "a directory as the local source" tpl send-file "$L" "$R/dir"
    expect_err 1 "pipeline recv-file: remote: $R/nope: No such file or directory" \
        "missing remote source" tpl recv-file "$R/nope" "$L/nope"
    check "... creates nothing locally" test ! -e "$L/nope"
    expect_err 1 "pipeline recv-file: remote: $R/nope: No such file or directory" \
        "missing remote source over an existing file" \
        tpl recv-file "$R/nope" "$L/keep"
    check "... leaves the local file as it was" \
        test "$(cat "$L/keep")" = keep
    expect_err 1 "pipeline recv-file: remote: $R/a: Is a directory" \
        "a directory as the remote source" tpl recv-file "$R/a" "$L/a"
    # cp habit: an existing remote directory receives the file by name.
    expect_rc 0 "an existing remote directory as the destination" \
        tpl send-file -q "$L/one" "$R/a"
    check "... receives the file under its name" cmp "$L/one" "$R/a/one"
    expect_err 1 "pipeline send-file: remote: $R/keep/sub: Not a directory" \
        "a remote parent that is a file" tpl send-file "$L/one" "$R/keep/sub"
    check "... leaves that file alone" test "$(cat "$R/keep")" = keep
    mkdir "$T/ro"
    mount -t tmpfs -o ro,size=64k tmpfs "$T/ro"
    expect_err 1 "pipeline send-file: remote: $T/ro/f: Read-only file system" \
        "an unwritable remote destination" tpl send-file "$L/one" "$T/ro/f"
    expect_err 1 "pipeline recv-file: local: $T/ro/f: Read-only file system" \
        "an unwritable local destination" tpl recv-file "$R/one" "$T/ro/f"
    long=$R/$(head -c 10000 /dev/zero | tr '\0' a)
    expect_err 1 "pipeline send-file: remote: path of 10" \
        "a 10 KiB remote path is refused, not a crash" \
        tpl send-file "$L/one" "$long"
    expect_err 1 "pipeline recv-file: remote: path of 10" \
        "... and for recv-file too" tpl recv-file "$long" "$L/long"
    check "no .incomplete file left anywhere" no_temporaries "$L" "$R"

    # ---- usage ----
    expect_err 2 "missing --localpath" "send-file without arguments" \
        tpl send-file
    expect_err 2 "missing --remotepath" "send-file without a destination" \
        tpl send-file --localpath "$L/one"
    expect_err 2 "missing --localpath" "recv-file with only SRC" \
        tpl recv-file "$R/one"
    # Three positionals are cp's SRC SRC DIR; with the flags, an extra one
    # is still an error.
    expect_err 2 "unexpected argument" "a positional beside both flags" \
        tpl send-file --localpath a --remotepath b c
    check "send-file --help exits 0" \
        bash -c '"$0" send-file --help >/dev/null' "$PIPELINE_BIN"

    check "the server is still serving" \
        bash -c '"$0" -c "$1" ping -q >/dev/null' "$PIPELINE_BIN" "$CONF"
    stop_server
    expect_err 255 "pipeline send-file:" "no server: connection failure" \
        tpl send-file "$L/one" "$R/unreached"
done
finish

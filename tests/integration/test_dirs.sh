#!/bin/bash
# send-dir / recv-dir over unix and tcp: a tree with nested and empty
# directories, an executable, read-only files and directories, symlinks
# (relative, absolute, dangling) and symlink loops round-trips with modes
# and links intact; special files are skipped with a warning; --checksum
# prints sha256sum lines; errors are clear; a symlink planted in the
# target cannot redirect a write.
. "$(dirname "$0")/lib.sh"

# Type, mode, name and link target of every entry but FIFOs, and the
# digest of every regular file: equal manifests mean equal trees.
manifest() {
    (
        cd "$1" || exit 1
        find . -mindepth 1 ! -type p -printf '%y %m %p -> %l\n' | sort
        find . -type f -exec sha256sum {} + | sort
    )
}
same_tree() { cmp <(manifest "$1") <(manifest "$2"); }
no_temporaries() { [ -z "$(find "$@" -name '*.incomplete' 2>/dev/null)" ]; }

make_tree() {
    local d=$1
    mkdir -p "$d/a/b/c" "$d/empty" "$d/nest/x/y" "$d/rodir" "$d/sp ace"
    echo deep >"$d/a/b/c/deep.txt"
    head -c 1M /dev/urandom >"$d/a/big"
    printf '#!/bin/sh\necho hi\n' >"$d/exe"
    chmod 755 "$d/exe"
    echo ro >"$d/ro" && chmod 444 "$d/ro"
    echo private >"$d/private" && chmod 600 "$d/private"
    echo inside >"$d/rodir/f"
    chmod 555 "$d/rodir"
    chmod 750 "$d/a/b"
    : >"$d/sp ace/empty file"
    ln -s exe "$d/link"
    ln -s ../../exe "$d/a/b/up"
    ln -s /etc/hostname "$d/abslink"
    ln -s nowhere "$d/dangling"
    ln -s loop "$d/loop"
    ln -s . "$d/a/self"
    ln -s ../a "$d/a/b/c/cycle"
    mkfifo "$d/fifo"
}

for transport in unix tcp; do
    start_server "$transport"
    L=$T/local R=$T/remote
    mkdir -p "$L" "$R"
    make_tree "$L/src"
    chmod 750 "$L/src"

    # ---- round trip ----
    tpl send-dir -q "$L/src" "$R/tree" 2>"$T/warn"
    check "send-dir exits 0" test $? = 0
    check "... warning about the FIFO it skipped" \
        grep -qF "pipeline send-dir: warning: $L/src/fifo: skipped: not a" \
        "$T/warn"
    check "the tree arrives with types, modes, links and contents" \
        same_tree "$L/src" "$R/tree"
    check "... the top directory with its mode" \
        test "$(stat -c %a "$R/tree")" = 750
    check "... empty directories included" test -d "$R/tree/nest/x/y"
    check "... the executable still executable" test -x "$R/tree/exe"
    check "... a read-only directory still read-only, with its file" \
        test "$(stat -c %a "$R/tree/rodir")" = 555 -a -f "$R/tree/rodir/f"
    check "... symlinks recreated as symlinks" \
        test "$(readlink "$R/tree/a/b/up")" = ../../exe
    check "... loops stored, never followed" \
        test "$(readlink "$R/tree/loop")" = loop
    check "... no FIFO" test ! -e "$R/tree/fifo"
    mkfifo "$R/tree/fifo2"
    tpl recv-dir -q "$R/tree" "$L/back" 2>"$T/warn"
    check "recv-dir exits 0" test $? = 0
    check "... warning about the FIFO the server skipped" \
        grep -qF "recv-dir: warning: $L/back/fifo2: skipped by the sender" \
        "$T/warn"
    check "the tree comes back identical" same_tree "$L/src" "$L/back"
    check "the flag forms work" \
        tpl send-dir -q --localdir "$L/src" --remotedir "$R/flags"
    check "... and recv-dir's too" \
        tpl recv-dir -q --remotedir "$R/flags" --localdir "$L/flags"
    check "... identical" same_tree "$L/src" "$L/flags"
    check "recv-dir into an existing directory merges" \
        tpl recv-dir -q "$R/tree/a" "$L/back"
    check "... adding a/ entries next to the others" \
        test -f "$L/back/big" -a -f "$L/back/exe"
    check "no .incomplete left" no_temporaries "$L" "$R"

    # ---- --checksum: a sha256sum line per file ----
    out=$(tpl send-dir -q --checksum "$L/src" "$R/sum" 2>/dev/null | sort)
    check "send-dir --checksum prints sha256sum's lines" \
        test "$out" = "$(find "$L/src" -type f -exec sha256sum {} + | sort)"
    out=$(tpl recv-dir -q --checksum "$R/sum" "$L/sum" | sort)
    check "recv-dir --checksum prints sha256sum's lines" \
        test "$out" = "$(find "$L/sum" -type f -exec sha256sum {} + | sort)"
    check "... which sha256sum -c accepts" \
        bash -c 'echo "$1" | sha256sum -c --status' _ "$out"

    # ---- a planted symlink cannot redirect a write ----
    OUT=$T/outside
    mkdir -p "$OUT" "$R/planted" "$L/planted"
    ln -s "$OUT" "$R/planted/a"
    ln -s "$OUT" "$L/planted/a"
    mkdir -p "$L/small/a"
    echo pwned >"$L/small/a/pwn"
    expect_err 1 "$R/planted/a: exists and is not a directory" \
        "send-dir into a target with a planted symlink fails" \
        tpl send-dir "$L/small" "$R/planted"
    expect_err 1 "$L/planted/a: exists and is not a directory" \
        "recv-dir into a target with a planted symlink fails" \
        tpl recv-dir "$R/flags" "$L/planted"
    check "... and nothing was written through the symlinks" \
        test -z "$(ls -A "$OUT")"

    # ---- errors ----
    expect_err 1 "pipeline send-dir: local: $L/nope: No such file or directory" \
        "send-dir of a missing directory" tpl send-dir "$L/nope" "$R/nope"
    expect_err 1 "pipeline send-dir: local: $L/src/exe: Not a directory" \
        "send-dir of a file" tpl send-dir "$L/src/exe" "$R/nope"
    expect_err 1 "pipeline recv-dir: remote: $R/nope: No such file or directory" \
        "recv-dir of a missing directory" tpl recv-dir "$R/nope" "$L/nope"
    check "... leaves no local directory behind" test ! -e "$L/nope"
    expect_err 1 "pipeline recv-dir: remote: $R/tree/exe: Not a directory" \
        "recv-dir of a file" tpl recv-dir "$R/tree/exe" "$L/nope"
    expect_err 1 "pipeline send-dir: remote: $R/tree/exe: Not a directory" \
        "send-dir onto a remote file" tpl send-dir "$L/small" "$R/tree/exe"
    expect_err 2 "missing --localdir" "send-dir without arguments" \
        tpl send-dir
    expect_err 2 "missing --localdir" "recv-dir with only SRC" \
        tpl recv-dir "$R/tree"
    check "the server is still serving" \
        bash -c '"$0" -c "$1" ping -q >/dev/null' "$PIPELINE_BIN" "$CONF"
    stop_server
done
finish

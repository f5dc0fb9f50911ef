#!/bin/bash
# bash completion (completion/pipeline.bash): sourced in a fresh bash, the
# completion function is called with COMP_WORDS/COMP_CWORD as bash would
# set them. Subcommands, every option each subcommand's --help lists (and
# none it does not), local paths where a local path goes, nothing where a
# remote path or a remote command goes.
. "$(dirname "$0")/../integration/lib.sh"

COMPLETION=$PIPELINE_SRC/completion/pipeline.bash

# comp WORD... : what completing the last word offers, one per line, sorted.
comp() {
    bash --norc --noprofile -c '
        source "$1" || exit 1
        shift
        COMP_WORDS=("$@")
        COMP_CWORD=$(($# - 1))
        COMP_LINE="$*"
        COMP_POINT=${#COMP_LINE}
        _pipeline 2>/dev/null
        [ ${#COMPREPLY[@]} -eq 0 ] || printf "%s\n" "${COMPREPLY[@]}"
    ' _ "$COMPLETION" "$@" | sort
}
lines() { printf '%s\n' "$@" | sort; }
# help_opts [SUB]: the long options on the usage and option lines (those starting
# with a dash) of `pipeline [SUB] --help`, and
# --help itself (which not every usage text repeats).
help_opts() {
    { "$PIPELINE_BIN" "$@" --help | grep -E '^(Usage: | +pipeline | +-)' | grep -oE -- '--[a-z][a-z0-9-]+'; echo --help; } | sort -u
}

check "the file is registered for the pipeline command" \
    bash --norc -c "source '$COMPLETION' && complete -p pipeline | grep -q _pipeline"

subs=$("$PIPELINE_BIN" --help | awk '/^Subcommands:/ {on = 1; next} on && /^  [a-z]/ {print $1} on && /^$/ {exit}' | sort)
check "subcommands: exactly those pipeline --help lists ($(echo $subs))" \
    [ "$(comp pipeline '')" = "$subs" ]
check "a prefix narrows them (re -> recv-dir recv-file)" \
    [ "$(comp pipeline re)" = "$(lines recv-dir recv-file)" ]
check "global options: exactly those pipeline --help lists" \
    [ "$(comp pipeline --)" = "$(help_opts)" ]
check "after -c CONFIG the subcommand comes next" \
    [ "$(comp pipeline -c x.conf se)" = "$(lines send-dir send-file)" ]

# Global options that every subcommand but keygen also takes after it.
after=$(lines --config --host --verbose)
for sub in $subs; do
    want=$(help_opts "$sub")
    got=$(comp pipeline "$sub" --)
    missing=$(comm -23 <(echo "$want") <(echo "$got"))
    extra=$(comm -13 <(echo "$want") <(echo "$got") | comm -23 - <(echo "$after"))
    check "$sub: offers every option its --help lists${missing:+ (missing: $(echo $missing))}" [ -z "$missing" ]
    check "$sub: offers nothing else but the global options${extra:+ (extra: $(echo $extra))}" [ -z "$extra" ]
done
check "after the global -c CONFIG, a subcommand's options still complete" \
    [ "$(comp pipeline -c x.conf run --no-)" = "$(lines --no-stdin --no-wait)" ]

D=$TESTROOT/d
mkdir -p "$D/sub dir" "$D/other"
: >"$D/file one"
: >"$D/f2"
all_entries=$(lines "$D/f2" "$D/file one" "$D/other" "$D/sub dir")
dirs_only=$(lines "$D/other" "$D/sub dir")
check "-c completes local files" [ "$(comp pipeline -c "$D/")" = "$all_entries" ]
check "send-file: the first argument is a local file" \
    [ "$(comp pipeline send-file "$D/")" = "$all_entries" ]
check "send-file: the second (remote) is not completed" \
    [ -z "$(comp pipeline send-file "$D/f2" "$D/")" ]
check "recv-file: the first (remote) is not completed" \
    [ -z "$(comp pipeline recv-file "$D/")" ]
check "recv-file: the second is a local file, also after options with values" \
    [ "$(comp pipeline recv-file --address unix:/x /remote "$D/")" = "$all_entries" ]
check "send-dir: the first argument is a local directory (no files)" \
    [ "$(comp pipeline send-dir "$D/")" = "$dirs_only" ]
check "recv-dir: the second is a local directory" \
    [ "$(comp pipeline recv-dir /remote "$D/")" = "$dirs_only" ]
check "--key-file completes local files" \
    [ "$(comp pipeline run --key-file "$D/f")" = "$(lines "$D/f2" "$D/file one")" ]
check "--localdir completes local directories" \
    [ "$(comp pipeline send-dir --localdir "$D/")" = "$dirs_only" ]
check "--remotepath is not completed" [ -z "$(comp pipeline send-file --remotepath "$D/")" ]
check "--address offers the three transports" \
    [ "$(comp pipeline ping --address '')" = "$(lines tcp: unix: vsock:)" ]
check "after run --, the remote command is not completed" \
    [ -z "$(comp pipeline run -- ls -)" ]
check "keygen: a local file" [ "$(comp pipeline keygen "$D/f")" = "$(lines "$D/f2" "$D/file one")" ]

finish

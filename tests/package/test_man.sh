#!/bin/bash
# Man pages: pipeline(1) and pipeline.conf(5) lint clean (mandoc -T lint,
# groff -ww, man --warnings), and say what the program does: every
# subcommand and every option its --help lists is in pipeline(1), every
# configuration key the example configs use is in pipeline.conf(5).
. "$(dirname "$0")/../integration/lib.sh"

MAN1=$PIPELINE_SRC/man/pipeline.1
MAN5=$PIPELINE_SRC/man/pipeline.conf.5

for page in "$MAN1" "$MAN5"; do
    name=$(basename "$page")
    out=$(mandoc -T lint -W warning "$page" 2>&1)
    check "$name: mandoc -T lint is clean${out:+: $out}" [ -z "$out" ]
    out=$(groff -ww -man -z "$page" 2>&1)
    check "$name: groff -ww -man is clean${out:+: $out}" [ -z "$out" ]
    out=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
    check "$name: man -l renders without warnings${out:+: $out}" [ -z "$out" ]
    check "$name: man -l renders text" \
        eval '[ "$(MANWIDTH=80 man -l "$page" 2>/dev/null | wc -l)" -gt 40 ]'
done

# What pipeline(1) says, as text: roff's \- becomes -.
text1=$(sed 's/\\-/-/g' "$MAN1")
subs=$("$PIPELINE_BIN" --help | awk '/^Subcommands:/ {on = 1; next} on && /^  [a-z]/ {print $1} on && /^$/ {exit}')
for sub in $subs; do
    check "pipeline(1) has a section for $sub" grep -qx ".SS pipeline $sub" <<<"$text1"
    for opt in $("$PIPELINE_BIN" "$sub" --help | grep -E '^(Usage: | +pipeline | +-)' | grep -oE -- '--[a-z][a-z0-9-]+' | sort -u); do
        check "pipeline(1) documents $sub $opt" grep -qF -- "$opt" <<<"$text1"
    done
done
for opt in $("$PIPELINE_BIN" --help | grep -E '^(Usage: | +pipeline | +-)' | grep -oE -- '--[a-z][a-z0-9-]+' | sort -u); do
    check "pipeline(1) documents the global option $opt" grep -qF -- "$opt" <<<"$text1"
done
for section in "EXIT STATUS" FILES ENVIRONMENT "SEE ALSO"; do
    check "pipeline(1) has $section" grep -qx ".SH $section" <<<"$text1"
done
for code in 124 126 127 2 255; do
    check "pipeline(1) explains exit status $code" grep -qE "^\.(I|IR|TP) .*\b$code\b" <<<"$text1"
done

# Every key the configuration accepts (the table in common/config_keys.c:
# {GROUP, "name", ...} rows, PCR(n) rows) has its own entry in
# pipeline.conf(5), and so has the hosts group.
text5=$(sed 's/\\-/-/g; s/\\(dq/"/g' "$MAN5")
table=$PIPELINE_SRC/common/config_keys.c
keys=$(sed -nE 's/^[[:space:]]*\{(NULL|"[a-z_]+"), "([a-z_0-9]+)".*/\2/p' "$table" | sort -u)
check "the key table names some keys" [ "$(wc -w <<<"$keys")" -gt 20 ]
for key in $keys; do
    check "pipeline.conf(5) documents the key $key" grep -qE "^\.BR $key " <<<"$text5"
done
if grep -q 'PCR(' "$table"; then
    last=$(grep -oE 'PCR\(([0-9]+)\)' "$table" | tail -1 | tr -dc 0-9)
    check "pipeline.conf(5) documents pcr0 .. pcr$last" grep -qE "^\.BR pcr0 \" \.\. \" pcr$last " <<<"$text5"
fi
check "pipeline.conf(5) documents the hosts group" grep -qx ".SH HOSTS" <<<"$text5"

finish

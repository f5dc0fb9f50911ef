#!/bin/bash
# The client library offers exactly its public API: the shared and the
# static library define (globally) the functions in
# client/exported-symbols.txt and nothing else, the public headers compile
# on their own with only include/ on the path, and the CLI uses the
# client library through those headers only.
. "$(dirname "$0")/../integration/lib.sh"

BUILD=$PIPELINE_BUILD
LIST=$PIPELINE_SRC/client/exported-symbols.txt
want=$(grep -v '^#' "$LIST" | sed '/^$/d' | sort)

# Symbols every linker defines in every shared object are not ours.
so_syms=$(nm -D --defined-only "$BUILD/libpipeline-client.so.1" | awk '{print $3}' |
    grep -vxE '_init|_fini|__bss_start|_edata|_end' | sort)
check "the shared library exports exactly client/exported-symbols.txt" \
    [ "$so_syms" = "$want" ]
[ "$so_syms" = "$want" ] || diff <(echo "$want") <(echo "$so_syms") | sed 's/^/     /'

a_syms=$(nm -g --defined-only "$BUILD/libpipeline-client.a" 2>/dev/null | awk 'NF == 3 {print $3}' | sort)
check "the static library defines exactly the same global symbols" \
    [ "$a_syms" = "$want" ]
[ "$a_syms" = "$want" ] || diff <(echo "$want") <(echo "$a_syms") | sed 's/^/     /'

soname=$(readelf -d "$BUILD/libpipeline-client.so.1" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
check "the SONAME is libpipeline-client.so.1 (got $soname)" [ "$soname" = libpipeline-client.so.1 ]

# The list itself must be what the headers declare PL_EXPORT.
declared=$(grep -hE '^PL_EXPORT ' "$PIPELINE_SRC"/include/pipeline/*.h |
    sed -E 's/^([^(]*[ *])([a-z_0-9]+)\(.*/\2/' | sort)
check "client/exported-symbols.txt lists what the headers mark PL_EXPORT" \
    [ "$declared" = "$want" ]
[ "$declared" = "$want" ] || diff <(echo "$want") <(echo "$declared") | sed 's/^/     /'

# Each public header alone, with only include/ on the path (so it can
# include nothing private), in C and in C++.
for h in "$PIPELINE_SRC"/include/pipeline/*.h; do
    name=$(basename "$h")
    check "include/pipeline/$name compiles alone as C11" \
        cc -std=c11 -Wall -Wextra -Werror -pedantic -fsyntax-only \
        -I"$PIPELINE_SRC/include" -x c - <<<"#include <pipeline/$name>"
    if command -v c++ >/dev/null; then
        check "include/pipeline/$name compiles alone as C++" \
            c++ -Wall -Wextra -Werror -fsyntax-only -I"$PIPELINE_SRC/include" \
            -x c++ - <<<"#include <pipeline/$name>"
    fi
done
check "public headers include only <pipeline/...> and system headers" \
    not_grep -E '#include +"' "$PIPELINE_SRC"/include/pipeline/*.h

# The CLI reaches the client library only through <pipeline/...>: none of
# the library's own headers, nor the layers under it.
internal="client.h|exec.h|files.h|channel.h|handshake.h|noise.h|transport.h|filestream.h|dirstream.h|atomic_file.h|status.h"
check "cli/ includes none of the client library's internal headers" \
    not_grep -E "#include +\"($internal)\"" "$PIPELINE_SRC"/cli/*.c "$PIPELINE_SRC"/cli/*.h
check "cli/ calls no internal client function" \
    not_grep -E 'pl_(channel|handshake|transport|stream|atomic)_|pl_client_(expect|status_error|xfer_init|drop|early_status|transfer_result)' \
    "$PIPELINE_SRC"/cli/*.c "$PIPELINE_SRC"/cli/*.h

finish

#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/fuzz_*.c) with clang, ASan and
# UBSan, then runs each for N seconds (default 20). Exits nonzero when a
# target finds a crash, a leak or a failed check; the reproducer is left in
# $BUILD/fuzz-artifacts/.
#
#   scripts/fuzz.sh [SECONDS]        BUILD=build-fuzz by default
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-20}
BUILD=${BUILD:-build-fuzz}
command -v clang >/dev/null || { echo "fuzz.sh: clang is not installed (apt-get install clang)" >&2; exit 1; }

CC=clang cmake -S . -B "$BUILD" -DPIPELINE_FUZZ=ON -DPIPELINE_SANITIZE=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target $(cd tests/fuzz && ls fuzz_*.c | sed 's/\.c$//')

status=0
mkdir -p "$BUILD/fuzz-artifacts"
for src in tests/fuzz/fuzz_*.c; do
    name=$(basename "$src" .c)
    corpus="$BUILD/corpus/$name"
    mkdir -p "$corpus"
    echo "== $name: ${SECS}s"
    if ! "$BUILD/tests/$name" -max_total_time="$SECS" -print_final_stats=1 \
        -artifact_prefix="$BUILD/fuzz-artifacts/$name-" "$corpus" \
        > "$BUILD/fuzz-artifacts/$name.log" 2>&1; then
        echo "FAIL $name: see $BUILD/fuzz-artifacts/$name.log" >&2
        tail -n 40 "$BUILD/fuzz-artifacts/$name.log" >&2
        status=1
    else
        grep -E "^Done|number_of_executed_units|new_units_added" "$BUILD/fuzz-artifacts/$name.log" | sed "s/^/   /"
    fi
done
exit $status

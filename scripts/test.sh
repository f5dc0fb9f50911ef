#!/usr/bin/env bash
# Every test: installs what is missing, checks gen/ is what the generators
# make of proto/, builds a normal and an ASan+UBSan tree and runs the whole
# suite in both, then runs the fuzz targets briefly.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
step() { printf '\n==> %s (%ss)\n' "$*" "$(( $(date +%s) - start ))"; }

step "dependencies"
scripts/deps.sh

step "generated code is fresh"
scripts/gen.sh --check

step "formatting"
scripts/format.sh --check

step "normal build"
scripts/build.sh build
step "tests (normal build)"
(cd build && ctest --output-on-failure -j2 --timeout 900)

step "reliability figures, short form (tests/reliability/reliability.sh --full for the report's)"
tests/reliability/reliability.sh --short build/pipeline

step "ASan+UBSan build"
CC=${SANITIZE_CC:-gcc} scripts/build.sh build-asan -DPIPELINE_SANITIZE=ON
step "tests (ASan+UBSan build)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:${ASAN_OPTIONS:-}
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}
(cd build-asan && ctest --output-on-failure -j2 --timeout 1800)
step "reliability, short form (ASan+UBSan build)"
tests/reliability/reliability.sh --short build-asan/pipeline

if [ -x scripts/fuzz.sh ]; then
    step "fuzz targets (short run)"
    scripts/fuzz.sh "${FUZZ_SECONDS:-15}"
fi

step "all tests passed"

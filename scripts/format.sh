#!/usr/bin/env bash
# Formats our C sources with the checked-in .clang-format (gen/ excluded).
# With --check, fails when a file is not formatted.
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(git ls-files '*.c' '*.h' | grep -v '^gen/' || true)
[ -n "$files" ] || exit 0
if [ "${1:-}" = "--check" ]; then
    # shellcheck disable=SC2086
    clang-format --dry-run -Werror $files
    echo "formatting ok"
else
    # shellcheck disable=SC2086
    clang-format -i $files
fi

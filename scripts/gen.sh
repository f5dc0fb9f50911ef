#!/usr/bin/env bash
# Regenerates gen/ from proto/. gen/ is committed and only ever written here.
# With --check, regenerates into a temporary tree and fails on any difference.
set -euo pipefail
cd "$(dirname "$0")/.."
out=gen
if [ "${1:-}" = "--check" ]; then
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
fi
mkdir -p "$out/c" "$out/python"
protoc-c --proto_path=proto --c_out="$out/c" proto/pipeline.proto
protoc --proto_path=proto --python_out="$out/python" proto/pipeline.proto
if [ "${1:-}" = "--check" ]; then
  if ! diff -r "$out/c" gen/c || ! diff -r "$out/python" gen/python; then
    echo "gen/ is stale: run scripts/gen.sh and commit the result" >&2
    exit 1
  fi
  echo "gen/ matches proto/"
fi

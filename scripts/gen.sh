#!/usr/bin/env bash
# Regenerates the generated code from proto/: gen/c (protoc-c) and the Python
# package's pipeline_pb2.py (protoc --python_out). Both are committed and
# only ever written here. With --check, regenerates into a temporary tree
# and fails on any difference.
set -euo pipefail
cd "$(dirname "$0")/.."
pydir=clients/python/pipeline_client
out=gen
pyout=$pydir
if [ "${1:-}" = "--check" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  out=$tmp/gen
  pyout=$tmp/python
fi
mkdir -p "$out/c" "$pyout"
protoc-c --proto_path=proto --c_out="$out/c" proto/pipeline.proto
protoc --proto_path=proto --python_out="$pyout" proto/pipeline.proto
if [ "${1:-}" = "--check" ]; then
  if ! diff -r "$out/c" gen/c || ! diff "$pyout/pipeline_pb2.py" "$pydir/pipeline_pb2.py"; then
    echo "generated code is stale: run scripts/gen.sh and commit the result" >&2
    exit 1
  fi
  echo "gen/c and $pydir/pipeline_pb2.py match proto/"
fi

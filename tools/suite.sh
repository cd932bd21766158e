#!/usr/bin/env bash
# The deno test suite as `deno task test` runs it, with the deno given in
# $DENO (default: the one on PATH). Extra arguments go to `deno test`.
set -euo pipefail
cd "$(dirname "$0")/.."
exec "${DENO:-deno}" test --doc --allow-ffi --allow-read --allow-write=/tmp \
  --allow-run --allow-env --allow-net=127.0.0.1 "$@" \
  tests/ mod.ts testing.ts src/

#!/usr/bin/env bash
# The deno test suite (`deno task test` runs it), with the deno given in
# $DENO (default: the one on PATH). Extra arguments go to `deno test`.
set -euo pipefail
cd "$(dirname "$0")/.."
# One definition: `deno task test`, the kernel matrix and the Deno matrix all
# run this. /proc: children open memfd paths for writing; unscoped net: Unix
# socket grants cannot be scoped to a directory of temporary sockets.
exec "${DENO:-deno}" test --doc --allow-ffi --allow-read --allow-write=/tmp,/proc \
  --allow-run --allow-env --allow-net "$@" \
  tests/ mod.ts testing.ts src/ README.md docs/

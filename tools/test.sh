#!/usr/bin/env bash
# `deno task test`: every test, phase by phase (tools/phases.sh prints each
# phase, a line whenever one is silent for 10 s, and a summary). Stops at
# the first phase that fails, since each needs the one before.
set -u
cd "$(dirname "$0")/.."
. tools/phases.sh

phase "build (cargo build --release)" cargo build --release --locked &&
  phase "cargo test" cargo test --locked -- -q &&
  phase "deno test" tools/suite.sh
phase_summary

#!/usr/bin/env bash
# `deno task test:stress [rounds]`: the deno suite ROUNDS times in a row
# (default 10) with two busy loops competing for the CPU, to catch tests
# that only pass by winning a race. Stops at the first failing round.
set -uo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-10}
cargo build --release --quiet || exit 1
busy=()
for _ in 1 2; do
  (while :; do :; done) &
  busy+=($!)
done
trap 'kill "${busy[@]}" 2>/dev/null' EXIT
for round in $(seq 1 "$rounds"); do
  log=$(mktemp)
  tools/suite.sh >"$log" 2>&1
  rc=$?
  line=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^(ok|FAILED) \|' | tail -n 1)
  echo "round $round/$rounds: ${line:-did not finish (exit $rc)}"
  if [ "$rc" -ne 0 ]; then
    sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -A 30 ' => ' | head -n 120
    rm -f "$log"
    exit 1
  fi
  rm -f "$log"
done
echo "all $rounds rounds passed"

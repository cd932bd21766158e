# Sourced by the test scripts: `phase NAME COMMAND...` runs one phase of a
# long run with a header line, its output as it comes, a line saying it is
# still running whenever it has been silent for 10 s (a compiler or a long
# test prints nothing for a minute), and its time; `phase_summary` prints
# one line per phase and the plain "N passed, N failed" total.

PHASE_LINES=()
PHASE_PASSED=0
PHASE_FAILED=0
PHASE_SKIPPED=0
PHASE_STATUS=0

# Adds the counts in a cargo or deno test log to the totals.
_phase_count() {
  local log=$1 p f s
  # cargo: "test result: ok. 155 passed; 0 failed; 0 ignored; ..."
  while read -r p f s; do
    PHASE_PASSED=$((PHASE_PASSED + p)); PHASE_FAILED=$((PHASE_FAILED + f))
    PHASE_SKIPPED=$((PHASE_SKIPPED + s))
  done < <(sed -nE 's/^test result: [A-Za-z]+\. ([0-9]+) passed; ([0-9]+) failed; ([0-9]+) ignored.*/\1 \2 \3/p' "$log")
  # deno: "ok | 451 passed | 0 failed | 4 ignored (2m)"
  while read -r p f s; do
    PHASE_PASSED=$((PHASE_PASSED + p)); PHASE_FAILED=$((PHASE_FAILED + f))
    PHASE_SKIPPED=$((PHASE_SKIPPED + ${s:-0}))
  done < <(sed -E 's/\x1b\[[0-9;]*m//g' "$log" |
    sed -nE 's/^(ok|FAILED) \| ([0-9]+) passed[^|]*\| ([0-9]+) failed( \| ([0-9]+) ignored)?.*/\2 \3 \5/p')
}

phase() {
  local name=$1 start=$SECONDS log line rc
  shift
  log=$(mktemp)
  echo "=== $name"
  set -o pipefail
  "$@" 2>&1 | tee "$log" | while :; do
    if IFS= read -r -t 10 line; then
      printf '%s\n' "$line"
    elif [ $? -gt 128 ]; then
      # A test still running shows as "name ... " with no newline yet.
      [ -n "$line" ] && printf '%s' "$line"
      echo "  [$name: still running, $((SECONDS - start)) s]"
    else
      [ -n "$line" ] && printf '%s\n' "$line"
      break
    fi
  done
  rc=${PIPESTATUS[0]}
  _phase_count "$log"
  rm -f "$log"
  local verdict=ok
  [ "$rc" -eq 0 ] || { verdict="FAILED (exit $rc)"; PHASE_STATUS=1; }
  PHASE_LINES+=("$name: $verdict in $((SECONDS - start)) s")
  echo "=== $name: $verdict in $((SECONDS - start)) s"
  return "$rc"
}

phase_summary() {
  echo
  echo "=== summary"
  printf '%s\n' "${PHASE_LINES[@]}"
  echo "total: $PHASE_PASSED passed, $PHASE_FAILED failed, $PHASE_SKIPPED skipped"
  return "$PHASE_STATUS"
}

#!/usr/bin/env bash
# `deno task test:deno [version...]`: the deno suite with the oldest
# supported Deno and the newest (default), each installed from npm into
# $DENO_VERSIONS_DIR (default target/deno_versions/<version>, untracked).
# Older Deno reads neither lockfile v5 nor the system CA store by default:
# each version runs in its own copy of the tree (next to its install, with
# the release library linked in) whose lockfile it writes itself, so that
# the children the suite starts (deno task, deno publish) agree with it,
# and with DENO_TLS_CA_STORE=system.
set -uo pipefail
cd "$(dirname "$0")/.."
# Keep in step with MIN_DENO in src/loader/platform.ts and the README.
MIN_DENO=2.5.0
versions=("$@")
[ ${#versions[@]} -gt 0 ] || versions=("$MIN_DENO" latest)
dir=${DENO_VERSIONS_DIR:-target/deno_versions}

cargo build --release --quiet || exit 1
summary=()
status=0
for version in "${versions[@]}"; do
  prefix="$dir/$version"
  deno_bin="$prefix/node_modules/.bin/deno"
  # "latest" is looked up again each run; a pinned version once.
  if [ "$version" = latest ] || [ ! -x "$deno_bin" ]; then
    mkdir -p "$prefix"
    npm install --silent --no-audit --no-fund --prefix "$prefix" "deno@$version" ||
      { summary+=("$version: npm install failed"); status=1; continue; }
  fi
  actual=$("$deno_bin" --version | head -n 1)
  echo "=== $actual"
  tree="$prefix/tree"
  rm -rf "$tree"
  mkdir -p "$tree/target"
  tar --exclude=./target --exclude=./bench/native/target --exclude=./.git \
    --exclude=./node_modules -cf - . | tar -xf - -C "$tree"
  rm -f "$tree/deno.lock"
  ln -s "$PWD/target/release" "$tree/target/release"
  # Cargo builds in the copy go to this checkout's target/ (CARGO_TARGET_DIR
  # below), the bench harness's native baselines included: it looks for
  # them under bench/native/target, so that points there too. Without it a
  # fresh clone's copy had no bench/native/target and bench:compare failed.
  mkdir -p "$tree/bench/native/target"
  ln -s "$PWD/target/release" "$tree/bench/native/target/release"
  log=$(mktemp)
  (cd "$tree" && DENO_TLS_CA_STORE=system DENO="$PWD/../node_modules/.bin/deno" \
    CARGO_TARGET_DIR="$OLDPWD/target" tools/suite.sh) 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  line=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^(ok|FAILED) \|' | tail -n 1)
  rm -f "$log"
  summary+=("$actual: ${line:-did not finish (exit $rc)}")
  [ "$rc" -eq 0 ] || status=1
done
echo
echo "=== Deno matrix"
printf '%s\n' "${summary[@]}"
exit $status

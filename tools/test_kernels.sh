#!/usr/bin/env bash
# `deno task test:kernels [kernel...]`: cargo test and the deno suite as if
# on each kernel (default: native 5.15 5.0 4.13), using tools/kernel_shim
# (a seccomp filter: memfd_create and F_ADD_SEALS answer EINVAL for what
# that kernel lacks). Prints a pass count per kernel; fails if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."
kernels=("$@")
[ ${#kernels[@]} -gt 0 ] || kernels=(native 5.15 5.0 4.13)

set -e
cargo build --release --quiet
shim_cargo=(--quiet --locked --manifest-path tools/kernel_shim/Cargo.toml
  --target-dir target/kernel_shim)
cargo test "${shim_cargo[@]}"
cargo build --release "${shim_cargo[@]}"
shim=target/kernel_shim/release/kernel_shim
set +e

summary=()
status=0
for kernel in "${kernels[@]}"; do
  echo "=== kernel $kernel: cargo test"
  cargo_out=$("$shim" "$kernel" cargo test --quiet 2>&1)
  cargo_rc=$?
  echo "$cargo_out" | grep -v '^$' | tail -n 30
  cargo_line=$(echo "$cargo_out" | grep -m1 '^test result' || echo "test result: did not run")
  echo "=== kernel $kernel: deno suite"
  log=$(mktemp)
  "$shim" "$kernel" tools/suite.sh 2>&1 | tee "$log"
  deno_rc=${PIPESTATUS[0]}
  deno_line=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^(ok|FAILED) \|' | tail -n 1)
  rm -f "$log"
  summary+=("$kernel: cargo ${cargo_line#test result: } | deno ${deno_line:-did not finish}")
  [ "$cargo_rc" -eq 0 ] && [ "$deno_rc" -eq 0 ] || status=1
done
echo
echo "=== kernel matrix"
printf '%s\n' "${summary[@]}"
exit $status

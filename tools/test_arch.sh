#!/usr/bin/env bash
# `deno task test:arch [--quick|--rest] [deno test arguments...]`: the deno suite
# on aarch64 under qemu-user, with Deno for arm64 from npm (the same version
# as the deno on PATH, into target/arch/, untracked) and the aarch64 library:
# dist/libdeno_memfd-aarch64-unknown-linux-gnu.so when it exists, else a
# cross-build into target/aarch64 (Debian's rustc-web and
# crossbuild-essential-arm64). `--quick` runs the core contract, the ring and
# sharing only (QUICK below); the full run is tools/suite.sh. Tests that
# cannot work under qemu-user skip themselves, saying why
# (tests/support/emulation.ts).
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
# --quick: QUICK only; --rest: the rest of the full run (--quick and --rest
# together are the full run, in two processes).
mode=full
case "${1:-}" in
  --quick | --rest)
    mode=${1#--}
    shift
    ;;
esac
# The core contract, the ring and sharing: what .ci/run runs, in two
# `deno test` processes side by side (one a core; not --parallel, whose
# modules share a process and so each other's fds), split so that each
# takes about as long (docs/platforms.md has the times).
QUICK_A=(
  tests/interop_deno_test.ts tests/io_test.ts tests/sharing_socket_test.ts
  tests/mapping_test.ts tests/seals_test.ts tests/create_test.ts
  tests/seal_write_test.ts tests/lifecycle_test.ts tests/map_ring_test.ts
  tests/resize_test.ts
)
QUICK_B=(
  tests/ring_end_test.ts tests/sharing_inherit_test.ts
  tests/ring_sync_wait_test.ts tests/ring_test.ts tests/smoke_test.ts
  tests/interop_python_test.ts tests/seal_resize_test.ts
  tests/options_test.ts tests/errors_test.ts
)
QUICK=("${QUICK_A[@]}" "${QUICK_B[@]}")
dir=target/arch
version=${DENO_ARM64_VERSION:-$(deno --version | head -n 1 | cut -d ' ' -f 2)}

# Deno for arm64. npm refuses a package for another CPU without --force.
prefix=$dir/deno/$version
deno_bin=$root/$prefix/node_modules/@deno/linux-arm64-glibc/deno
if [ ! -x "$deno_bin" ]; then
  mkdir -p "$prefix"
  npm install --silent --no-audit --no-fund --force --prefix "$prefix" \
    "@deno/linux-arm64-glibc@$version" 2>/dev/null ||
    { echo "npm install @deno/linux-arm64-glibc@$version failed" >&2; exit 1; }
fi

# binfmt_misc, so that the arm64 deno and every Deno.execPath() child it
# starts run under qemu-aarch64 without a wrapper.
binfmt=/proc/sys/fs/binfmt_misc
if [ ! -e "$binfmt/register" ]; then
  mount -t binfmt_misc binfmt_misc "$binfmt" ||
    { echo "cannot mount binfmt_misc (needs root)" >&2; exit 1; }
fi
if [ ! -e "$binfmt/qemu-aarch64" ]; then
  conf=/usr/lib/binfmt.d/qemu-aarch64.conf
  [ -r "$conf" ] || { echo "$conf missing: apt-get install qemu-user-binfmt" >&2; exit 1; }
  grep -v '^#' "$conf" >"$binfmt/register" ||
    { echo "cannot register qemu-aarch64 with binfmt_misc" >&2; exit 1; }
fi
if ! grep -qx enabled "$binfmt/qemu-aarch64"; then
  echo 1 >"$binfmt/qemu-aarch64"
fi
# qemu takes ld.so and libc.so.6 from this prefix: the host's multiarch
# libc6:arm64 (/lib/aarch64-linux-gnu), never /usr/aarch64-linux-gnu from
# the cross packages, whose different glibc build hangs the first thread.
export QEMU_LD_PREFIX=/
arch=$("$deno_bin" eval 'console.log(Deno.build.arch)') ||
  { echo "$deno_bin does not run under qemu-aarch64" >&2; exit 1; }
[ "$arch" = aarch64 ] || { echo "$deno_bin is $arch, not aarch64" >&2; exit 1; }

# The library: the shipped one, else a cross-build.
lib=$root/dist/libdeno_memfd-aarch64-unknown-linux-gnu.so
if [ ! -f "$lib" ]; then
  lib=$root/target/aarch64/aarch64-unknown-linux-gnu/release/libdeno_memfd.so
  echo "=== no dist/libdeno_memfd-aarch64-unknown-linux-gnu.so: cross-building $lib"
  RUSTC=/usr/bin/rustc CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc \
    /usr/bin/cargo build --release --locked --quiet --target aarch64-unknown-linux-gnu \
    --target-dir target/aarch64 || exit 1
fi
machine=$(od -An -tu2 -j18 -N2 "$lib" | tr -d ' ')
[ "$machine" = 183 ] || { echo "$lib is not an aarch64 ELF (e_machine $machine)" >&2; exit 1; }

# A copy of the tree whose target/release is the aarch64 library, so that
# the tests and the children that load target/release (and cargo, which
# must not run here) never meet the host's x86_64 build.
tree=$dir/tree-$mode
rm -rf "$tree"
mkdir -p "$tree/target/release"
tar --exclude=./target --exclude=./.git -cf - . | tar -xf - -C "$tree"
ln -s "$lib" "$tree/target/release/libdeno_memfd.so"
mkdir -p "$tree/dist"
[ -e "$tree/dist/${lib##*/}" ] || ln -s "$lib" "$tree/dist/libdeno_memfd-aarch64-unknown-linux-gnu.so"

echo "=== $("$deno_bin" --version | head -n 1) under $(qemu-aarch64 --version | head -n 1)"
echo "=== library $lib"
# The arm64 deno keeps its own cache (V8 code caches are per architecture).
export DENO_DIR=$root/$dir/deno_dir
export DENO_MEMFD_LIB=$lib
export DENO_MEMFD_EMULATED=qemu-aarch64
# One summary line from deno test's (two for --quick): counts added up.
summed() {
  awk '{
    status = status == "FAILED" ? "FAILED" : $1
    for (i = 2; i < NF; i++) if ($(i + 1) ~ /^(passed|failed|ignored)$/) n[$(i + 1)] += $i
  } END {
    if (NR) printf "%s | %d passed | %d failed | %d ignored\n", status, n["passed"], n["failed"], n["ignored"]
  }'
}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
start=$SECONDS
# --no-check: type-checking is the same on every CPU (`deno task check`
# does it natively) and takes minutes under emulation.
flags=(--no-check --allow-ffi --allow-read --allow-write=/tmp,/proc --allow-run
  --allow-env --allow-net)
case $mode in
  quick)
    # The second half prints when it is done, after the first.
    log_b=$(mktemp)
    trap 'rm -f "$log" "$log_b"' EXIT
    (cd "$tree" && exec "$deno_bin" test "${flags[@]}" "$@" "${QUICK_B[@]}") >"$log_b" 2>&1 &
    pid_b=$!
    (cd "$tree" && "$deno_bin" test "${flags[@]}" "$@" "${QUICK_A[@]}") 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    wait "$pid_b"
    rc_b=$?
    tee -a "$log" <"$log_b"
    [ "$rc" -ne 0 ] || rc=$rc_b
    ;;
  rest)
    rest=()
    for file in tests/*_test.ts; do
      [[ " ${QUICK[*]} " == *" $file "* ]] || rest+=("$file")
    done
    (cd "$tree" && "$deno_bin" test --doc "${flags[@]}" "$@" "${rest[@]}" \
      mod.ts testing.ts src/ README.md docs/) 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    ;;
  full)
    (cd "$tree" && DENO="$deno_bin" tools/suite.sh --no-check "$@") 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    ;;
esac
line=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^(ok|FAILED) \|' | summed)
echo
echo "=== aarch64 under qemu-user ($mode): ${line:-did not finish (exit $rc)}; $((SECONDS - start)) s"
echo "=== what emulation skips or narrows, and why:"
sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^(skipped|narrowed) under emulation' | sort -u
exit "$rc"

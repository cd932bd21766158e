#!/usr/bin/env bash
# `tools/release_build.sh <target triple>...`: builds the release library
# for x86_64-unknown-linux-gnu and/or aarch64-unknown-linux-gnu with
# Debian's Rust, linked against the bullseye sysroots that
# tools/release_toolchain.sh made, into
# target/dist/ (never target/release, which the local tests load). Prints
# each built library's path, one a line, in the order asked.
#
# Reproducible: the dependency sources' directory under CARGO_HOME is
# remapped to /crates/ and the checkout to /deno_memfd/, so neither the
# user's home nor the checkout reaches the binary (panic locations name
# source files).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

[ $# -gt 0 ] || {
  echo "usage: tools/release_build.sh <target triple>..." >&2
  exit 2
}
cargo_home=${CARGO_HOME:-$HOME/.cargo}
# Flags are set per target in cargo's config (TOML strings), for the target
# units only: build scripts and proc macros run here, built as usual. The
# environment's own flags would replace or join them, so they are dropped.
config=()
unset RUSTFLAGS CARGO_ENCODED_RUSTFLAGS CARGO_BUILD_TARGET CARGO_BUILD_RUSTFLAGS
for target in "$@"; do
  case "$target" in
    x86_64-unknown-linux-gnu) cc=x86_64-linux-gnu-gcc ;;
    aarch64-unknown-linux-gnu) cc=aarch64-linux-gnu-gcc ;;
    *)
      echo "release_build.sh: no recipe for $target" >&2
      exit 2
      ;;
  esac
  arch=${target%%-*}
  sysroot=$root/target/sysroot/bullseye-$arch
  [ -f "$sysroot/.ready" ] || {
    echo "release_build.sh: no sysroot at $sysroot: run tools/release_toolchain.sh" >&2
    exit 1
  }
  unset "CARGO_TARGET_$(echo "$target" | tr a-z- A-Z_)_RUSTFLAGS"
  # gcc's own search path (its install dir, ../../../<triple>) is not moved
  # by --sysroot: name the sysroot's library and crt directories first, or
  # the host glibc would be linked after all.
  libdirs=("$sysroot/usr/lib/$arch-linux-gnu" "$sysroot/lib/$arch-linux-gnu")
  flags=("-Clinker=$cc" "-Clink-arg=--sysroot=$sysroot"
    "-Clink-arg=-B${libdirs[0]}/")
  for dir in "${libdirs[@]}"; do flags+=("-Clink-arg=-L$dir"); done
  for dir in "$cargo_home"/registry/src/*/; do
    flags+=("--remap-path-prefix=$dir=/crates/")
  done
  flags+=("--remap-path-prefix=$root/=/deno_memfd/")
  toml=$(printf '"%s",' "${flags[@]}")
  config+=(--config "target.$target.rustflags=[${toml%,}]" --target "$target")
done

# One cargo for every target: the host units are built once, and the
# targets' compilations and links run side by side.
RUSTC=/usr/bin/rustc SOURCE_DATE_EPOCH=0 /usr/bin/cargo build --quiet \
  --release --locked "${config[@]}" --target-dir target/dist >&2
for target in "$@"; do
  echo "$root/target/dist/$target/release/libdeno_memfd.so"
done

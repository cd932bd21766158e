#!/usr/bin/env bash
# `tools/release_build.sh <target triple>`: builds the release library for
# x86_64-unknown-linux-gnu or aarch64-unknown-linux-gnu with Debian's Rust,
# linked against the bullseye sysroot tools/release_toolchain.sh made, into
# target/dist/ (never target/release, which the local tests load). Prints
# the built library's path.
#
# Reproducible: the dependency sources' directory under CARGO_HOME is
# remapped to /crates/ and the checkout to /deno_memfd/, so neither the
# user's home nor the checkout reaches the binary (panic locations name
# source files).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

target=${1:?usage: tools/release_build.sh <target triple>}
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

# gcc's own search path (its install dir, ../../../<triple>) is not moved by
# --sysroot: name the sysroot's library and crt directories first, or the
# host glibc would be linked after all.
libdirs=("$sysroot/usr/lib/$arch-linux-gnu" "$sysroot/lib/$arch-linux-gnu")
flags=("-Clinker=$cc" "-Clink-arg=--sysroot=$sysroot"
  "-Clink-arg=-B${libdirs[0]}/")
for dir in "${libdirs[@]}"; do flags+=("-Clink-arg=-L$dir"); done
cargo_home=${CARGO_HOME:-$HOME/.cargo}
for dir in "$cargo_home"/registry/src/*/; do
  flags+=("--remap-path-prefix=$dir=/crates/")
done
flags+=("--remap-path-prefix=$root/=/deno_memfd/")

# Flags for the target only (build scripts and proc macros run here, built
# for this machine as usual), separated by the ASCII unit separator.
encoded=$(IFS=$'\x1f'; echo "${flags[*]}")
env -u RUSTFLAGS -u CARGO_ENCODED_RUSTFLAGS -u CARGO_BUILD_TARGET \
  RUSTC=/usr/bin/rustc SOURCE_DATE_EPOCH=0 \
  CARGO_ENCODED_RUSTFLAGS="$encoded" \
  /usr/bin/cargo build --quiet --release --locked --target "$target" \
  --target-dir target/dist >&2
echo "$root/target/dist/$target/release/libdeno_memfd.so"

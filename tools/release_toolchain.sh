#!/usr/bin/env bash
# What `deno task release` and `release:check` build with, installed when
# missing (idempotent; quick when everything is there):
# - Debian's Rust (rustc-web, cargo-web) with the x86_64 and arm64 standard
#   libraries: rustup's toolchains here carry only x86_64's and cannot
#   download more, so both libraries are built by one compiler;
# - the cross linker (crossbuild-essential-arm64) and debootstrap;
# - a Debian 11 (bullseye, glibc 2.31) sysroot per architecture under
#   target/sysroot/, linked against instead of this machine's glibc, which
#   would make the libraries need GLIBC_2.33 (fstat, stat64, lstat).
# `debootstrap --foreign` only unpacks the essential packages (no chroot,
# no emulation); libc6-dev, which it downloads but leaves packed, is
# unpacked by hand. Prints nothing on success but what it installs (on
# stderr); `--describe` then prints the toolchain (below).
set -euo pipefail
cd "$(dirname "$0")/.."

sudo=()
[ "$(id -u)" = 0 ] || sudo=(sudo)

packages=(rustc-web cargo-web libstd-rust-web-dev libstd-rust-web-dev:arm64
  gcc crossbuild-essential-arm64 debootstrap)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f '${Status}\n' "$package" 2>/dev/null |
    grep -q '^install ok installed$' || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "release toolchain: installing ${missing[*]}" >&2
  dpkg --print-foreign-architectures | grep -qx arm64 ||
    "${sudo[@]}" dpkg --add-architecture arm64
  "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=300 update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get \
    -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends \
    --no-remove "${missing[@]}" >&2
fi

# sysroot <debian arch> <target/sysroot/ name>
sysroot() {
  local arch=$1 dir=target/sysroot/$2
  [ -f "$dir/.ready" ] && return 0
  echo "release toolchain: making the bullseye sysroot $dir" >&2
  rm -rf "$dir" "$dir.tmp"
  mkdir -p target/sysroot
  "${sudo[@]}" debootstrap --variant=minbase --include=libc6-dev \
    --arch="$arch" --foreign bullseye "$dir.tmp" >"$dir.log" 2>&1 ||
    { cat "$dir.log" >&2; exit 1; }
  local deb
  for deb in "$dir.tmp"/var/cache/apt/archives/libc6-dev_*.deb; do
    "${sudo[@]}" dpkg-deb -x "$deb" "$dir.tmp"
  done
  # The linker looks for what linker scripts and symlinks name inside the
  # sysroot only if they stay inside it: make absolute symlinks relative.
  local link
  while IFS= read -r link; do
    "${sudo[@]}" ln -sfnr "$dir.tmp$(readlink "$link")" "$link"
  done < <(find "$dir.tmp/usr/lib" "$dir.tmp/usr/lib64" -type l -lname '/*' \
    2>/dev/null)
  # The glibc the libraries are linked against, for the release record.
  (cd "$dir.tmp/var/cache/apt/archives" && ls libc6_*.deb libc6-dev_*.deb) |
    "${sudo[@]}" tee "$dir.tmp/.ready" >/dev/null
  mv "$dir.tmp" "$dir"
}
# Side by side: mostly waiting on downloads.
sysroot amd64 bullseye-x86_64 &
x86_64=$!
sysroot arm64 bullseye-aarch64 &
aarch64=$!
made=0
wait "$x86_64" || made=1
wait "$aarch64" || made=1
[ "$made" = 0 ] || exit 1

# --describe: what the build's bytes depend on besides the source, one item
# a line, recorded in dist/release.json (rustc-web moves with security
# updates; the sysroots with bullseye's point releases).
if [ "${1:-}" = --describe ]; then
  /usr/bin/rustc -vV | grep -E '^(release|commit-hash|LLVM version):'
  /usr/bin/cargo -V
  dpkg-query -W -f '${Package}:${Architecture} ${Version}\n' rustc-web \
    libstd-rust-web-dev:amd64 libstd-rust-web-dev:arm64 \
    binutils-x86-64-linux-gnu binutils-aarch64-linux-gnu
  x86_64-linux-gnu-gcc --version | head -n 1
  aarch64-linux-gnu-gcc --version | head -n 1
  for arch in x86_64 aarch64; do
    sed "s|^|sysroot $arch: |" "target/sysroot/bullseye-$arch/.ready"
  done
fi

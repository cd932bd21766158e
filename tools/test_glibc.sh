#!/usr/bin/env bash
# `deno task test:glibc [deno test arguments...]`: the core contract, the
# ring and sharing (CORE below; give test files to run others) inside a
# Debian 11 root filesystem (glibc 2.31), against the shipped
# dist/libdeno_memfd-x86_64-unknown-linux-gnu.so, with the host's deno
# copied in. The root filesystem is made once by debootstrap into
# target/glibc/bullseye (untracked); each run copies the tree into it. Runs
# in a private mount namespace, so its mounts (/proc, /dev, /sys, /tmp)
# vanish with it, and a trap unmounts them on any exit as well.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
CORE=(
  tests/smoke_test.ts tests/create_test.ts tests/options_test.ts
  tests/io_test.ts tests/resize_test.ts tests/seals_test.ts
  tests/seal_write_test.ts tests/seal_resize_test.ts tests/mapping_test.ts
  tests/map_ring_test.ts tests/errors_test.ts tests/lifecycle_test.ts
  tests/ring_test.ts tests/ring_end_test.ts tests/ring_sync_wait_test.ts
  tests/sharing_socket_test.ts tests/sharing_inherit_test.ts
  tests/interop_deno_test.ts tests/interop_python_test.ts
  tests/interop_coreutils_test.ts
)
args=("$@")
[ ${#args[@]} -gt 0 ] || args=("${CORE[@]}")
name=libdeno_memfd-x86_64-unknown-linux-gnu.so
lib=$root/dist/$name
[ -f "$lib" ] || { echo "$lib is missing: \`deno task release\` builds it" >&2; exit 1; }
dir=$root/target/glibc
rootfs=$dir/bullseye
[ "$(id -u)" = 0 ] || { echo "test:glibc needs root (debootstrap, mount, chroot)" >&2; exit 1; }

# The root filesystem, once: minbase plus what the peers need (python3;
# procps for ps/pkill-free process checks; coreutils is in minbase).
if [ ! -x "$rootfs/usr/bin/python3" ]; then
  command -v debootstrap >/dev/null ||
    { echo "debootstrap missing: apt-get install debootstrap" >&2; exit 1; }
  mkdir -p "$dir"
  rm -rf "$rootfs.tmp"
  echo "=== debootstrap bullseye into $rootfs (once)"
  start=$SECONDS
  if ! debootstrap --variant=minbase --include=python3,procps bullseye \
    "$rootfs.tmp" >"$dir/debootstrap.log" 2>&1; then
    tail -n 20 "$dir/debootstrap.log" >&2
    exit 1
  fi
  mv "$rootfs.tmp" "$rootfs"
  echo "=== debootstrap took $((SECONDS - start)) s"
fi

# The host's deno, refreshed when it changed, and its cache (the same
# deno: the chroot reads the npm packages the host fetched, with no network
# or CA store of its own), bind-mounted at /deno_dir.
deno_host=$(deno eval 'console.log(Deno.execPath())') || exit 1
cmp -s "$deno_host" "$rootfs/usr/local/bin/deno" ||
  install -D -m 755 "$deno_host" "$rootfs/usr/local/bin/deno" || exit 1
deno_dir=$(deno info --json | deno eval --quiet \
  'console.log(JSON.parse(await new Response(Deno.stdin.readable).text()).denoDir)') || exit 1
mkdir -p "$rootfs/deno_dir"

# The tree, copied in, with target/release being the shipped library, so
# that tests and children loading target/release meet it and not the
# host's build.
tree=/tree
rm -rf "${rootfs:?}$tree"
mkdir -p "$rootfs$tree/target/release"
tar --exclude=./target --exclude=./.git -cf - . | tar -xf - -C "$rootfs$tree"
cp "$lib" "$rootfs$tree/dist/$name"
ln -s "../../dist/$name" "$rootfs$tree/target/release/libdeno_memfd.so"

log=$(mktemp)
start=$SECONDS
# shellcheck disable=SC2016 # expanded by the inner shell
unshare --mount --propagation private bash -c '
  set -uo pipefail
  rootfs=$1 tree=$2 name=$3 deno_dir=$4
  shift 4
  cleanup() {
    for m in deno_dir tmp sys dev proc; do
      mountpoint -q "$rootfs/$m" && umount -R -l "$rootfs/$m"
    done
  }
  trap cleanup EXIT
  mount -t proc proc "$rootfs/proc" &&
    mount --rbind /dev "$rootfs/dev" &&
    mount --rbind /sys "$rootfs/sys" &&
    mount --bind /tmp "$rootfs/tmp" &&
    mount --bind "$deno_dir" "$rootfs/deno_dir" || exit 1
  in_root() {
    chroot "$rootfs" /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin \
      HOME=/root DENO_DIR=/deno_dir NO_COLOR=1 DENO_MEMFD_LIB="$tree/dist/$name" "$@"
  }
  echo "=== Debian $(cat "$rootfs/etc/debian_version"): $(in_root ldd --version | head -n 1)"
  echo "=== $(in_root deno --version | head -n 1)"
  echo "=== loading $tree/dist/$name"
  in_root deno eval --quiet "
    import { Memfd } from \"$tree/mod.ts\";
    using fd = Memfd.create(\"glibc\", { size: 4096 });
    console.log(\"loaded: a memfd of\", fd.size, \"bytes\");
  " || { echo "=== the library does not load on this glibc"; exit 1; }
  in_root bash -c "cd $tree && exec deno test --allow-ffi --allow-read \
    --allow-write=/tmp,/proc --allow-run --allow-env --allow-net \"\$@\"" \
    deno "$@"
' test_glibc "$rootfs" "$tree" "$name" "$deno_dir" "${args[@]}" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
line=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^(ok|FAILED) \|' | tail -n 1)
rm -f "$log"
echo
echo "=== Debian 11 (glibc 2.31) chroot: ${line:-did not finish (exit $rc)}; $((SECONDS - start)) s"
exit "$rc"

/**
 * Which systems deno_memfd can run on, decided from plain values so that
 * the decision is testable on any system.
 * @module
 */

/** Why deno_memfd cannot work on `os`, or `undefined` when it can. */
export function unsupportedReason(os: string): string | undefined {
  if (os === "linux") return undefined;
  return `deno_memfd needs Linux (memfd_create and file sealing are ` +
    `Linux system calls); this is ${os}`;
}

/** Throws `Deno.errors.NotSupported` unless `os` is Linux. */
export function requireLinux(os: string = Deno.build.os): void {
  const reason = unsupportedReason(os);
  if (reason !== undefined) throw new Deno.errors.NotSupported(reason);
}

/**
 * Why no prebuilt library fits `target` (`Deno.build.target`), given the
 * targets `shipped` in `dist/`: names the target and how to build the
 * library locally. The prebuilt ones link glibc, so a musl system (or any
 * other architecture) builds its own.
 */
export function noPrebuiltReason(
  target: string,
  shipped: readonly string[],
): string {
  const libc = target.endsWith("-musl")
    ? " (the prebuilt libraries link glibc, which musl systems lack)"
    : "";
  return `deno_memfd has no prebuilt library for ${target}${libc}; it ` +
    `ships them for ${shipped.join(" and ") || "no target"}. Build one ` +
    "from a checkout of deno_memfd with `cargo build --release` (Rust " +
    "stable), then point DENO_MEMFD_LIB at its " +
    "target/release/libdeno_memfd.so (readable with " +
    "--allow-env=DENO_MEMFD_LIB) or pass that path to loadLibrary(path)";
}

/**
 * The oldest Deno deno_memfd supports: the test suite passes on it and on
 * the newest (`deno task test:deno`). Keep in step with MIN_DENO in
 * tools/test_deno.sh and the README. Not older: Deno 2.2 to 2.4 can crash
 * (SIGTRAP: "Check failed: FastApiCallNode::ArityForArgc", V8's optimizing
 * compiler on the fast path of FFI calls) under the suite's ring workload,
 * and Deno 2.0 also disagrees with the chaos models (ring reads of 0).
 */
export const MIN_DENO = "2.5.0";

function parseVersion(version: string): number[] | undefined {
  const match = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  return match ? match.slice(1, 4).map(Number) : undefined;
}

function atLeast(have: number[], need: number[]): boolean {
  for (let i = 0; i < 3; i++) {
    // parseVersion gives three numbers, so i < 3 is always in range.
    if (have[i] !== need[i]) return have[i]! > need[i]!;
  }
  return true;
}

/**
 * Why deno_memfd refuses Deno `version` (older than {@linkcode MIN_DENO}),
 * or `undefined` when it runs on it.
 */
export function unsupportedDenoReason(version: string): string | undefined {
  const have = parseVersion(version);
  if (have !== undefined && atLeast(have, parseVersion(MIN_DENO)!)) {
    return undefined;
  }
  return `deno_memfd needs Deno ${MIN_DENO} or newer; this is Deno ` +
    `${version}: upgrade with 'deno upgrade'`;
}

/** Throws `Deno.errors.NotSupported` when Deno `version` is too old. */
export function requireDeno(version: string = Deno.version.deno): void {
  const reason = unsupportedDenoReason(version);
  if (reason !== undefined) throw new Deno.errors.NotSupported(reason);
}

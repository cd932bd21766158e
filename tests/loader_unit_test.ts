/**
 * The loader's decisions, from plain inputs: resolution order, cache
 * directory, platform, library checks, atomic caching.
 */

import {
  assertEquals,
  assertMatch,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import type { Artifact } from "../src/loader/artifacts.ts";
import { readCached, storeAtomically } from "../src/loader/cache.ts";
import { cachedLibraryPath, denoCacheDir } from "../src/loader/cache_dir.ts";
import { sha256Hex } from "../src/loader/checksum.ts";
import { elfProblem } from "../src/loader/elf.ts";
import { DENIED, type EnvReader, type Presence } from "../src/loader/grants.ts";
import {
  MIN_DENO,
  noPrebuiltReason,
  requireDeno,
  requireLinux,
  unsupportedDenoReason,
  unsupportedReason,
} from "../src/loader/platform.ts";
import {
  localCandidates,
  type RemoteSource,
  type ResolveInput,
  resolveSource,
  type Source,
} from "../src/loader/resolve.ts";
import { pinProblem } from "../src/loader/verify.ts";
import { LIB } from "./support/run.ts";

const TARGET = "x86_64-unknown-linux-gnu";
const PIN: Artifact = {
  file: `libdeno_memfd-${TARGET}.so`,
  sha256: "ab".repeat(32),
  size: 10,
};

function env(values: Record<string, string | typeof DENIED>): EnvReader {
  return (name) => values[name] ?? DENIED;
}

function remote(source: Source): RemoteSource {
  if (source.kind !== "remote") throw new Error(`not remote: ${source.path}`);
  return source;
}

function input(over: Partial<ResolveInput> = {}): ResolveInput {
  return {
    root: new URL("file:///repo/"),
    target: TARGET,
    env: env({}),
    probe: (): Presence => "present",
    ffiGranted: () => false,
    artifacts: { [TARGET]: PIN },
    ...over,
  };
}

Deno.test("platform: Linux is supported, anything else NotSupported", () => {
  assertEquals(unsupportedReason("linux"), undefined);
  for (const os of ["darwin", "windows", "freebsd", "android"]) {
    const e = assertThrows(() => requireLinux(os), Deno.errors.NotSupported);
    assertStringIncludes(e.message, "needs Linux");
    assertStringIncludes(e.message, os);
  }
  requireLinux("linux");
});

Deno.test("platform: Deno older than MIN_DENO is NotSupported, naming the minimum", () => {
  const [major, minor, patch] = MIN_DENO.split(".").map(Number) as [
    number,
    number,
    number,
  ]; // MIN_DENO is "major.minor.patch"
  for (
    const ok of [
      MIN_DENO,
      `${major}.${minor}.${patch + 1}`,
      `${major}.${minor + 1}.0`,
      `${major + 1}.0.0`,
      `${MIN_DENO}-rc.1+abc`,
      Deno.version.deno,
    ]
  ) {
    assertEquals(unsupportedDenoReason(ok), undefined, ok);
    requireDeno(ok);
  }
  const older = [
    "1.46.3",
    minor > 0 ? `${major}.${minor - 1}.9` : `${major - 1}.99.99`,
    "not a version",
  ];
  if (patch > 0) older.push(`${major}.${minor}.${patch - 1}`);
  for (const old of older) {
    const e = assertThrows(() => requireDeno(old), Deno.errors.NotSupported);
    assertStringIncludes(e.message, `needs Deno ${MIN_DENO} or newer`);
    assertStringIncludes(e.message, old);
  }
});

Deno.test("resolve: DENO_MEMFD_LIB, when readable, comes first", () => {
  const source = resolveSource(input({
    env: env({ DENO_MEMFD_LIB: "/opt/lib.so" }),
  }));
  assertEquals(source, {
    kind: "file",
    path: "/opt/lib.so",
    origin: "DENO_MEMFD_LIB",
  });
});

Deno.test("resolve: DENO_MEMFD_LIB naming a missing file is an error naming it", () => {
  const e = assertThrows(
    () =>
      resolveSource(input({
        env: env({ DENO_MEMFD_LIB: "/nowhere/lib.so" }),
        probe: (path) => path === "/nowhere/lib.so" ? "absent" : "present",
      })),
    Deno.errors.NotFound,
  );
  assertStringIncludes(e.message, "DENO_MEMFD_LIB names /nowhere/lib.so");
});

Deno.test("resolve: file: imports use target/release, then target/debug", () => {
  const [release, debug] = localCandidates(new URL("file:///repo/"));
  assertEquals(release, "/repo/target/release/libdeno_memfd.so");
  assertEquals(debug, "/repo/target/debug/libdeno_memfd.so");
  assertEquals(resolveSource(input()).path, release);
  const onlyDebug = input({ probe: (p) => p === debug ? "present" : "absent" });
  assertEquals(resolveSource(onlyDebug).path, debug);
  const e = assertThrows(
    () => resolveSource(input({ probe: () => "absent" })),
    Deno.errors.NotFound,
  );
  assertStringIncludes(e.message, "deno task build");
  assertStringIncludes(e.message, "DENO_MEMFD_LIB");
});

Deno.test("resolve: unreadable candidates: the one granted FFI by name wins", () => {
  const [release, debug] = localCandidates(new URL("file:///repo/"));
  const unknown = input({ probe: () => "unknown" });
  assertEquals(resolveSource(unknown).path, release);
  assertEquals(
    resolveSource({ ...unknown, ffiGranted: (p) => p === debug }).path,
    debug,
  );
});

Deno.test("resolve: paths in file: URLs are decoded", () => {
  const source = resolveSource(input({ root: new URL("file:///my%20repo/") }));
  assertEquals(source.path, "/my repo/target/release/libdeno_memfd.so");
});

Deno.test("resolve: http(s) imports fetch dist/ from the same origin into the cache", () => {
  const source = remote(resolveSource(input({
    root: new URL("https://example.test/pkg/1.0/"),
    env: env({ DENO_DIR: "/cache/deno" }),
  })));
  assertEquals(
    source.url.href,
    `https://example.test/pkg/1.0/dist/${PIN.file}`,
  );
  assertEquals(source.path, `/cache/deno/deno_memfd/${PIN.sha256}.so`);
});

Deno.test("resolve: DENO_MEMFD_BASE_URL overrides where dist/ is", () => {
  const at = (base: string) => {
    const source = resolveSource(input({
      root: new URL("http://127.0.0.1:1/"),
      env: env({ DENO_DIR: "/d", DENO_MEMFD_BASE_URL: base }),
    }));
    return remote(source).url.href;
  };
  assertEquals(
    at("https://mirror.test/x"),
    `https://mirror.test/x/${PIN.file}`,
  );
  assertEquals(
    at("https://mirror.test/x/"),
    `https://mirror.test/x/${PIN.file}`,
  );
  assertThrows(() => at("not a url"), TypeError, "DENO_MEMFD_BASE_URL");
});

Deno.test("resolve: no pinned artifact for this target is NotSupported", () => {
  const e = assertThrows(
    () =>
      resolveSource(input({
        root: new URL("https://example.test/"),
        target: "aarch64-apple-darwin",
        env: env({ DENO_DIR: "/d" }),
      })),
    Deno.errors.NotSupported,
  );
  assertStringIncludes(e.message, "aarch64-apple-darwin");
  assertStringIncludes(e.message, TARGET);
});

Deno.test("platform: a target without a prebuilt library is named, with how to build one", () => {
  const shipped = [TARGET, "aarch64-unknown-linux-gnu"];
  for (
    const target of [
      "riscv64gc-unknown-linux-gnu",
      "x86_64-unknown-linux-musl",
      "aarch64-unknown-linux-musl",
      "powerpc64le-unknown-linux-gnu",
    ]
  ) {
    const e = assertThrows(
      () =>
        resolveSource(input({
          root: new URL("https://example.test/"),
          target,
          env: env({ DENO_DIR: "/d" }),
          artifacts: { [TARGET]: PIN, "aarch64-unknown-linux-gnu": PIN },
        })),
      Deno.errors.NotSupported,
    );
    assertEquals(e.message, noPrebuiltReason(target, shipped));
    assertStringIncludes(e.message, `no prebuilt library for ${target}`);
    assertStringIncludes(e.message, "cargo build --release");
    assertStringIncludes(e.message, "DENO_MEMFD_LIB");
    assertStringIncludes(e.message, "loadLibrary(path)");
    assertStringIncludes(e.message, `${TARGET} and aarch64-unknown-linux-gnu`);
    assertEquals(e.message.includes("musl systems"), target.endsWith("-musl"));
  }
});

Deno.test("resolve: each shipped target gets its own artifact", () => {
  const arm: Artifact = { ...PIN, file: "libdeno_memfd-aarch64.so" };
  const pick = (target: string) =>
    remote(resolveSource(input({
      root: new URL("https://example.test/"),
      target,
      env: env({ DENO_DIR: "/d" }),
      artifacts: { [TARGET]: PIN, "aarch64-unknown-linux-gnu": arm },
    }))).artifact;
  assertEquals(pick(TARGET), PIN);
  assertEquals(pick("aarch64-unknown-linux-gnu"), arm);
});

Deno.test("resolve: an unreadable cache location names the env flag", () => {
  const e = assertThrows(
    () => resolveSource(input({ root: new URL("https://example.test/") })),
    Deno.errors.NotCapable,
  );
  assertStringIncludes(e.message, "--allow-env=DENO_DIR,XDG_CACHE_HOME,HOME");
});

Deno.test("cache dir: Deno's own order on Linux", () => {
  assertEquals(denoCacheDir(env({ DENO_DIR: "/d/" })), { dir: "/d" });
  assertEquals(
    denoCacheDir(env({ XDG_CACHE_HOME: "/x", HOME: "/h", DENO_DIR: "" })),
    { dir: "/x/deno" },
  );
  assertEquals(
    denoCacheDir(env({ XDG_CACHE_HOME: "/x", HOME: "/h" })),
    { needEnv: ["DENO_DIR", "XDG_CACHE_HOME", "HOME"] },
  );
  const unset = (values: Record<string, string>) =>
    denoCacheDir((name) => values[name]);
  assertEquals(unset({ XDG_CACHE_HOME: "/x", HOME: "/h" }), { dir: "/x/deno" });
  assertEquals(unset({ HOME: "/h" }), { dir: "/h/.cache/deno" });
  assertEquals(unset({}), { needEnv: [] });
  assertEquals(
    denoCacheDir((name) => name === "HOME" ? DENIED : undefined),
    { needEnv: ["HOME"] },
  );
  assertEquals(cachedLibraryPath("/d", "ff"), "/d/deno_memfd/ff.so");
});

Deno.test("checksum: matches WebCrypto's SHA-256", async () => {
  for (const length of [0, 1, 55, 56, 64, 1000, 100_003]) {
    const bytes = crypto.getRandomValues(
      new Uint8Array(Math.min(length, 65536)),
    );
    const data = length > 65536
      ? new Uint8Array(length).map((_, i) => bytes[i % bytes.length]!)
      : bytes;
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", data));
    const hex = Array.from(digest, (b) => b.toString(16).padStart(2, "0"))
      .join("");
    assertEquals(sha256Hex(data), hex);
  }
});

Deno.test("pin: size and checksum are both checked", () => {
  const bytes = new TextEncoder().encode("0123456789");
  const pin = { ...PIN, sha256: sha256Hex(bytes) };
  assertEquals(pinProblem(bytes, pin), undefined);
  assertMatch(pinProblem(bytes.subarray(1), pin)!, /^size mismatch/);
  const flipped = bytes.slice();
  flipped[5]! ^= 1;
  assertMatch(pinProblem(flipped, pin)!, /^checksum mismatch/);
});

Deno.test("elf: the real library passes, damaged copies are explained", () => {
  const good = Deno.readFileSync(LIB);
  assertEquals(elfProblem(good, Deno.build.arch), undefined);

  const cut = good.subarray(0, good.length >> 1);
  assertMatch(elfProblem(cut, Deno.build.arch)!, /truncated/);
  assertMatch(
    elfProblem(good.subarray(0, 1000), Deno.build.arch)!,
    /truncated/,
  );
  assertMatch(elfProblem(good.subarray(0, 30), Deno.build.arch)!, /too short/);
  assertMatch(elfProblem(new Uint8Array(4096), Deno.build.arch)!, /not an ELF/);

  const arm = good.slice();
  new DataView(arm.buffer).setUint16(18, 183, true);
  const other = Deno.build.arch === "aarch64" ? "x86_64" : "aarch64";
  assertEquals(
    elfProblem(good, other),
    `it is built for ${Deno.build.arch}, but this is ${other}`,
  );
  if (Deno.build.arch === "x86_64") {
    assertEquals(
      elfProblem(arm, "x86_64"),
      "it is built for aarch64, but this is x86_64",
    );
  }
  const narrow = good.slice();
  narrow[4] = 1;
  assertMatch(elfProblem(narrow, Deno.build.arch)!, /32-bit/);
});

Deno.test("cache: stores whole files, re-verifies, refuses a changed copy", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const bytes = new TextEncoder().encode("0123456789");
    const pin = { ...PIN, sha256: sha256Hex(bytes) };
    const path = cachedLibraryPath(dir, pin.sha256);
    assertEquals(readCached(path, pin), undefined);
    storeAtomically(path, bytes);
    assertEquals(readCached(path, pin), bytes);
    assertEquals(
      [...Deno.readDirSync(`${dir}/deno_memfd`)].map((e) => e.name),
      [`${pin.sha256}.so`],
    );
    Deno.writeFileSync(path, new TextEncoder().encode("0123456780"));
    const e = assertThrows(() => readCached(path, pin), Error);
    assertStringIncludes(e.message, "checksum mismatch");
    assertStringIncludes(e.message, "Delete it");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("cache: a failed store leaves no temporary file", () => {
  const dir = Deno.makeTempDirSync();
  try {
    // A directory where the file should go makes the rename fail.
    const path = `${dir}/deno_memfd/x.so`;
    Deno.mkdirSync(`${path}/occupied`, { recursive: true });
    assertThrows(() => storeAtomically(path, new Uint8Array(8)));
    assertEquals(
      [...Deno.readDirSync(`${dir}/deno_memfd`)].map((e) => e.name),
      ["x.so"],
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

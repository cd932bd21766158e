/**
 * Interop with a child `deno` as a real peer: it opens a sealed memfd by
 * path and verifies it, inherits fds, shares a mapping, and shows why
 * Memfd.open is native (CONFORMANCE #44).
 */

import { test } from "./support/leak_checked.ts";
import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { Memfd } from "../mod.ts";
import { DENO_FLAGS, MOD, ROOT, runDeno } from "./support/run.ts";
import { birthSeals } from "./support/kernel.ts";

const PAGE = 4096;
const LIB = `${ROOT}target/release/libdeno_memfd.so`;

async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(
    new Uint8Array(digest),
    (b) => b.toString(16).padStart(2, "0"),
  )
    .join("");
}

/** Runs `code` in a child deno and parses the JSON it prints last. */
async function child(
  code: string,
  args: string[],
  flags?: string[],
): Promise<Record<string, unknown>> {
  const out = await runDeno(code, flags, args);
  assertEquals(out.code, 0, out.stderr);
  const lines = out.stdout.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]!); // split gives one at least
}

test("a child deno opens a sealed memfd by path and verifies seals and content", async () => {
  using fd = Memfd.create("sealed-frame", { size: 1 << 20 });
  {
    using map = fd.map();
    for (let i = 0; i < map.bytes.length; i += 997) map.bytes[i] = i & 0xff;
  }
  fd.seal("shrink", "grow", "write");
  const content = new Uint8Array(fd.size);
  fd.read(content);
  const result = await child(
    `
    import { Memfd, MemfdError } from "${MOD}";
    using fd = Memfd.open(Deno.args[0]);
    fd.requireSeals("shrink", "grow", "write");
    const bytes = new Uint8Array(fd.size);
    fd.read(bytes);
    const digest = await crypto.subtle.digest("SHA-256", bytes);
    const code = (f) => { try { f(); return "allowed"; } catch (e) { return e.code; } };
    using rw = Memfd.open(Deno.args[0], { write: true });
    console.log(JSON.stringify({
      name: fd.name,
      size: fd.size,
      seals: [...fd.seals].sort(),
      sha256: Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join(""),
      readOnlyWrite: code(() => fd.write(new Uint8Array(1))),
      sealedWrite: code(() => rw.write(new Uint8Array(1))),
      sealedMap: code(() => rw.map()),
      privateMap: code(() => { using m = rw.map({ access: "private" }); m.bytes[0] = 1; }),
    }));
  `,
    [fd.path],
    [...DENO_FLAGS, `--allow-write=${fd.path}`],
  );
  assertEquals(result, {
    name: "sealed-frame",
    size: 1 << 20,
    seals: [...birthSeals, "grow", "shrink", "write"].sort(),
    sha256: await sha256(content),
    readOnlyWrite: "EBADF",
    sealedWrite: "EPERM",
    sealedMap: "EPERM",
    privateMap: "allowed",
  });
});

test("a child deno and this process share a mapping both ways", async () => {
  using fd = Memfd.create("shared-with-deno", { size: PAGE });
  using map = fd.map();
  map.bytes.set([1, 2, 3]);
  const result = await child(
    `
    import { Memfd } from "${MOD}";
    using fd = Memfd.open(Deno.args[0], { write: true });
    using map = fd.map();
    const seen = Array.from(map.bytes.subarray(0, 3));
    map.bytes.set([7, 8, 9], 10);
    console.log(JSON.stringify({ seen }));
  `,
    [fd.path],
    [...DENO_FLAGS, `--allow-write=${fd.path}`],
  );
  assertEquals(result, { seen: [1, 2, 3] });
  assertEquals(Array.from(map.bytes.subarray(10, 13)), [7, 8, 9]);
});

test("a child inherits a cloexec: false memfd by number and adopts it with fromFd", async () => {
  using inherited = Memfd.create("inherited", { size: 3, cloexec: false });
  using kept = Memfd.create("kept", { size: 3 }); // cloexec by default
  inherited.write(new Uint8Array([4, 5, 6]));
  const result = await child(
    `
    import { Memfd } from "${MOD}";
    const [inheritedFd, keptFd] = Deno.args.map(Number);
    using fd = Memfd.fromFd(inheritedFd);
    const bytes = new Uint8Array(3);
    fd.read(bytes);
    let kept;
    try { Memfd.fromFd(keptFd, { owned: false }); kept = "open"; } catch (e) { kept = e.code; }
    console.log(JSON.stringify({ name: fd.name, bytes: Array.from(bytes), kept }));
  `,
    [String(inherited.fd), String(kept.fd)],
  );
  assertEquals(result.name, "inherited");
  assertEquals(result.bytes, [4, 5, 6]);
  // The cloexec fd's number is closed in the child, or reused by the child
  // for something that is not a memfd: never the memfd itself.
  assert(["EBADF", "EINVAL"].includes(result.kept as string), `${result.kept}`);
});

test("#44 Deno's own file API needs --allow-all for /proc/<pid>/fd; Memfd.open does not", async () => {
  using fd = Memfd.create("proc-path", { size: 5 });
  fd.write(new TextEncoder().encode("hello"));
  const result = await child(
    `
    import { Memfd } from "${MOD}";
    let denoOpen;
    try { Deno.openSync(Deno.args[0]).close(); denoOpen = "opened"; }
    catch (e) { denoOpen = e.name + ": " + e.message; }
    using fd = Memfd.open(Deno.args[0]);
    const bytes = new Uint8Array(5);
    fd.read(bytes);
    console.log(JSON.stringify({ denoOpen, text: new TextDecoder().decode(bytes) }));
  `,
    [fd.path],
    ["--allow-ffi", "--allow-read"],
  );
  assertStringIncludes(result.denoOpen as string, "NotCapable");
  assertStringIncludes(result.denoOpen as string, "--allow-all");
  assertEquals(result.text, "hello");
});

test("with --allow-ffi scoped to the library, open/read work and map() names the flag it needs", async () => {
  using fd = Memfd.create("scoped", { size: PAGE });
  const result = await child(
    `
    import { Memfd } from "${MOD}";
    using fd = Memfd.open(Deno.args[0], { write: true });
    fd.write(new Uint8Array([1]));
    let map;
    try { fd.map(); map = "mapped"; } catch (e) { map = e.name + ": " + e.message; }
    console.log(JSON.stringify({ size: fd.size, map }));
  `,
    [fd.path],
    [
      `--allow-ffi=${LIB}`,
      `--allow-read=${ROOT},${fd.path}`,
      `--allow-write=${fd.path}`,
    ],
  );
  assertEquals(result.size, PAGE);
  assertStringIncludes(result.map as string, "NotCapable");
  assertStringIncludes(result.map as string, "unscoped --allow-ffi");
  const out = new Uint8Array(1);
  fd.read(out);
  assertEquals(out[0], 1);
});

/**
 * Interop with coreutils and the shell: any program can read and write a
 * memfd through `memfd.path`, and is held to its seals.
 */

import { test } from "./support/leak_checked.ts";
import { assertEquals, assertNotEquals } from "@std/assert";
import { Memfd } from "../mod.ts";
import { run, runOk } from "./support/run.ts";
import { statL } from "./support/proc.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

test("cat reads the memfd by path", async () => {
  using fd = Memfd.create("cat-me");
  fd.write(encoder.encode("line one\nline two\n"));
  assertEquals(await runOk("cat", [fd.path]), "line one\nline two\n");
});

test("sha256sum of the path matches the content", async () => {
  using fd = Memfd.create("hash-me", { size: 1 << 16 });
  using map = fd.map();
  for (let i = 0; i < map.bytes.length; i++) map.bytes[i] = (i * 7) & 0xff;
  const digest = await crypto.subtle.digest("SHA-256", map.bytes.slice());
  const hex = Array.from(
    new Uint8Array(digest),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  assertEquals((await runOk("sha256sum", [fd.path])).split(" ")[0], hex);
});

test("stat -L follows the /proc link and sees size changes", async () => {
  using fd = Memfd.create("stat-me", { size: 123 });
  assertEquals(await statL(fd.path, "%s %h %F"), "123 0 regular file");
  fd.resize(5000);
  assertEquals(await statL(fd.path, "%s"), "5000");
});

test("cp copies the content out to a regular file", async () => {
  using fd = Memfd.create("copy-me");
  fd.write(encoder.encode("copied"));
  const target = await Deno.makeTempFile({ prefix: "deno_memfd_" });
  try {
    await runOk("cp", [fd.path, target]);
    assertEquals(await Deno.readTextFile(target), "copied");
  } finally {
    await Deno.remove(target);
  }
});

test("a shell writes in place through the path; a write seal stops it", async () => {
  using fd = Memfd.create("shell-write", { size: 8 });
  // 1<> opens read-write without truncating.
  await runOk("sh", ["-c", `printf 'hi' 1<> "$1"`, "sh", fd.path]);
  const out = new Uint8Array(2);
  fd.read(out);
  assertEquals(decoder.decode(out), "hi");
  fd.seal("write");
  const refused = await run("sh", [
    "-c",
    `printf 'no' 1<> "$1"`,
    "sh",
    fd.path,
  ]);
  assertNotEquals(refused.code, 0);
  fd.read(out);
  assertEquals(decoder.decode(out), "hi");
});

/**
 * The edge of what the library can promise (README "Guarantees"): another
 * process holding a memfd can shrink it under this process's mapping. The
 * library's SIGBUS handler turns what used to kill the process into zero
 * pages and a typed error (tests/truncation_test.ts has every kind of
 * mapping); only the "shrink" seal keeps the file's bytes there.
 */

import { assertEquals, assertStringIncludes } from "@std/assert";
import { MOD, runDeno } from "./support/run.ts";

/** A child that maps 2 pages, lets python truncate to 1, touches page 2. */
function shrinkUnderMapping(seal: boolean): string {
  return `
import { Memfd } from "${MOD}";
const fd = Memfd.create("shrunk", { size: 8192 });
const map = fd.map();
${seal ? 'fd.seal("shrink");' : ""}
const out = new Deno.Command("python3", {
  args: ["-c", "import os, sys\\nos.truncate(sys.argv[1], 4096)", fd.path],
  stderr: "piped",
}).outputSync();
console.log(out.success ? "truncated" : "refused");
map.bytes[4096] = 1;
console.log("survived", map.bytes[4096], map.truncated);
`;
}

Deno.test("an unsealed memfd shrunk by another process no longer kills this one: the lost page is zeros", async () => {
  const out = await runDeno(shrinkUnderMapping(false), [
    "--allow-ffi",
    "--allow-read",
    "--allow-run",
  ]);
  assertEquals([out.code, out.signal], [0, null], out.stderr);
  // The write landed in the zero page that replaced the lost one.
  assertEquals(out.stdout.trim(), "truncated\nsurvived 1 true");
});

Deno.test('with the "shrink" seal the other process cannot cut it, and the touch is safe', async () => {
  const out = await runDeno(shrinkUnderMapping(true), [
    "--allow-ffi",
    "--allow-read",
    "--allow-run",
  ]);
  assertEquals([out.code, out.signal], [0, null], out.stderr);
  assertStringIncludes(out.stdout, "refused\nsurvived 1 false");
});

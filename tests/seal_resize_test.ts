/**
 * The "shrink" and "grow" seals against resizing from every direction:
 * resize(), O_TRUNC and fallocate from another process, writes past the end
 * (CONFORMANCE #30, #31).
 */

import { test } from "./support/leak_checked.ts";
import { assertEquals } from "@std/assert";
import { Memfd } from "../mod.ts";
import { assertRefusedWithoutEffect, memfdError } from "./support/assert.ts";
import { runPython } from "./support/run.ts";

const PAGE = 4096;

/** Runs a python snippet on the memfd's path; prints "ok" or the errno name. */
async function fromPython(path: string, body: string): Promise<string> {
  const out = await runPython(
    `
import errno, os, sys
path = sys.argv[1]
try:
${body.split("\n").map((line) => "    " + line).join("\n")}
    print("ok")
except OSError as e:
    print(errno.errorcode[e.errno])
`,
    [path],
  );
  return out.stdout.trim() || out.stderr;
}

test("#30 shrink seal: smaller is EPERM, same size and larger work, writes past the end grow", async () => {
  using fd = Memfd.create("shrink", { size: 2 * PAGE });
  fd.write(new Uint8Array([1, 2, 3]));
  fd.seal("shrink");
  await assertRefusedWithoutEffect(
    fd,
    () => fd.resize(PAGE),
    memfdError("EPERM", "'shrink' or 'grow' seal"),
  );
  await assertRefusedWithoutEffect(fd, () => fd.resize(0), memfdError("EPERM"));
  fd.resize(2 * PAGE);
  fd.resize(3 * PAGE);
  assertEquals(fd.size, 3 * PAGE);
  assertEquals(fd.write(new Uint8Array(10), 4 * PAGE), 10);
  assertEquals(fd.size, 4 * PAGE + 10);
});

test("#30 shrink seal: another process opening with O_TRUNC is EPERM", async () => {
  using fd = Memfd.create("shrink-otrunc", { size: PAGE });
  fd.seal("shrink");
  assertEquals(
    await fromPython(fd.path, "os.open(path, os.O_RDWR | os.O_TRUNC)"),
    "EPERM",
  );
  assertEquals(fd.size, PAGE);
});

test("#31 grow seal: larger is EPERM, fallocate larger is EPERM, smaller works", async () => {
  using fd = Memfd.create("grow", { size: 2 * PAGE });
  fd.seal("grow");
  await assertRefusedWithoutEffect(
    fd,
    () => fd.resize(3 * PAGE),
    memfdError("EPERM", "'grow'"),
  );
  assertEquals(
    await fromPython(
      fd.path,
      "os.posix_fallocate(os.open(path, os.O_RDWR), 0, 3 * 4096)",
    ),
    "EPERM",
  );
  assertEquals(fd.size, 2 * PAGE);
  fd.resize(PAGE);
  assertEquals(fd.size, PAGE);
});

/**
 * `resize()`: growing and shrinking, and the refusal (EBUSY) to cut into a
 * live mapping of the same file made in this process, however the file was
 * reached (the same Memfd, a dup(), Memfd.open(path), fromFd()).
 */

import { test } from "./support/leak_checked.ts";
import { assert, assertEquals } from "@std/assert";
import { Memfd } from "../mod.ts";
import {
  assertMemfdError,
  assertRefusedWithoutEffect,
  memfdError,
} from "./support/assert.ts";
import { run } from "./support/run.ts";

const PAGE = 4096;

test("resize grows with zeros and shrinks, and size follows", () => {
  using fd = Memfd.create("resize", { size: 10 });
  fd.write(new Uint8Array(10).fill(1));
  fd.resize(PAGE);
  assertEquals(fd.size, PAGE);
  const out = new Uint8Array(PAGE);
  fd.read(out);
  assert(out.subarray(10).every((b) => b === 0));
  fd.resize(5);
  assertEquals(fd.size, 5);
  fd.resize(0);
  assertEquals(fd.size, 0);
});

const busy = memfdError("EBUSY", "unmap it first");

test("shrinking under a live shared mapping is EBUSY and changes nothing; after unmap it works", async () => {
  using fd = Memfd.create("shrink-busy", { size: 2 * PAGE });
  const map = fd.map();
  map.bytes[2 * PAGE - 1] = 7;
  await assertRefusedWithoutEffect(fd, () => fd.resize(PAGE), busy);
  await assertRefusedWithoutEffect(fd, () => fd.resize(2 * PAGE - 1), busy);
  await assertRefusedWithoutEffect(fd, () => fd.resize(0), busy);
  assertEquals(map.bytes[2 * PAGE - 1], 7, "still safely readable");
  fd.resize(2 * PAGE); // not a cut
  fd.resize(3 * PAGE); // growing never cuts
  map.unmap();
  fd.resize(PAGE);
  assertEquals(fd.size, PAGE);
});

test("private and ring mappings block a shrink too", () => {
  using fd = Memfd.create("shrink-busy-kinds", { size: 2 * PAGE });
  const priv = fd.map({ access: "private" });
  assertMemfdError(() => fd.resize(PAGE), "EBUSY");
  priv.unmap();
  const ring = fd.mapRing();
  assertMemfdError(() => fd.resize(PAGE), "EBUSY");
  ring.unmap();
  fd.resize(PAGE);
});

test("only the mapped range counts: cutting below its end is EBUSY, above is fine", () => {
  using fd = Memfd.create("window-busy", { size: 4 * PAGE });
  using map = fd.map({ offset: PAGE, length: PAGE });
  assertEquals(map.byteLength, PAGE);
  fd.resize(2 * PAGE);
  assertMemfdError(() => fd.resize(2 * PAGE - 1), "EBUSY");
  assertEquals(fd.size, 2 * PAGE);
});

test("the refusal follows the inode: through a dup, a /proc reopen and an adopted fd", () => {
  using fd = Memfd.create("inode-busy", { size: 2 * PAGE });
  using dup = fd.dup();
  using reopened = Memfd.open(fd.path, { write: true });
  using adopted = Memfd.fromFd(fd.fd, { owned: false });
  const map = reopened.map();
  for (const other of [fd, dup, reopened, adopted]) {
    assertMemfdError(() => other.resize(PAGE), "EBUSY");
  }
  assertEquals(fd.size, 2 * PAGE);
  map.unmap();
  dup.resize(PAGE);
  assertEquals(reopened.size, PAGE);
});

test("the refusal outlives the fd that made the mapping", () => {
  const fd = Memfd.create("closed-busy", { size: 2 * PAGE });
  using dup = fd.dup();
  using map = fd.map();
  fd.close();
  assertMemfdError(() => dup.resize(0), "EBUSY");
  map.bytes[2 * PAGE - 1] = 1;
});

test("a mapping of one memfd does not block resizing another", () => {
  using a = Memfd.create("busy-a", { size: 2 * PAGE });
  using b = Memfd.create("busy-b", { size: 2 * PAGE });
  using map = a.map();
  b.resize(0);
  assertEquals(b.size, 0);
  assertMemfdError(() => a.resize(0), "EBUSY");
  assertEquals(map.byteLength, 2 * PAGE);
});

test("another process can still shrink an unsealed memfd; a shrink seal stops it", async () => {
  // The library can only guard its own process: this documents the limit
  // that DESIGN.md states, and the seal that closes it.
  using fd = Memfd.create("foreign-shrink", { size: 2 * PAGE });
  const shrink = async () => (await run("truncate", ["-s", "0", fd.path])).code;
  assertEquals(await shrink(), 0);
  assertEquals(fd.size, 0);
  fd.resize(PAGE);
  fd.seal("shrink");
  assert((await shrink()) !== 0);
  assertEquals(fd.size, PAGE);
});

/**
 * `map()`: shared and private mappings, ranges the library must refuse
 * (CONFORMANCE #38–#40), large mappings (#42), sync, and stale views after
 * unmap.
 */

import { test } from "./support/leak_checked.ts";
import { assert, assertEquals, assertThrows } from "@std/assert";
import { Memfd } from "../mod.ts";
import {
  assertMemfdError,
  assertRefusedWithoutEffect,
  memfdError,
  rangeError,
} from "./support/assert.ts";
import { mappingsOf } from "./support/proc.ts";

const PAGE = 4096;

test("a shared mapping and read()/write() see each other's bytes", () => {
  using fd = Memfd.create("shared", { size: 2 * PAGE });
  using map = fd.map();
  assertEquals(map.byteLength, 2 * PAGE);
  assertEquals(map.bytes.length, 2 * PAGE);
  assertEquals(map.buffer.byteLength, 2 * PAGE);
  assertEquals(map.access, "shared");
  assertEquals(map.offset, 0);
  assertEquals(map.unmapped, false);
  map.bytes.set([1, 2, 3], PAGE - 1);
  const out = new Uint8Array(3);
  fd.read(out, PAGE - 1);
  assertEquals(out, new Uint8Array([1, 2, 3]));
  fd.write(new Uint8Array([9, 8]), 10);
  assertEquals(map.bytes.subarray(10, 12), new Uint8Array([9, 8]));
});

test("two shared mappings of one memfd are the same memory", () => {
  using fd = Memfd.create("two-maps", { size: PAGE });
  using a = fd.map();
  using b = fd.map();
  a.bytes[100] = 42;
  assertEquals(b.bytes[100], 42);
  new DataView(b.buffer).setFloat64(8, Math.PI, true);
  assertEquals(new DataView(a.buffer).getFloat64(8, true), Math.PI);
});

test("offset and length select a page-aligned window of the file", () => {
  using fd = Memfd.create("window", { size: 4 * PAGE });
  fd.write(new Uint8Array([7]), 2 * PAGE);
  using map = fd.map({ offset: 2 * PAGE, length: PAGE });
  assertEquals(map.offset, 2 * PAGE);
  assertEquals(map.byteLength, PAGE);
  assertEquals(map.bytes[0], 7);
  using rest = fd.map({ offset: PAGE });
  assertEquals(rest.byteLength, 3 * PAGE, "length defaults to the rest");
  assertEquals(rest.bytes[PAGE], 7);
});

test("a length that is not a page multiple maps exactly that many bytes", () => {
  using fd = Memfd.create("odd-length", { size: 3 * PAGE });
  using map = fd.map({ length: 100 });
  assertEquals(map.byteLength, 100);
  using tail = fd.map({ offset: PAGE, length: PAGE + 1 });
  assertEquals(tail.byteLength, PAGE + 1);
});

test("populate: true maps the same bytes, already faulted in", () => {
  using fd = Memfd.create("populate", { size: PAGE });
  fd.write(new Uint8Array([5]));
  using map = fd.map({ populate: true });
  assertEquals(map.bytes[0], 5);
});

test("a private mapping is copy-on-write: the memfd and shared mappings stay unchanged", () => {
  using fd = Memfd.create("cow", { size: PAGE });
  fd.write(new Uint8Array([1, 2, 3]));
  using shared = fd.map();
  using priv = fd.map({ access: "private" });
  assertEquals(priv.access, "private");
  assertEquals(priv.bytes.subarray(0, 3), new Uint8Array([1, 2, 3]));
  priv.bytes.fill(0xaa);
  assertEquals(shared.bytes.subarray(0, 3), new Uint8Array([1, 2, 3]));
  const out = new Uint8Array(3);
  fd.read(out);
  assertEquals(out, new Uint8Array([1, 2, 3]));
});

test("a private mapping of a read-only reopen is writable; a shared one is EACCES", () => {
  using fd = Memfd.create("ro-maps", { size: PAGE });
  using ro = Memfd.open(fd.path);
  using priv = ro.map({ access: "private" });
  priv.bytes[0] = 1;
  assertMemfdError(() => ro.map(), "EACCES", "write: true");
  using rw = Memfd.open(fd.path, { write: true });
  using shared = rw.map();
  shared.bytes[1] = 2;
  const out = new Uint8Array(2);
  fd.read(out);
  assertEquals(out, new Uint8Array([0, 2]));
});

test("sync() flushes without error, for shared and private mappings, and is a no-op once unmapped", () => {
  using fd = Memfd.create("sync", { size: 2 * PAGE });
  const shared = fd.map();
  shared.bytes[PAGE] = 3;
  shared.sync();
  const out = new Uint8Array(1);
  fd.read(out, PAGE);
  assertEquals(out[0], 3);
  using priv = fd.map({ access: "private", offset: PAGE });
  priv.sync();
  shared.unmap();
  shared.sync();
});

test("#38 #40 an empty range is a RangeError: length 0, an empty memfd, offset at the end", async () => {
  using fd = Memfd.create("empty-range", { size: PAGE });
  await assertRefusedWithoutEffect(
    fd,
    () => fd.map({ length: 0 }),
    rangeError("empty"),
  );
  await assertRefusedWithoutEffect(
    fd,
    () => fd.map({ offset: PAGE }),
    rangeError("4096 bytes"),
  );
  using empty = Memfd.create("empty-file");
  assertThrows(() => empty.map(), RangeError);
  assertThrows(() => empty.map({ access: "private" }), RangeError);
  assertThrows(() => empty.mapRing(), RangeError);
  assertEquals(await mappingsOf("empty-file"), []);
});

test("#39 a range past the end of file is a RangeError naming SIGBUS, never a mapping", async () => {
  using fd = Memfd.create("past-eof", { size: PAGE });
  for (
    const options of [
      { length: 2 * PAGE },
      { length: PAGE + 1 },
      { offset: PAGE, length: PAGE },
      { offset: 2 * PAGE },
      { length: 2 * PAGE, access: "private" as const },
      { length: Number.MAX_SAFE_INTEGER },
    ]
  ) {
    await assertRefusedWithoutEffect(
      fd,
      () => fd.map(options),
      rangeError("SIGBUS"),
    );
  }
});

test("an offset that is not page-aligned is the kernel's EINVAL, and nothing is mapped", async () => {
  using fd = Memfd.create("unaligned", { size: 2 * PAGE });
  for (const offset of [1, 100, PAGE - 1, PAGE + 512]) {
    await assertRefusedWithoutEffect(
      fd,
      () => fd.map({ offset, length: 10 }),
      memfdError("EINVAL", "multiple of the page size"),
    );
  }
});

test("#42 two 2 GiB shared mappings of one memfd: the second sees writes through the first", () => {
  const size = 2 ** 31;
  using fd = Memfd.create("two-gib", { size });
  using a = fd.map();
  using b = fd.map();
  assertEquals(a.byteLength, size);
  // Touch only a few pages: the memfd stays sparse.
  for (const i of [0, PAGE, size / 2 + 7, size - 1]) {
    a.bytes[i] = (i % 251) + 1;
    assertEquals(b.bytes[i], (i % 251) + 1, `byte ${i}`);
  }
  b.bytes[size - 2] = 77;
  assertEquals(a.bytes[size - 2], 77);
});

test("unmap() detaches every view: length 0, element reads undefined, writes ignored, methods throw, no crash", () => {
  using fd = Memfd.create("detach", { size: 2 * PAGE });
  const map = fd.map();
  const buffer = map.buffer;
  const bytes = map.bytes;
  const window = new Uint8Array(map.buffer, 100, 50);
  const sub = map.bytes.subarray(PAGE);
  const floats = new Float64Array(map.buffer);
  const view = new DataView(map.buffer);
  bytes[0] = 1;
  map.unmap();
  assert(map.unmapped);
  assertEquals(map.byteLength, 0);
  assertEquals(map.bytes.length, 0);
  assertEquals(map.buffer.byteLength, 0);
  assert(buffer.detached);
  for (const stale of [bytes, window, sub, floats]) {
    assertEquals(stale.length, 0);
    assertEquals(stale.byteLength, 0);
    assertEquals(stale[0], undefined);
    stale[0] = 5; // ignored: a detached view has no elements
    assertEquals(stale[0], undefined);
  }
  // Methods throw a TypeError on detached views: an exception, not a fault.
  assertThrows(() => bytes.fill(3), TypeError);
  assertThrows(() => view.getUint8(0), TypeError);
  assertThrows(() => view.setUint8(0, 1), TypeError);
  assertThrows(() => bytes.set([1]), TypeError);
  map.unmap(); // idempotent
  const out = new Uint8Array(1);
  fd.read(out);
  assertEquals(out[0], 1, "the memfd is untouched by the stale writes");
});

test("stale views passed back to read/write/writeAsync transfer nothing", async () => {
  using fd = Memfd.create("stale-io", { size: PAGE });
  const map = fd.map();
  const stale = map.bytes;
  map.unmap();
  assertEquals(fd.write(stale), 0);
  assertEquals(fd.read(stale), 0);
  assertEquals(await fd.writeAsync(stale), 0);
  assertEquals(await fd.readAsync(stale), 0);
  assertEquals(fd.size, PAGE);
});

test("views of private mappings are detached too", () => {
  using fd = Memfd.create("detach-private", { size: PAGE });
  const map = fd.map({ access: "private" });
  const bytes = map.bytes;
  map.unmap();
  assertEquals(bytes.length, 0);
});

test("unmap() really unmaps: the kernel's map of the process loses the range", async () => {
  using fd = Memfd.create("really-unmapped", { size: 3 * PAGE });
  const before = await mappingsOf("really-unmapped");
  const a = fd.map();
  const b = fd.map({ access: "private", offset: PAGE });
  assertEquals((await mappingsOf("really-unmapped")).length, before.length + 2);
  a.unmap();
  b.unmap();
  assertEquals(await mappingsOf("really-unmapped"), before);
});

test("using disposes the mapping at the end of the block", async () => {
  using fd = Memfd.create("using-map", { size: PAGE });
  let bytes: Uint8Array;
  {
    using map = fd.map();
    bytes = map.bytes;
    assertEquals(bytes.length, PAGE);
  }
  assertEquals(bytes.length, 0);
  assertEquals(await mappingsOf("using-map"), []);
});

test("a mapping outlives the memfd's close and keeps the file alive", () => {
  const fd = Memfd.create("outlive", { size: PAGE });
  using dup = fd.dup();
  using map = fd.map();
  fd.close();
  map.bytes[0] = 9;
  const out = new Uint8Array(1);
  dup.read(out);
  assertEquals(out[0], 9);
});

test("unmap() during an async write from the mapping: views detach at once, the write completes", async () => {
  using src = Memfd.create("pinned-src", { size: 1 << 20 });
  using dst = Memfd.create("pinned-dst");
  const map = src.map();
  map.bytes.fill(5);
  const pending = dst.writeAsync(map.bytes);
  map.unmap();
  assertEquals(map.bytes.length, 0, "detached before the write finished");
  assertEquals(await pending, 1 << 20);
  const out = new Uint8Array(1 << 20);
  dst.read(out);
  assert(out.every((b) => b === 5), "the write read mapped memory throughout");
  assertEquals(await mappingsOf("pinned-src"), [], "unmapped once it finished");
});

test("a mapping's buffer carries nothing a program can reach or swap", () => {
  // The record that keeps pages mapped under a running call is a private
  // field: replacing it would let unmap() pull pages from under the call.
  using fd = Memfd.create("sealed-pins", { size: 4096 });
  using map = fd.map();
  assertEquals(Reflect.ownKeys(map.buffer), []);
  assertEquals(Object.getOwnPropertySymbols(map.buffer), []);
});

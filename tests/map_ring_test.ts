/**
 * `mapRing()`: one region mapped twice, back to back, so that byte `i` and
 * byte `i + length` are the same memory.
 */

import { test } from "./support/leak_checked.ts";
import { assertEquals, assertThrows } from "@std/assert";
import { Memfd } from "../mod.ts";
import {
  assertMemfdError,
  assertRefusedWithoutEffect,
  memfdError,
  rangeError,
} from "./support/assert.ts";
import { mappingsOf } from "./support/proc.ts";

const PAGE = 4096;

test("mapRing aliases bytes[i] and bytes[i + length], written from either half", () => {
  const length = 4 * PAGE;
  using fd = Memfd.create("ring", { size: length });
  using ring = fd.mapRing();
  assertEquals(ring.byteLength, 2 * length);
  assertEquals(ring.bytes.length, 2 * length);
  assertEquals(ring.access, "shared");
  for (const i of [0, 1, PAGE - 1, PAGE, 2 * PAGE + 17, length - 1]) {
    ring.bytes[i] = 0x11;
    assertEquals(ring.bytes[i + length], 0x11, `lower ${i}`);
    ring.bytes[i + length] = 0x22;
    assertEquals(ring.bytes[i], 0x22, `upper ${i}`);
  }
});

test("a write that wraps the end of the region reads back in one piece", () => {
  const length = PAGE;
  using fd = Memfd.create("ring-wrap", { size: length });
  using ring = fd.mapRing();
  const message = new TextEncoder().encode("wrapping across the seam");
  const start = length - 10;
  ring.bytes.set(message, start);
  assertEquals(
    ring.bytes.subarray(0, message.length - 10),
    message.subarray(10),
  );
  // The memfd holds the wrapped bytes at the start and the end.
  const head = new Uint8Array(message.length - 10);
  fd.read(head, 0);
  assertEquals(head, message.subarray(10));
});

test("the ring shows the memfd's content in both halves, and writes reach the memfd", () => {
  using fd = Memfd.create("ring-file", { size: 2 * PAGE });
  fd.write(new Uint8Array([1, 2, 3]), PAGE);
  using ring = fd.mapRing();
  assertEquals(ring.bytes.subarray(PAGE, PAGE + 3), new Uint8Array([1, 2, 3]));
  assertEquals(
    ring.bytes.subarray(3 * PAGE, 3 * PAGE + 3),
    new Uint8Array([1, 2, 3]),
  );
  ring.bytes[3 * PAGE + 5] = 9;
  const out = new Uint8Array(1);
  fd.read(out, PAGE + 5);
  assertEquals(out[0], 9);
});

test("a ring over a window of the file (offset and length)", () => {
  using fd = Memfd.create("ring-window", { size: 4 * PAGE });
  fd.write(new Uint8Array([5]), 2 * PAGE);
  using ring = fd.mapRing({ offset: 2 * PAGE, length: PAGE });
  assertEquals(ring.offset, 2 * PAGE);
  assertEquals(ring.byteLength, 2 * PAGE);
  assertEquals(ring.bytes[0], 5);
  assertEquals(ring.bytes[PAGE], 5);
});

test("a ring length that is not a page multiple is a RangeError, and nothing is mapped", async () => {
  using fd = Memfd.create("ring-odd", { size: 3 * PAGE });
  for (const length of [1, 100, PAGE + 1, 2 * PAGE - 1]) {
    await assertRefusedWithoutEffect(
      fd,
      () => fd.mapRing({ length }),
      rangeError("multiple of the page size"),
    );
  }
  using odd = Memfd.create("ring-odd-file", { size: PAGE + 100 });
  assertThrows(() => odd.mapRing(), RangeError, "multiple of the page size");
});

test("a ring past the end of file, or an empty one, is a RangeError", async () => {
  using fd = Memfd.create("ring-eof", { size: PAGE });
  await assertRefusedWithoutEffect(
    fd,
    () => fd.mapRing({ length: 2 * PAGE }),
    rangeError("SIGBUS"),
  );
  await assertRefusedWithoutEffect(
    fd,
    () => fd.mapRing({ offset: PAGE, length: PAGE }),
    rangeError("SIGBUS"),
  );
  await assertRefusedWithoutEffect(
    fd,
    () => fd.mapRing({ length: 0 }),
    rangeError("empty"),
  );
});

test("a ring at an unaligned offset is EINVAL and leaves no half-made mapping", async () => {
  using fd = Memfd.create("ring-unaligned", { size: 3 * PAGE });
  await assertRefusedWithoutEffect(
    fd,
    () => fd.mapRing({ offset: 100, length: PAGE }),
    memfdError("EINVAL"),
  );
});

test("unmap() of a ring detaches its views and removes both halves", async () => {
  using fd = Memfd.create("ring-unmap", { size: PAGE });
  const before = await mappingsOf("ring-unmap");
  const ring = fd.mapRing();
  const bytes = ring.bytes;
  assertEquals((await mappingsOf("ring-unmap")).length, before.length + 2);
  ring.sync();
  ring.unmap();
  assertEquals(bytes.length, 0);
  assertEquals(ring.byteLength, 0);
  assertEquals(await mappingsOf("ring-unmap"), before);
});

test("a ring needs a writable, write-unsealed memfd", () => {
  using fd = Memfd.create("ring-rules", { size: PAGE });
  using ro = Memfd.open(fd.path);
  assertMemfdError(() => ro.mapRing(), "EACCES", "write: true");
  fd.seal("write");
  assertMemfdError(() => fd.mapRing(), "EPERM", "sealed against writes");
});

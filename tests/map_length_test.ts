import { test } from "./support/leak_checked.ts";
import { assertEquals, assertThrows } from "@std/assert";
import { Memfd } from "../mod.ts";

// map() without a length is sized natively (one fstat for range and size);
// these pin down that it behaves as the size query it replaced did.

test("map() without a length maps the rest of the file", () => {
  using fd = Memfd.create("rest", { size: 3 * 4096 + 100 });
  using whole = fd.map();
  assertEquals(whole.byteLength, 3 * 4096 + 100);
  using tail = fd.map({ offset: 4096 });
  assertEquals(tail.byteLength, 2 * 4096 + 100);
  assertEquals(tail.offset, 4096);
  tail.bytes[0] = 9;
  assertEquals(whole.bytes[4096], 9);
});

test("map() from the end or of an empty file is a RangeError", () => {
  using empty = Memfd.create("empty");
  assertThrows(
    () => empty.map(),
    RangeError,
    "cannot map 'empty' from offset 0: the file is 0 bytes",
  );
  using fd = Memfd.create("short", { size: 4096 });
  assertThrows(
    () => fd.map({ offset: 4096 }),
    RangeError,
    "from offset 4096: the file is 4096 bytes",
  );
  assertThrows(() => fd.map({ offset: 8192 }), RangeError, "4096 bytes");
});

test("map() with a length and mapRing() are unchanged", () => {
  using fd = Memfd.create("sized", { size: 8192 });
  using part = fd.map({ length: 100 });
  assertEquals(part.byteLength, 100);
  assertThrows(() => fd.map({ length: 0 }), RangeError, "empty range");
  assertThrows(() => fd.map({ length: 8193 }), RangeError, "SIGBUS");
  using ring = fd.mapRing();
  assertEquals(ring.byteLength, 2 * 8192);
});

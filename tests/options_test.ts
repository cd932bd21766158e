/**
 * Every options bag refuses keys it does not know, naming the key, the
 * valid ones and the likeliest meant, before any system call; and the
 * sendTo error for a too-long socket path names the memfd.
 */
import { test } from "./support/leak_checked.ts";
import { assertEquals, assertRejects, assertThrows } from "@std/assert";
import { Memfd, MemfdError, MemfdListener, RingBuffer } from "../mod.ts";
import { assertNoMemfdLeaks, noMemfdLeaks } from "../testing.ts";
import { assertNoFdLeak } from "./support/assert.ts";

test("Memfd.create({ length }) is a TypeError suggesting 'size', and creates nothing", async () => {
  await assertNoFdLeak(() => {
    assertThrows(
      () => Memfd.create("x", { length: 4096 } as never),
      TypeError,
      "Memfd.create options: unknown option 'length' (valid: 'size', 'cloexec', " +
        "'allowSealing', 'executable', 'hugetlb'); did you mean 'size'?",
    );
  });
  assertThrows(
    () => Memfd.create("x", { allowSeals: false } as never),
    TypeError,
    "did you mean 'allowSealing'?",
  );
  assertThrows(
    () => Memfd.create("x", null as never),
    TypeError,
    "Memfd.create options must be an object, got null",
  );
});

test("map({ mode }) suggests 'access'; no shared mapping is made by mistake", () => {
  using fd = Memfd.create("m", { size: 4096 });
  assertThrows(
    () => fd.map({ mode: "private" } as never),
    TypeError,
    "map options: unknown option 'mode' (valid: 'offset', 'length', 'access', 'populate'); did you mean 'access'?",
  );
  assertThrows(
    () => fd.map({ lenght: 1 } as never),
    TypeError,
    "did you mean 'length'?",
  );
  assertThrows(
    () => fd.mapRing({ size: 4096 } as never),
    TypeError,
    "did you mean 'length'?",
  );
});

test("fromFd, open and the leak helper check their options too", async () => {
  using fd = Memfd.create("o");
  assertThrows(
    () => Memfd.fromFd(fd.fd, { own: false } as never),
    TypeError,
    "Memfd.fromFd options: unknown option 'own' (valid: 'owned'); did you mean 'owned'?",
  );
  assertThrows(
    () => Memfd.open(fd.path, { writable: true } as never),
    TypeError,
    "did you mean 'write'?",
  );
  await assertRejects(
    () => assertNoMemfdLeaks(() => {}, { clean: false } as never),
    TypeError,
    "did you mean 'cleanup'?",
  );
  assertThrows(
    () => noMemfdLeaks(() => {}, { cleanUp: false } as never),
    TypeError,
    "noMemfdLeaks options: unknown option 'cleanUp' (valid: 'cleanup'); did you mean 'cleanup'?",
  );
});

test("an unknown key far from every valid one gets no guess", () => {
  assertThrows(
    () => Memfd.create("x", { zzzzzz: 1 } as never),
    TypeError,
    "unknown option 'zzzzzz' (valid: 'size', 'cloexec', 'allowSealing', 'executable', 'hugetlb')",
  );
  const e = assertThrows(() => Memfd.create("x", { zzzzzz: 1 } as never));
  assertEquals((e as Error).message.includes("did you mean"), false);
});

test("stream, from and wait options are strict too", async () => {
  using fd = Memfd.create("s");
  assertThrows(
    () => fd.writableStream({ pos: 1 } as never),
    TypeError,
    "did you mean 'position'?",
  );
  await assertRejects(
    () => Memfd.from(new Uint8Array(1), { nam: "x" } as never),
    TypeError,
    "did you mean 'name'?",
  );
  using ring = RingBuffer.create(4096);
  await assertRejects(
    () => ring.waitWritable({ sigal: undefined } as never),
    TypeError,
    "did you mean 'signal'?",
  );
});

test("sendTo a too-long socket path names the memfd and the limit", async () => {
  using fd = Memfd.create("named");
  const path = `/tmp/${"x".repeat(200)}.sock`;
  const e = await assertRejects(() => fd.sendTo(path), MemfdError);
  assertEquals([e.code, e.operation], ["ENAMETOOLONG", "Memfd.sendTo"]);
  assertEquals(
    e.message.startsWith(
      `Memfd.sendTo: cannot send memfd 'named' to ${path}: `,
    ),
    true,
    e.message,
  );
  const l = assertThrows(() => MemfdListener.listen(path), MemfdError);
  assertEquals(l.code, "ENAMETOOLONG");
});

/**
 * RingBuffer: edges, wrap-around, misuse, opening what is not a ring, and
 * a producer in a child deno feeding a consumer here.
 */
import { test } from "./support/leak_checked.ts";
import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  assertThrows,
} from "@std/assert";
import { Memfd, MemfdError, RingBuffer } from "../mod.ts";
import { dm_live_mappings, dm_page_size } from "../src/native.ts";
import { ensureLoaded } from "../src/loader/library.ts";
import { MOD, startDeno } from "./support/run.ts";
import { sleepers } from "./support/ring.ts";

ensureLoaded();
const PAGE = dm_page_size();

/** Byte `i` of the test stream. */
function streamByte(i: number): number {
  return (Math.imul(i, 2654435761) >>> 24) ^ (i & 0xff);
}

test("create rounds the capacity up to pages; a new ring is empty", () => {
  using ring = RingBuffer.create(1);
  assertEquals(ring.capacity, PAGE);
  assertEquals(ring.memfd.size, 2 * PAGE);
  assertEquals([ring.available, ring.free], [0, PAGE]);
  assertEquals(ring.readable().length, 0);
  assertEquals(ring.writable().length, PAGE);
  assertEquals(ring.read(new Uint8Array(10)), 0);
  using exact = RingBuffer.create(3 * PAGE);
  assertEquals(exact.capacity, 3 * PAGE);
});

test("create refuses capacities it cannot honour", () => {
  assertThrows(() => RingBuffer.create(0), RangeError);
  assertThrows(() => RingBuffer.create(-1), RangeError);
  assertThrows(() => RingBuffer.create(1.5), RangeError);
  assertThrows(() => RingBuffer.create(2 ** 30 + 1), RangeError);
  // deno-lint-ignore no-explicit-any
  assertThrows(() => RingBuffer.create("4096" as any), TypeError);
});

test("full and empty edges", () => {
  using ring = RingBuffer.create(PAGE);
  const data = new Uint8Array(PAGE + 100).map((_, i) => streamByte(i));
  assertEquals(ring.write(data), PAGE);
  assertEquals([ring.available, ring.free], [PAGE, 0]);
  assertEquals(ring.writable().length, 0);
  assertEquals(ring.write(data), 0);
  ring.commit(0);
  assertThrows(() => ring.commit(1), RangeError);

  const out = new Uint8Array(PAGE + 1);
  assertEquals(ring.read(out), PAGE);
  assertEquals(out.subarray(0, PAGE), data.subarray(0, PAGE));
  assertEquals([ring.available, ring.free], [0, PAGE]);
  assertEquals(ring.read(out), 0);
  ring.consume(0);
  assertThrows(() => ring.consume(1), RangeError);

  // Full again, after the indices moved: full and empty still differ.
  assertEquals(ring.write(data.subarray(0, PAGE)), PAGE);
  assertEquals(ring.free, 0);
  assertEquals(ring.readable(), data.subarray(0, PAGE));
});

test("views stay contiguous across the wrap point, and the data is right", () => {
  using ring = RingBuffer.create(PAGE);
  const cap = ring.capacity;
  let written = 0;
  let read = 0;
  // Odd step sizes walk the indices around both ends many times (2 *
  // capacity is the index modulus).
  const steps = [1, 7, cap - 3, 333, cap, 4093, 2, cap / 2 + 5];
  for (let round = 0; round < 200; round++) {
    const want = steps[round % steps.length]!;
    const space = ring.writable();
    assertEquals(space.length, ring.free);
    const n = Math.min(want, space.length);
    for (let i = 0; i < n; i++) space[i] = streamByte(written + i);
    ring.commit(n);
    written += n;

    const pending = ring.readable();
    assertEquals(pending.length, written - read);
    const take = round % 3 === 0 ? pending.length : pending.length >> 1;
    for (let i = 0; i < take; i++) {
      if (pending[i] !== streamByte(read + i)) {
        throw new Error(`byte ${read + i} is wrong in round ${round}`);
      }
    }
    ring.consume(take);
    read += take;
  }
  assert(written > 20 * cap, `only ${written} bytes went through`);
});

test("write/read copy across the wrap point", () => {
  using ring = RingBuffer.create(PAGE);
  const cap = ring.capacity;
  ring.write(new Uint8Array(cap - 10));
  ring.read(new Uint8Array(cap - 10));
  const data = new Uint8Array(100).map((_, i) => i + 1);
  assertEquals(ring.write(data), 100); // 10 bytes before the end, 90 after
  const out = new Uint8Array(100);
  assertEquals(ring.read(out), 100);
  assertEquals(out, data);
});

test("misuse: committing or consuming more than there is, or not a count", () => {
  using ring = RingBuffer.create(PAGE);
  assertThrows(() => ring.commit(PAGE + 1), RangeError, "free");
  ring.commit(10);
  assertThrows(() => ring.commit(PAGE - 9), RangeError);
  assertThrows(() => ring.consume(11), RangeError, "available");
  assertThrows(() => ring.commit(-1), RangeError);
  assertThrows(() => ring.commit(0.5), RangeError);
  assertThrows(() => ring.commit(NaN), RangeError);
  // deno-lint-ignore no-explicit-any
  assertThrows(() => ring.commit("1" as any), TypeError);
  // deno-lint-ignore no-explicit-any
  assertThrows(() => ring.write([1, 2] as any), TypeError);
  assertEquals(ring.available, 10);
});

test("close unmaps (views detach), closes its own memfd, and later use is EBADF", () => {
  const before = dm_live_mappings();
  const ring = RingBuffer.create(PAGE);
  const memfd = ring.memfd;
  const view = ring.writable();
  assertEquals(dm_live_mappings(), before + 2);
  ring.close();
  ring.close();
  assert(ring.closed);
  assertEquals(view.length, 0);
  assert(memfd.closed);
  assertEquals(dm_live_mappings(), before);
  const e = assertThrows(() => ring.available, MemfdError);
  assertEquals(e.code, "EBADF");
  assertThrows(() => ring.writable(), MemfdError);
  assertThrows(() => ring.commit(0), MemfdError);
});

test("open: the other side of a ring, through a writable reopened memfd", () => {
  using producer = RingBuffer.create(2 * PAGE);
  using fd = Memfd.open(producer.memfd.path, { write: true });
  using consumer = RingBuffer.open(fd);
  assertEquals(consumer.capacity, 2 * PAGE);
  producer.write(new TextEncoder().encode("across"));
  assertEquals(new TextDecoder().decode(consumer.readable()), "across");
  consumer.consume(6);
  assertEquals(producer.free, 2 * PAGE);
  consumer.close();
  assert(!fd.closed, "open() leaves the memfd to its owner");
});

test("open: a memfd that is not a ring is EINVAL, and nothing stays mapped", () => {
  let before = dm_live_mappings();
  const notRing = (fd: Memfd, pattern: RegExp) => {
    const e = assertThrows(() => RingBuffer.open(fd), MemfdError);
    assertEquals(e.code, "EINVAL");
    assertMatch(e.message, /is not a ring buffer/);
    assertMatch(e.message, pattern);
    assertEquals(dm_live_mappings(), before);
  };
  using zeros = Memfd.create("zeros", { size: 2 * PAGE });
  notRing(zeros, /but 0x0; was it made by RingBuffer\.create\?/);
  using small = Memfd.create("small", { size: PAGE });
  notRing(small, /size/);
  using odd = Memfd.create("odd", { size: 2 * PAGE + 1 });
  notRing(odd, /size/);

  // A real header with the wrong version, or a size that disagrees.
  using ring = RingBuffer.create(PAGE);
  before += 2;
  const header = new Uint8Array(16);
  ring.memfd.read(header);
  using copy = Memfd.create("copy", { size: 3 * PAGE });
  copy.write(header);
  notRing(
    copy,
    new RegExp(
      `header says ${PAGE} bytes of data, its size leaves ${2 * PAGE}`,
    ),
  );
  copy.write(new Uint8Array([1, 0, 0, 0]), 4);
  notRing(
    copy,
    /format version 1, made by an older deno_memfd; this one reads version 2/,
  );
  copy.write(new Uint8Array([3, 0, 0, 0]), 4);
  notRing(copy, /format version 3, made by a newer deno_memfd/);

  // A consistent header, but more than 1 GiB of data: indices would pass
  // 2^31 after 2 GiB of traffic (the file is sparse, nothing is touched).
  const bigCap = 2 ** 30 + PAGE;
  using big = Memfd.create("big", { size: PAGE + bigCap });
  big.write(
    new Uint8Array(new Int32Array([0x474e4952, 2, bigCap, PAGE]).buffer),
  );
  notRing(big, new RegExp(`capacity \\(${bigCap} bytes\\) is above`));

  using readOnly = Memfd.open(ring.memfd.path);
  const e = assertThrows(() => RingBuffer.open(readOnly), MemfdError);
  assertEquals(e.code, "EACCES");
  assertEquals(dm_live_mappings(), before);
  // deno-lint-ignore no-explicit-any
  assertThrows(() => RingBuffer.open({} as any), TypeError);
});

test("indices that another process corrupted are an error, not a wild view", () => {
  using ring = RingBuffer.create(PAGE);
  ring.memfd.write(new Uint8Array([0xff, 0xff, 0xff, 0x7f]), 64); // head
  const e = assertThrows(() => ring.readable(), MemfdError);
  assertMatch(e.message, /corrupt/);
  assertThrows(() => ring.available, MemfdError);
});

test("waitReadable / waitWritable sleep off the event loop until the other side moves", async () => {
  using ring = RingBuffer.create(PAGE);
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  try {
    const readable = ring.waitReadable();
    while (ticks < 3) await new Promise((r) => setTimeout(r, 1));
    assertEquals(sleepers(ring), [0, 1]);
    ring.write(new Uint8Array([1, 2, 3]));
    assertEquals(await readable, 3);
    assertEquals(sleepers(ring), [0, 0]);
    // Nothing to wait for: resolves at once.
    assertEquals(await ring.waitReadable(), 3);
    assertEquals(await ring.waitWritable(), PAGE - 3);

    ring.write(new Uint8Array(PAGE));
    const writable = ring.waitWritable();
    const start = ticks;
    while (ticks < start + 3) await new Promise((r) => setTimeout(r, 1));
    assertEquals(sleepers(ring), [1, 0]);
    ring.consume(10);
    assertEquals(await writable, 10);
  } finally {
    clearInterval(timer);
  }
});

test("closing a ring rejects its pending waits and withdraws them from the header", async () => {
  using producer = RingBuffer.create(PAGE);
  using fd = Memfd.open(producer.memfd.path, { write: true });
  const consumer = RingBuffer.open(fd);
  const waiting = consumer.waitReadable();
  await new Promise((r) => setTimeout(r, 1));
  assertEquals(sleepers(producer), [0, 1]);
  consumer.close();
  const e = await assertRejects(() => waiting, MemfdError);
  assertEquals(e.code, "EBADF");
  assertEquals(sleepers(producer), [0, 0]);
  await assertRejects(() => consumer.waitWritable(), MemfdError);
  producer.write(new Uint8Array(1));
});

test("32 MiB from a producer in a child deno, checksummed", async () => {
  const TOTAL = 32 * 1024 * 1024;
  using ring = RingBuffer.create(1 << 20);
  const producer = startDeno(
    `
    import { Memfd, RingBuffer } from "${MOD}";
    const [path, total] = [Deno.args[0], Number(Deno.args[1])];
    using fd = Memfd.open(path, { write: true });
    using ring = RingBuffer.open(fd);
    console.log("ready");
    let sent = 0;
    let sum = 0x811c9dc5;
    let x = 0x12345678;
    while (sent < total) {
      const space = ring.writable();
      if (space.length === 0) {
        await ring.waitWritable();
        continue;
      }
      // Uneven chunks, so the writes straddle the wrap point.
      const n = Math.min(space.length, total - sent, 65536 + (sent % 7919));
      for (let i = 0; i < n; i++) {
        x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
        const b = x & 0xff;
        space[i] = b;
        sum = Math.imul(sum ^ b, 16777619);
      }
      ring.commit(n);
      sent += n;
    }
    console.log(sent, sum >>> 0);
    `,
    ["--allow-ffi", "--allow-read", `--allow-write=${ring.memfd.path}`],
    [ring.memfd.path, String(TOTAL)],
  );
  assertEquals(await producer.readLine(), "ready");
  let received = 0;
  let sum = 0x811c9dc5;
  while (received < TOTAL) {
    const pending = ring.readable();
    if (pending.length === 0) {
      await ring.waitReadable();
      continue;
    }
    const n = Math.min(pending.length, 100003);
    for (let i = 0; i < n; i++) sum = Math.imul(sum ^ pending[i]!, 16777619);
    ring.consume(n);
    received += n;
  }
  const out = await producer.finish();
  assertEquals(out.stderr, "");
  assertEquals(out.stdout.trim(), `${TOTAL} ${sum >>> 0}`);
  assertEquals(ring.available, 0);
});

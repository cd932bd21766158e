/**
 * RingBuffer end of stream, a peer that went away, and waits cut short by
 * an AbortSignal or a timeout; the messages of a misused ring.
 */
import { test } from "./support/leak_checked.ts";
import {
  assert,
  assertEquals,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import { Memfd, MemfdError, RingBuffer } from "../mod.ts";
import { MOD, startDeno } from "./support/run.ts";
import { otherSide, sleepers } from "./support/ring.ts";

const PAGE = 4096;

test("end(): the consumer drains what is left, then waitReadable resolves 0", async () => {
  using producer = RingBuffer.create(PAGE);
  using consumer = otherSide(producer);
  producer.write(new Uint8Array([1, 2, 3]));
  producer.end();
  producer.end(); // idempotent
  assert(consumer.ended && producer.ended);
  assertEquals(await consumer.waitReadable(), 3);
  assertEquals(consumer.readable(), new Uint8Array([1, 2, 3]));
  consumer.consume(3);
  assertEquals(await consumer.waitReadable(), 0);
  assertEquals(await consumer.waitReadable(), 0);
  assertEquals(consumer.readable().length, 0);
});

test("end() wakes a consumer asleep in waitReadable", async () => {
  using producer = RingBuffer.create(PAGE);
  using consumer = otherSide(producer);
  const waiting = consumer.waitReadable();
  producer.end();
  assertEquals(await waiting, 0);
  assertEquals(sleepers(producer), [0, 0]);
});

test("writing after end() is EPIPE, naming end()", async () => {
  using ring = RingBuffer.create(PAGE);
  ring.end();
  for (
    const call of [
      () => ring.write(new Uint8Array(1)),
      () => ring.writable(),
      () => ring.commit(0),
    ]
  ) {
    const e = assertThrows(call, MemfdError);
    assertEquals(e.code, "EPIPE");
    assertStringIncludes(e.message, "called end()");
  }
  const e = await assertRejects(() => ring.waitWritable(), MemfdError);
  assertEquals(e.code, "EPIPE");
});

test("a producer in a child deno ends; the drain loop gets every byte", async () => {
  using ring = RingBuffer.create(PAGE);
  await using child = startDeno(
    `
    import { Memfd, RingBuffer } from "${MOD}";
    using fd = Memfd.open(Deno.args[0], { write: true });
    using ring = RingBuffer.open(fd);
    let sent = 0;
    while (sent < 100000) {
      if (ring.free === 0) await ring.waitWritable();
      sent += ring.write(new Uint8Array(Math.min(3000, 100000 - sent)).fill(7));
    }
    ring.end();
    `,
    ["--allow-ffi", "--allow-read", "--allow-write=/proc"],
    [ring.memfd.path],
  );
  // A producer that fails before it claims its role leaves no pid to
  // judge: its exit aborts the wait instead of leaving the test asleep.
  const failed = new AbortController();
  const exited = child.finish().then((outcome) => {
    if (outcome.code !== 0) failed.abort(new Error(outcome.stderr));
    return outcome;
  });
  let total = 0;
  while (await ring.waitReadable({ signal: failed.signal }) > 0) {
    const pending = ring.readable();
    assert(pending.every((b) => b === 7));
    total += pending.length;
    ring.consume(pending.length);
  }
  assertEquals(total, 100000);
  assertEquals((await exited).code, 0);
});

test("a producer that exits without end(): drained, then ECONNRESET naming its pid", async () => {
  using ring = RingBuffer.create(PAGE);
  await using child = startDeno(
    `
    import { Memfd, RingBuffer } from "${MOD}";
    using fd = Memfd.open(Deno.args[0], { write: true });
    using ring = RingBuffer.open(fd);
    ring.write(new Uint8Array([4, 5, 6]));
    `,
    ["--allow-ffi", "--allow-read", "--allow-write=/proc"],
    [ring.memfd.path],
  );
  const { pid } = child;
  assertEquals((await child.finish()).code, 0);
  assertEquals(await ring.waitReadable(), 3);
  ring.consume(3);
  const e = await assertRejects(() => ring.waitReadable(), MemfdError);
  assertEquals(e.code, "ECONNRESET");
  assertStringIncludes(e.message, `producer (pid ${pid}) exited`);
  assertStringIncludes(e.message, "without calling end()");
  assertEquals(sleepers(ring), [0, 0]);
  assert(!ring.ended);
});

test("a producer that closes its side but lives on is detected too", async () => {
  using ring = RingBuffer.create(PAGE);
  await using child = startDeno(
    `
    import { Memfd, RingBuffer } from "${MOD}";
    const fd = Memfd.open(Deno.args[0], { write: true });
    const ring = RingBuffer.open(fd);
    ring.write(new Uint8Array([1]));
    ring.close();
    fd.close();
    console.log("closed");
    setInterval(() => {}, 1000); // alive until killed
    `,
    ["--allow-ffi", "--allow-read", "--allow-write=/proc"],
    [ring.memfd.path],
  );
  assertEquals(await child.readLine(), "closed");
  assertEquals(ring.read(new Uint8Array(8)), 1);
  const e = await assertRejects(() => ring.waitReadable(), MemfdError);
  assertEquals(e.code, "ECONNRESET");
  assertStringIncludes(e.message, "closed its side");
});

test("a consumer that exits leaves a full ring's waitWritable ECONNRESET", async () => {
  using ring = RingBuffer.create(PAGE);
  await using child = startDeno(
    `
    import { Memfd, RingBuffer } from "${MOD}";
    using fd = Memfd.open(Deno.args[0], { write: true });
    using ring = RingBuffer.open(fd);
    ring.readable(); // claims the consumer's role
    `,
    ["--allow-ffi", "--allow-read", "--allow-write=/proc"],
    [ring.memfd.path],
  );
  assertEquals((await child.finish()).code, 0);
  ring.write(new Uint8Array(PAGE));
  const e = await assertRejects(() => ring.waitWritable(), MemfdError);
  assertEquals(e.code, "ECONNRESET");
  assertStringIncludes(e.message, "consumer");
});

test("aborting a sleeping wait rejects with the signal's reason, nothing left asleep", async () => {
  using ring = RingBuffer.create(PAGE);
  const controller = new AbortController();
  const waiting = ring.waitReadable({ signal: controller.signal });
  const reason = new Error("user gave up");
  controller.abort(reason);
  assertEquals(await waiting.catch((e) => e), reason);
  assertEquals(sleepers(ring), [0, 0]);
  // The ring is untouched: later waits work.
  ring.write(new Uint8Array([9]));
  assertEquals(
    await ring.waitReadable({ signal: new AbortController().signal }),
    1,
  );
});

test("an already aborted signal rejects at once, even with data pending", async () => {
  using ring = RingBuffer.create(PAGE);
  ring.write(new Uint8Array(1));
  const signal = AbortSignal.abort("stop");
  assertEquals(await ring.waitReadable({ signal }).catch((e) => e), "stop");
  assertEquals(await ring.waitWritable({ signal }).catch((e) => e), "stop");
});

test("timeout rejects with a TimeoutError DOMException; 0 polls", async () => {
  using ring = RingBuffer.create(PAGE);
  const e = await assertRejects(
    () => ring.waitReadable({ timeout: 20 }),
    DOMException,
  );
  assertEquals(e.name, "TimeoutError");
  assertStringIncludes(
    e.message,
    "RingBuffer.waitReadable timed out after 20 ms",
  );
  assertEquals(sleepers(ring), [0, 0]);
  ring.write(new Uint8Array(2));
  assertEquals(await ring.waitReadable({ timeout: 0 }), 2);
  ring.write(new Uint8Array(PAGE - 2));
  const full = await assertRejects(
    () => ring.waitWritable({ timeout: 0 }),
    DOMException,
  );
  assertEquals(full.name, "TimeoutError");
});

test("a timeout with a signal: the signal can still win", async () => {
  using ring = RingBuffer.create(PAGE);
  const controller = new AbortController();
  const waiting = ring.waitReadable({
    signal: controller.signal,
    timeout: 600_000,
  });
  controller.abort("first");
  assertEquals(await waiting.catch((e) => e), "first");
});

test("wait options are checked (the promise rejects)", async () => {
  using ring = RingBuffer.create(PAGE);
  await assertRejects(
    () => ring.waitReadable({ timout: 5 } as never),
    TypeError,
    "unknown option 'timout' (valid: 'signal', 'timeout', 'spin'); did you mean 'timeout'?",
  );
  await assertRejects(
    () => ring.waitReadable({ signal: "no" as never }),
    TypeError,
    "AbortSignal",
  );
  await assertRejects(() => ring.waitWritable({ timeout: -1 }), RangeError);
});

test("open() of a read-only memfd says to open it with write: true", () => {
  using ring = RingBuffer.create(PAGE);
  using readOnly = Memfd.open(ring.memfd.path);
  const e = assertThrows(() => RingBuffer.open(readOnly), MemfdError);
  assertEquals(e.code, "EACCES");
  assertStringIncludes(e.message, "Memfd.open(path, { write: true })");
  assert(!e.message.includes("private"), e.message);
});

test("a closed ring names the call, not a system call it never made", () => {
  const ring = RingBuffer.create(PAGE);
  ring.close();
  const e = assertThrows(() => ring.write(new Uint8Array(1)), MemfdError);
  // No system call is involved: the library knows the ring is closed.
  assertEquals([e.code, e.syscall, e.operation], [
    "EBADF",
    "",
    "RingBuffer.write",
  ]);
  assertStringIncludes(e.message, "is closed");
  assert(!e.message.includes("mmap"), e.message);
});

/**
 * RingBuffer.waitReadableSync / waitWritableSync: futex waits on the
 * calling thread, with a child deno on the other side; end of stream, a
 * timeout, a peer that went away, and the options they refuse.
 */
import { test } from "./support/leak_checked.ts";
import {
  assert,
  assertEquals,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import { MemfdError, RingBuffer } from "../mod.ts";
import { MOD, startDeno } from "./support/run.ts";
import { otherSide, sleepers } from "./support/ring.ts";

const PAGE = 4096;
const CHILD_FLAGS = ["--allow-ffi", "--allow-read", "--allow-write=/proc"];
/**
 * Only a guard: a wait that should end by itself but does not fails the
 * test with a TimeoutError instead of hanging it. Nothing is timed.
 */
const GUARD = { timeout: 60_000 };

test("a child producer blocked in waitWritableSync; the parent drains with waitReadableSync", async () => {
  using ring = RingBuffer.create(PAGE);
  const size = 25 * PAGE + 123;
  await using child = startDeno(
    `
    import { Memfd, RingBuffer } from "${MOD}";
    using fd = Memfd.open(Deno.args[0], { write: true });
    using ring = RingBuffer.open(fd);
    let sent = 0;
    while (sent < ${size}) {
      const room = ring.waitWritableSync();
      const n = Math.min(room, 3000, ${size} - sent);
      const chunk = new Uint8Array(n);
      for (let i = 0; i < n; i++) chunk[i] = (sent + i) % 251;
      sent += ring.write(chunk);
    }
    ring.end();
    `,
    CHILD_FLAGS,
    [ring.memfd.path],
  );
  // Until the child has written, no producer is recorded for a sync wait
  // to judge: a child that fails that early ends this async wait instead
  // of leaving the test blocked.
  const failed = new AbortController();
  const exited = child.finish().then((outcome) => {
    if (outcome.code !== 0) failed.abort(new Error(outcome.stderr));
    return outcome;
  });
  let total = 0;
  try {
    let n = await ring.waitReadable({ signal: failed.signal });
    // From here the producer is recorded: if it dies, the sync wait throws
    // ECONNRESET rather than sleeping on.
    while (n > 0) {
      // The producer may have committed more since the wait returned.
      const pending = ring.readable();
      assert(pending.length >= n);
      for (let i = 0; i < pending.length; i++) {
        if (pending[i] !== (total + i) % 251) {
          throw new Error(`byte ${total + i} is ${pending[i]}`);
        }
      }
      total += pending.length;
      ring.consume(pending.length);
      n = ring.waitReadableSync(GUARD);
    }
  } catch (e) {
    // The child, blocked in waitWritableSync on a live consumer, would
    // never exit by itself: end it so the failure is reported, not hung.
    Deno.kill(child.pid, "SIGKILL");
    throw e;
  }
  assertEquals(total, size);
  assert(ring.ended);
  assertEquals(ring.waitReadableSync(), 0);
  assertEquals((await exited).code, 0);
  assertEquals(sleepers(ring), [0, 0]);
});

test("end of stream: waitReadableSync returns what is pending, then 0", () => {
  using producer = RingBuffer.create(PAGE);
  using consumer = otherSide(producer);
  producer.write(new Uint8Array([1, 2, 3]));
  assertEquals(consumer.waitReadableSync(), 3);
  producer.end();
  assertEquals(consumer.waitReadableSync(), 3); // pending data first
  consumer.consume(3);
  assertEquals(consumer.waitReadableSync(), 0);
  assertEquals(consumer.waitReadableSync({ timeout: 0 }), 0);
  assertEquals(sleepers(producer), [0, 0]);
});

test("waitWritableSync returns the room, and EPIPE after end()", () => {
  using ring = RingBuffer.create(PAGE);
  assertEquals(ring.waitWritableSync(), PAGE);
  ring.write(new Uint8Array(PAGE - 10));
  assertEquals(ring.waitWritableSync({ timeout: 0 }), 10);
  ring.end();
  const e = assertThrows(() => ring.waitWritableSync(), MemfdError);
  assertEquals(e.code, "EPIPE");
  assertStringIncludes(e.message, "waitWritableSync");
});

test("a timeout throws a DOMException named TimeoutError; nothing left asleep", () => {
  using ring = RingBuffer.create(PAGE);
  for (const timeout of [0, 30]) {
    const e = assertThrows(
      () => ring.waitReadableSync({ timeout }),
      DOMException,
    );
    assertEquals(e.name, "TimeoutError");
    assertStringIncludes(e.message, `RingBuffer.waitReadableSync timed out`);
    assertEquals(sleepers(ring), [0, 0]);
  }
  ring.write(new Uint8Array(PAGE));
  const e = assertThrows(
    () => ring.waitWritableSync({ timeout: 30 }),
    DOMException,
  );
  assertEquals(e.name, "TimeoutError");
  assertEquals(sleepers(ring), [0, 0]);
  // The ring is untouched: later waits work.
  assertEquals(ring.waitReadableSync({ timeout: 0 }), PAGE);
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
    CHILD_FLAGS,
    [ring.memfd.path],
  );
  const { pid } = child;
  const outcome = await child.finish();
  assertEquals(outcome.code, 0, outcome.stderr);
  assertEquals(ring.waitReadableSync(), 3);
  ring.consume(3);
  const e = assertThrows(() => ring.waitReadableSync(GUARD), MemfdError);
  assertEquals(e.code, "ECONNRESET");
  assertStringIncludes(e.message, `producer (pid ${pid}) exited`);
  assertStringIncludes(e.message, "RingBuffer.waitReadableSync");
  assertEquals(sleepers(ring), [0, 0]);
  assert(!ring.ended);
});

test("a consumer that exits leaves a full ring's waitWritableSync ECONNRESET", async () => {
  using ring = RingBuffer.create(PAGE);
  await using child = startDeno(
    `
    import { Memfd, RingBuffer } from "${MOD}";
    using fd = Memfd.open(Deno.args[0], { write: true });
    using ring = RingBuffer.open(fd);
    ring.readable(); // claims the consumer's role
    `,
    CHILD_FLAGS,
    [ring.memfd.path],
  );
  const outcome = await child.finish();
  assertEquals(outcome.code, 0, outcome.stderr);
  ring.write(new Uint8Array(PAGE));
  const e = assertThrows(() => ring.waitWritableSync(GUARD), MemfdError);
  assertEquals(e.code, "ECONNRESET");
  assertStringIncludes(e.message, "consumer");
  assertEquals(sleepers(ring), [0, 0]);
});

test("bad options are typed errors naming the call; a signal is refused", () => {
  using ring = RingBuffer.create(PAGE);
  const unknown = assertThrows(
    // @ts-expect-error: not an option
    () => ring.waitReadableSync({ timeoutMs: 5 }),
    TypeError,
  );
  assertStringIncludes(unknown.message, "RingBuffer.waitReadableSync options");
  assertStringIncludes(unknown.message, "did you mean 'timeout'?");
  const signal = assertThrows(
    // @ts-expect-error: a sync wait takes no signal
    () => ring.waitWritableSync({ signal: new AbortController().signal }),
    TypeError,
  );
  assertStringIncludes(signal.message, "'signal' cannot end a synchronous");
  assertThrows(
    // @ts-expect-error: not an object
    () => ring.waitReadableSync(5),
    TypeError,
  );
  for (const timeout of [-1, 1.5, 2 ** 31]) {
    assertThrows(() => ring.waitReadableSync({ timeout }), RangeError);
  }
  ring.close();
  const closed = assertThrows(() => ring.waitReadableSync(), MemfdError);
  assertEquals(closed.code, "EBADF");
});

/**
 * A ring with a Python peer that follows docs/ring.md and nothing else
 * (`tests/fixtures/ring_peer.py`: mmap, struct and the futex system call
 * through ctypes): Python produces and Deno consumes, and the other way
 * round, through a one-page ring so that both sides wait on each other
 * many times (Deno with its default, adaptive waits and with spin 0);
 * and a Python producer killed mid-stream is noticed.
 */
import { test } from "./support/leak_checked.ts";
import { assertEquals } from "@std/assert";
import { type MemfdError, RingBuffer } from "../mod.ts";
import { spawnPeer } from "./support/run.ts";
import { byteAt } from "../examples/ring_worker.ts";
import { sleepers } from "./support/ring.ts";

const PAGE = 4096;
const PEER = new URL("./fixtures/ring_peer.py", import.meta.url).pathname;
const BYTES = 60 * PAGE + 99;

function python(mode: "produce" | "consume", ring: RingBuffer, bytes: number) {
  return spawnPeer("python3", ["-u", PEER, mode, ring.memfd.path, `${bytes}`]);
}

test("a Python producer that follows docs/ring.md; Deno drains it with waitReadable (adaptive, then spin 0)", async () => {
  for (const options of [undefined, { spin: 0 }]) {
    using ring = RingBuffer.create(PAGE);
    await using peer = python("produce", ring, BYTES);
    const exited = peer.finish();
    let received = 0;
    try {
      // Python claims the producer's role before it writes: from then on a
      // producer that dies is ECONNRESET, never a hang.
      while (await ring.waitReadable(options) > 0) {
        const pending = ring.readable();
        for (let i = 0; i < pending.length; i++) {
          if (pending[i] !== byteAt(received + i)) {
            throw new Error(`byte ${received + i} is ${pending[i]}`);
          }
        }
        received += pending.length;
        ring.consume(pending.length);
      }
    } finally {
      const outcome = await exited;
      assertEquals(outcome.code, 0, outcome.stderr);
      assertEquals(outcome.stdout.trim(), `${BYTES}`);
    }
    assertEquals([received, ring.ended], [BYTES, true]);
  }
});

test("Deno produces (waitWritable, then waitWritableSync with spin 0) for a Python consumer that follows docs/ring.md", async () => {
  for (const sync of [false, true]) {
    using ring = RingBuffer.create(PAGE);
    await using peer = python("consume", ring, BYTES);
    const exited = peer.finish();
    for (let sent = 0; sent < BYTES;) {
      const room = sync
        ? ring.waitWritableSync({ spin: 0, timeout: 60_000 })
        : await ring.waitWritable();
      const space = ring.writable();
      const n = Math.min(room, space.length, BYTES - sent, 3000);
      for (let i = 0; i < n; i++) space[i] = byteAt(sent + i);
      ring.commit(n);
      sent += n;
    }
    ring.end();
    const outcome = await exited;
    assertEquals(outcome.code, 0, outcome.stderr);
    assertEquals(outcome.stdout.trim(), `${BYTES}`);
    assertEquals(sleepers(ring), [0, 0]);
  }
});

test("a Python producer killed mid-stream: drained, then ECONNRESET", async () => {
  using ring = RingBuffer.create(PAGE);
  await using peer = python("produce", ring, 1 << 30);
  // It fills the ring and sleeps for room: kill it there.
  assertEquals(await ring.waitReadable({ timeout: 60_000 }) > 0, true);
  while (ring.free > 0) await ring.waitReadable({ timeout: 60_000 });
  Deno.kill(peer.pid, "SIGKILL");
  await peer.finish();
  ring.consume(ring.available);
  const e = await ring.waitReadable({ timeout: 60_000 }).catch((e) => e);
  assertEquals((e as MemfdError).code, "ECONNRESET", String(e));
});

/**
 * One ring between the main thread and a Worker of the same process (two
 * mappings of one memfd), with the same waits as between processes: the
 * async and sync waits on either side, the adaptive spin, `spin: 0` and a
 * forced spin, end of stream.
 */
import { test } from "./support/leak_checked.ts";
import { assertEquals } from "@std/assert";
import { RingBuffer } from "../mod.ts";
import { byteAt, streamFromWorker } from "../examples/ring_worker.ts";
import { sleepers } from "./support/ring.ts";

const PAGE = 4096;
/** A guard, not a timing: a worker that never starts fails the wait. */
const GUARD_MS = 60_000;

test("examples/ring_worker.ts: a worker producer (waitWritableSync) streams through a one-page ring to waitReadable", async () => {
  // 1 MiB through 4 KiB: the worker waits for room hundreds of times.
  const bytes = (1 << 20) + 123;
  assertEquals(await streamFromWorker(bytes, PAGE), {
    received: bytes,
    ended: true,
  });
});

test("a worker stream with spin: 0 (sleep at once) and with a forced spin", async () => {
  for (const spin of [0, 200]) {
    const bytes = 200_000;
    assertEquals(await streamFromWorker(bytes, PAGE, spin), {
      received: bytes,
      ended: true,
    }, `spin ${spin}`);
  }
});

/** Worker source: consumes with waitReadableSync, replies with the count. */
const CONSUMER = `
import { Memfd, RingBuffer } from "${
  new URL("../mod.ts", import.meta.url).href
}";
self.onmessage = ({ data: { path, spin } }) => {
  let received = 0, wrong = -1;
  {
    using fd = Memfd.open(path, { write: true });
    using ring = RingBuffer.open(fd);
    const options = spin === undefined ? { timeout: ${GUARD_MS} } : { spin, timeout: ${GUARD_MS} };
    let n;
    while ((n = ring.waitReadableSync(options)) > 0) {
      const pending = ring.readable();
      for (let i = 0; i < pending.length && wrong < 0; i++) {
        if (pending[i] !== ((received + i) * 7 + ((received + i) >>> 11) & 0xff)) wrong = received + i;
      }
      received += pending.length;
      ring.consume(pending.length);
    }
  }
  self.postMessage({ received, wrong });
};
`;

test("the main thread blocks in waitWritableSync while a worker drains with waitReadableSync", async () => {
  const url = URL.createObjectURL(
    new Blob([CONSUMER], { type: "application/javascript" }),
  );
  for (const spin of [undefined, 0, 100]) {
    using ring = RingBuffer.create(PAGE);
    const worker = new Worker(url, { type: "module" });
    try {
      const reply = new Promise<{ received: number; wrong: number }>(
        (resolve, reject) => {
          worker.onmessage = (e) => resolve(e.data);
          worker.onerror = (e) => {
            e.preventDefault();
            reject(new Error(e.message));
          };
        },
      );
      worker.postMessage({ path: ring.memfd.path, spin });
      const bytes = 50 * PAGE + 7;
      const options = spin === undefined
        ? { timeout: GUARD_MS }
        : { spin, timeout: GUARD_MS };
      for (let sent = 0; sent < bytes;) {
        const room = ring.waitWritableSync(options);
        const space = ring.writable();
        const n = Math.min(room, space.length, bytes - sent, 1000);
        for (let i = 0; i < n; i++) space[i] = byteAt(sent + i);
        ring.commit(n);
        sent += n;
      }
      ring.end();
      assertEquals(await reply, { received: bytes, wrong: -1 }, `spin ${spin}`);
      assertEquals(sleepers(ring), [0, 0]);
    } finally {
      worker.terminate();
    }
  }
  URL.revokeObjectURL(url);
});

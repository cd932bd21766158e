/**
 * A `RingBuffer` between the main thread and a `Worker`: the main thread
 * creates the ring and hands the worker its memfd's `path` (a string); the
 * worker opens the same memfd (`Memfd.open(path, { write: true })`) and
 * maps it itself, so the two threads share the ring's pages through two
 * mappings of one file, exactly as two processes would.
 *
 * Here the worker produces: it streams bytes into the ring, blocking its
 * own thread in `waitWritableSync()` while the ring is full (a worker can
 * afford that), then calls `end()`. The main thread consumes with the
 * async `waitReadable()`, so its event loop stays free. Both waits spin
 * briefly in JavaScript before they sleep on the futex (adaptive by
 * default; `{ spin: 0 }` sleeps at once).
 *
 * Run with `deno task example:ring-worker`.
 * @module
 */

import { RingBuffer } from "../mod.ts";

/** What the worker is asked to send. */
export interface RingWorkerRequest {
  path: string;
  bytes: number;
  /** µs to spin before sleeping; absent for the adaptive default. */
  spin?: number;
}

/** The byte at stream offset `i`: what the worker writes, the main checks. */
export function byteAt(i: number): number {
  return (i * 7 + (i >>> 11)) & 0xff;
}

/**
 * Streams `bytes` bytes from a worker through a `capacity`-byte ring to
 * this thread; resolves with the count received once the worker ended
 * the stream and closed its side. Throws on the first wrong byte.
 */
export async function streamFromWorker(
  bytes: number,
  capacity = 64 * 1024,
  spin?: number,
): Promise<{ received: number; ended: boolean }> {
  using ring = RingBuffer.create(capacity);
  const worker = new Worker(
    new URL("./ring_worker_task.ts", import.meta.url),
    { type: "module" },
  );
  try {
    const failed = new Promise<never>((_, reject) => {
      worker.onerror = (e) => {
        e.preventDefault();
        reject(new Error(`worker failed: ${e.message}`));
      };
    });
    const closed = new Promise<void>((resolve) => {
      worker.onmessage = () => resolve();
    });
    const request: RingWorkerRequest = { path: ring.memfd.path, bytes, spin };
    worker.postMessage(request);
    const options = spin === undefined ? undefined : { spin };
    let received = 0;
    // A worker that throws ends the wait (its side would never end()).
    while (await Promise.race([ring.waitReadable(options), failed]) > 0) {
      const pending = ring.readable();
      for (let i = 0; i < pending.length; i++) {
        if (pending[i] !== byteAt(received + i)) {
          throw new Error(`byte ${received + i} is ${pending[i]}`);
        }
      }
      received += pending.length;
      ring.consume(pending.length);
    }
    // The worker closes its ring and fd before it says so.
    await Promise.race([closed, failed]);
    return { received, ended: ring.ended };
  } finally {
    worker.terminate();
  }
}

if (import.meta.main) {
  const bytes = 64 << 20;
  const t0 = performance.now();
  const { received, ended } = await streamFromWorker(bytes, 1 << 20);
  const ms = performance.now() - t0;
  console.log(
    `main: ${received >> 20} MiB from the worker through a 1 MiB ring in ` +
      `${ms.toFixed(0)} ms, every byte checked; ended: ${ended}`,
  );
}

/**
 * Two peers on one ring, each mixing spinning and sleeping waits as a
 * seed decides: per chunk a `spin` (0, a few µs, the adaptive default, a
 * long forced spin), a sync or async wait, a size, and now and then a
 * pause that makes the other side park on the futex. The bytes are a
 * function of their offset and the seed, so whatever the interleaving the
 * consumer must see exactly them, then the end of stream: deterministic
 * by seed in outcome, only the timing of the wake-ups varies.
 *
 * Run as a child `deno` or a Worker (`runPeer`), or from the test itself.
 * @module
 */

import { Memfd, RingBuffer } from "../../../mod.ts";
import { Rng } from "../rng.ts";

/** A guard only: a peer that stops answering fails the wait, not the run. */
const GUARD = 60_000;

/** The byte at stream offset `i` for `seed`. */
export function byteOf(seed: number, i: number): number {
  return Math.imul(i + seed * 7919, 2654435761) >>> 24;
}

function waitOptions(r: Rng): { spin?: number; timeout: number } {
  switch (r.int(4)) {
    case 0:
      return { timeout: GUARD }; // adaptive
    case 1:
      return { spin: 0, timeout: GUARD };
    case 2:
      return { spin: r.range(1, 15), timeout: GUARD };
    default:
      return { spin: r.range(50, 400), timeout: GUARD };
  }
}

async function maybePause(r: Rng): Promise<void> {
  if (r.chance(0.08)) {
    await new Promise((done) => setTimeout(done, r.int(3)));
  }
}

/** Writes `total` bytes of `seed`'s stream, then ends it. */
export async function produce(
  ring: RingBuffer,
  seed: number,
  total: number,
): Promise<void> {
  const r = new Rng(seed * 2 + 1);
  for (let sent = 0; sent < total;) {
    await maybePause(r);
    const options = waitOptions(r);
    const room = r.chance(0.5)
      ? ring.waitWritableSync(options)
      : await ring.waitWritable(options);
    const space = ring.writable();
    const n = Math.min(room, space.length, total - sent, r.range(1, 9000));
    for (let i = 0; i < n; i++) space[i] = byteOf(seed, sent + i);
    ring.commit(n);
    sent += n;
  }
  ring.end();
}

/**
 * Reads `seed`'s stream to its end; the count read, or throws at the
 * first wrong byte. The first wait is async, so a peer started on this
 * event loop (a Worker's first message) gets going.
 */
export async function consume(ring: RingBuffer, seed: number): Promise<number> {
  const r = new Rng(seed * 2 + 2);
  let got = 0;
  for (let first = true;; first = false) {
    await maybePause(r);
    const options = waitOptions(r);
    const n = !first && r.chance(0.5)
      ? ring.waitReadableSync(options)
      : await ring.waitReadable(options);
    if (n === 0) return got;
    const pending = ring.readable();
    const take = Math.min(pending.length, r.range(1, 9000));
    for (let i = 0; i < take; i++) {
      if (pending[i] !== byteOf(seed, got + i)) {
        throw new Error(
          `seed ${seed}: byte ${got + i} is ${pending[i]}, ` +
            `not ${byteOf(seed, got + i)}`,
        );
      }
    }
    ring.consume(take);
    got += take;
  }
}

/**
 * The peer's side, in a child `deno` or a Worker: opens the ring at `path`
 * and plays `role` with `seed`, closing everything before it returns.
 */
export async function runPeer(
  role: "produce" | "consume",
  path: string,
  seed: number,
  total: number,
): Promise<number> {
  using fd = Memfd.open(path, { write: true });
  using ring = RingBuffer.open(fd);
  if (role === "produce") {
    await produce(ring, seed, total);
    return total;
  }
  return await consume(ring, seed);
}

// In a Worker: one request, one reply, after everything is closed.
const scope = globalThis as unknown as {
  onmessage?: unknown;
  postMessage?: (m: unknown) => void;
  WorkerGlobalScope?: unknown;
};
// (A Worker's module is `import.meta.main` too: tell them apart.)
if (scope.WorkerGlobalScope !== undefined) {
  scope.onmessage = async (
    e: MessageEvent<[string, string, number, number]>,
  ) => {
    const [role, path, seed, total] = e.data;
    try {
      const n = await runPeer(role as "produce", path, seed, total);
      scope.postMessage!({ n });
    } catch (error) {
      scope.postMessage!({ error: String(error) });
    }
  };
} else if (import.meta.main) {
  const [role, path, seed, total] = Deno.args;
  const n = await runPeer(
    role as "produce" | "consume",
    path!, // the parent passes role, path, seed and total
    Number(seed),
    Number(total),
  );
  console.log(n);
}

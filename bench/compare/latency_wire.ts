/**
 * What both sides of `ring-latency` agree on: the message size, the stop
 * byte, and how a side waits for a message on a ring (async, blocking the
 * thread with `waitReadableSync`, or polling the index and never
 * sleeping).
 * @module
 */

import type { RingBuffer } from "../../mod.ts";

/** Bytes per message. */
export const MESSAGE = 64;
/** A first byte that tells the child to exit. */
export const STOP = 0xff;

/**
 * Fills `into` from `ring`: spins up to `spin` checks of the index for
 * each piece (a waiter on another CPU sees a commit within a microsecond or
 * so), then sleeps on the ring's futex.
 */
export async function readRing(
  ring: RingBuffer,
  into: Uint8Array,
  spin: number,
): Promise<void> {
  for (let got = 0; got < into.length;) {
    let spun = 0;
    while (ring.available === 0 && spun < spin) spun++;
    if (ring.available === 0) await ring.waitReadable();
    got += ring.read(into.subarray(got));
  }
}

/**
 * {@linkcode readRing} with the public synchronous wait: sleeps on the
 * futex on this thread (no thread hand-off per wake-up). It blocks the
 * event loop, which a side dedicated to the ring can afford. `timeout`
 * (ms, per wait) turns a peer that never starts into a `TimeoutError`
 * instead of a hang; a peer that dies after writing is `ECONNRESET`.
 */
export function readRingSync(
  ring: RingBuffer,
  into: Uint8Array,
  timeout?: number,
): void {
  for (let got = 0; got < into.length;) {
    if (ring.available === 0) ring.waitReadableSync({ timeout });
    got += ring.read(into.subarray(got));
  }
}

/** Empty polls between two checks that the peer is still there. */
const POLLS_PER_CHECK = 1 << 16;

/**
 * {@linkcode readRing} for a side dedicated to the ring that never
 * sleeps: polls the index in JavaScript (no FFI call, no syscall) until
 * data is there. Every 65 536 empty polls it asks `alive()`, and throws
 * when the peer is gone, so a dead peer cannot leave it spinning.
 */
export function readRingSpin(
  ring: RingBuffer,
  into: Uint8Array,
  alive: () => boolean,
): void {
  for (let got = 0; got < into.length;) {
    let polls = 0;
    while (ring.available === 0) {
      if (++polls % POLLS_PER_CHECK === 0 && !alive()) {
        throw new Error("the ring's peer is gone: stopped polling");
      }
    }
    got += ring.read(into.subarray(got));
  }
}

/**
 * What both sides of `ring-latency` agree on: the message size, the stop
 * byte, and how a side waits for a message on a ring.
 * @module
 */

import type { Mapping, RingBuffer } from "../../mod.ts";

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

// The ring header's words (see src/ring/ring_buffer.ts): the producer's
// index, and the count of consumers asleep on it, which `commit` checks
// before it wakes anyone.
const SLOT_HEAD = 16;
const SLOT_READER_WAITING = 33;

/**
 * A blocking wait on a ring, for measuring what the event-loop hop of
 * `waitReadable()` costs: the library's own futex symbol, declared
 * synchronous, on a second mapping of the ring's header page (futexes on a
 * shared mapping are keyed by file and offset, so either mapping's word
 * wakes). Follows `waitReadable`'s protocol: raise the waiting count,
 * recheck, sleep while the index is unchanged. Blocks the event loop; a
 * prototype, not a library API.
 */
export class BlockingReader implements Disposable {
  #ring: RingBuffer;
  #header: Mapping;
  #words: Int32Array;
  #addr: number;
  #wait: (addr: number, expected: number, timeoutMs: number) => number;

  constructor(ring: RingBuffer, library: string) {
    this.#ring = ring;
    this.#header = ring.memfd.map({ length: 4096 });
    this.#words = new Int32Array(this.#header.buffer);
    const pointer = Deno.UnsafePointer.of(this.#header.buffer);
    this.#addr = Number(Deno.UnsafePointer.value(pointer));
    this.#wait = Deno.dlopen(library, {
      dm_futex_wait: { parameters: ["f64", "i32", "i32"], result: "i32" },
    }).symbols.dm_futex_wait;
  }

  /** Fills `into` from the ring, sleeping on the futex when it is empty. */
  read(into: Uint8Array): void {
    const words = this.#words;
    for (let got = 0; got < into.length;) {
      while (this.#ring.available === 0) {
        const seen = Atomics.load(words, SLOT_HEAD);
        Atomics.add(words, SLOT_READER_WAITING, 1);
        if (this.#ring.available === 0) {
          this.#wait(this.#addr + 4 * SLOT_HEAD, seen, 100);
        }
        Atomics.sub(words, SLOT_READER_WAITING, 1);
      }
      got += this.#ring.read(into.subarray(got));
    }
  }

  [Symbol.dispose](): void {
    this.#header.unmap();
  }
}

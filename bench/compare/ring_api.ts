/**
 * The `RingBuffer` API the ring benchmarks use, found at run time: the
 * benches run (and skip the ring) on trees where `mod.ts` does not export
 * it yet.
 * @module
 */

import * as mod from "../../mod.ts";
import type { Memfd } from "../../mod.ts";

/** One side of a ring, as far as the benchmarks use it. */
export interface Ring {
  readonly memfd: Memfd;
  readonly capacity: number;
  /** Copies as much of `data` as fits; the count. */
  write(data: Uint8Array): number;
  /** Copies as much as is readable into `into`; the count. */
  read(into: Uint8Array): number;
  /** Sleeps until there is room; the free bytes. */
  waitWritableSync(options?: { timeout?: number }): number;
  /** Sleeps until there is data; the bytes readable (0 at the end). */
  waitReadableSync(options?: { timeout?: number }): number;
}

/** `RingBuffer`'s static side. */
export interface RingClass {
  create(capacity: number): Ring;
  open(memfd: Memfd): Ring;
}

/** Why the ring rows are skipped here. */
export const UNAVAILABLE =
  "not available: mod.ts does not export RingBuffer on this tree";

/** `RingBuffer` when `mod.ts` exports it. */
export function ringClass(): RingClass | undefined {
  const found: unknown = Reflect.get(mod, "RingBuffer");
  return typeof found === "function"
    ? found as unknown as RingClass
    : undefined;
}

/** Releases a ring and its memfd, whatever the ring's own dispose does. */
export function release(ring: Ring): void {
  const dispose: unknown = Reflect.get(ring, Symbol.dispose);
  if (typeof dispose === "function") dispose.call(ring);
  ring.memfd.close();
}

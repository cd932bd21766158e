/**
 * Pins: calls running off the event loop that still use a mapping's memory
 * keep it mapped until they return. A mapping's pin record is attached to
 * its `ArrayBuffer` as a true private field (the "return override" idiom:
 * a base constructor that returns the object it is given), so that:
 *
 * - finding it from any view is one field load, where a `WeakMap` keyed by
 *   the buffer left an ephemeron per mapping for the garbage collector, and
 *   a lookup by address needed `Deno.UnsafePointer.of` (1–2 µs a call, see
 *   docs/performance.md);
 * - no program can read, replace or forge it (a symbol-keyed property can be
 *   reached with `Object.getOwnPropertySymbols`, and a swapped record would
 *   let an `unmap()` pull pages from under a running call).
 * @module
 */

/**
 * A mapping's calls in flight, and the release to run once the last one is
 * done. Holds neither the mapping nor its buffer until an unmap is
 * requested, so that a mapping dropped without `unmap()` can still be
 * collected (and retired by its finalizer).
 */
export interface Pins {
  count: number;
  release?: () => void;
  /** Unmap was requested: no new pins (the buffer keeps this record). */
  closed?: boolean;
}

/** Its constructor returns the object it is given, for subclasses to stamp. */
class Receiver {
  constructor(target: object) {
    return target;
  }
}

/** Adds the private `#pins` field to the object it is constructed on. */
class Pinned extends Receiver {
  #pins: Pins;

  constructor(target: object, pins: Pins) {
    super(target);
    this.#pins = pins;
  }

  static of(target: object): Pins | undefined {
    return #pins in target ? (target as Pinned).#pins : undefined;
  }
}

const unpinned = () => {};

/** Attaches `pins` to a mapping's fresh `buffer` (once per buffer). */
export function attachPins(buffer: ArrayBuffer, pins: Pins): void {
  new Pinned(buffer, pins);
}

/**
 * Keeps the pages behind `buffer` mapped (if it is a mapping's) until the
 * returned function runs: for calls that use the memory off the event loop.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { attachPins, pinMapping } from "./pins.ts";
 * const buffer = new ArrayBuffer(8);
 * const pins = { count: 0 };
 * attachPins(buffer, pins);
 * const unpin = pinMapping(buffer);
 * assertEquals(pins.count, 1);
 * unpin();
 * assertEquals(pins.count, 0);
 * ```
 */
export function pinMapping(buffer: ArrayBufferLike): () => void {
  const pins = Pinned.of(buffer);
  if (pins === undefined || pins.closed) return unpinned;
  pins.count++;
  return () => {
    if (--pins.count === 0) pins.release?.();
  };
}

/**
 * Index arithmetic of a ring: `head` and `tail` run modulo `2 * capacity`
 * (so a full ring and an empty one differ). The indices are the peer's to
 * write, so every read of them is checked before it sizes a view.
 * @module
 */

import { Errno } from "../errors/errno.ts";
import type { MemfdError } from "../errors/errors.ts";
import { ringFailure } from "../errors/failures.ts";
import { shown } from "../input/validate.ts";

/**
 * Bytes pending between `head` and `tail` (one snapshot of each, taken by
 * the caller) in a `capacity`-byte ring (memfd `name`), for the call `op`;
 * `MemfdError` `EINVAL` saying what the header holds when the indices are
 * corrupt. Callers check before they copy a byte or move an index, so a
 * corrupt ring changes nothing.
 */
export function usedBytes(
  head: number,
  tail: number,
  capacity: number,
  name: string,
  op: string,
): number {
  const wrap = 2 * capacity;
  if (head >>> 0 >= wrap || tail >>> 0 >= wrap) {
    throw corrupt(
      op,
      name,
      `head ${head}, tail ${tail} (both must be from 0 to ${wrap - 1})`,
    );
  }
  let used = head - tail;
  if (used < 0) used += wrap;
  if (used > capacity) {
    throw corrupt(
      op,
      name,
      `head ${head}, tail ${tail}: ${used} bytes pending in a ` +
        `${capacity}-byte ring`,
    );
  }
  return used;
}

/**
 * The `EINVAL` for call `op` on ring `name` whose header holds `what`:
 * another process wrote it; nothing was copied, no index moved.
 */
export function corrupt(op: string, name: string, what: string): MemfdError {
  return ringFailure(
    op,
    Errno.EINVAL,
    name,
    `${what} (${op} copied nothing and moved no index)`,
  );
}

/** `index` moved on by `n` bytes, modulo `2 * capacity`. */
export function advance(index: number, n: number, capacity: number): number {
  const next = index + n;
  const wrap = 2 * capacity;
  return next >= wrap ? next - wrap : next;
}

/** Where `index` points in the data region. */
export function position(index: number, capacity: number): number {
  return index >= capacity ? index - capacity : index;
}

/**
 * Checks the byte count `n` of a `commit` / `consume` (call `op`) against
 * `limit`, which the message calls `what` ("free", "available").
 */
export function checkCount(
  n: number,
  limit: number,
  op: string,
  what: string,
): void {
  if (typeof n !== "number") {
    throw new TypeError(
      `RingBuffer.${op}: n must be a number, got ${shown(n)}`,
    );
  }
  if (!Number.isInteger(n) || n < 0 || n > limit) {
    throw new RangeError(
      `RingBuffer.${op}: n must be a whole number from 0 to ${what} ` +
        `(${limit}), got ${shown(n)}`,
    );
  }
}

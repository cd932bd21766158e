/**
 * Index arithmetic of a ring: `head` and `tail` run modulo `2 * capacity`
 * (so a full ring and an empty one differ). The indices are the peer's to
 * write, so every read of them is checked before it sizes a view.
 * @module
 */

import { Errno } from "../errors/errno.ts";
import { MemfdError } from "../errors/errors.ts";

/**
 * Bytes pending between `head` and `tail` in a `capacity`-byte ring
 * (memfd `name`); `MemfdError` `EINVAL` when the indices are corrupt.
 */
export function usedBytes(
  head: number,
  tail: number,
  capacity: number,
  name: string,
): number {
  const wrap = 2 * capacity;
  if (head >>> 0 >= wrap || tail >>> 0 >= wrap) {
    throw new MemfdError(
      Errno.EINVAL,
      "mmap",
      `ring buffer '${name}' is corrupt: head ${head}, tail ${tail} ` +
        `(both must be below ${wrap}); another process wrote its header`,
    );
  }
  let used = head - tail;
  if (used < 0) used += wrap;
  if (used > capacity) {
    throw new MemfdError(
      Errno.EINVAL,
      "mmap",
      `ring buffer '${name}' is corrupt: ${used} bytes pending ` +
        `in a ${capacity}-byte ring; another process wrote its header`,
    );
  }
  return used;
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
    throw new TypeError(`${op}(n): n must be a number, got ${typeof n}`);
  }
  if (!Number.isInteger(n) || n < 0 || n > limit) {
    throw new RangeError(
      `${op}(${n}): n must be a whole number from 0 to ${what} (${limit})`,
    );
  }
}

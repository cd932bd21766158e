/**
 * A memfd's size as a JavaScript number: the `fstat` size, and the end of
 * a write, both refused past 2^53-1 rather than rounded.
 * @module
 */

import { dm_size } from "../native.ts";
import { check } from "../errors/failures.ts";

/**
 * `fstat` size of `fd` (the memfd `name`); a `RangeError` past 2^53-1
 * (never a rounded size).
 */
export function sizeOf(fd: number, name: string): number {
  const size = dm_size(fd);
  if (size > Number.MAX_SAFE_INTEGER) {
    throw new RangeError(
      `the size of '${name}' (${size} bytes) is beyond 2^53-1, ` +
        `more than a JavaScript number holds exactly`,
    );
  }
  return check(size, "size", name);
}

/**
 * A write must leave the file's size representable as a JavaScript number:
 * one that would end past 2^53-1 is a `RangeError`, before any syscall.
 */
export function checkEnd(
  position: number,
  length: number,
  call = "Memfd.write",
): void {
  if (position + length > Number.MAX_SAFE_INTEGER) {
    throw new RangeError(
      `${call}: cannot write ${length} bytes at position ${position}: the file would ` +
        `end past 2^53-1 bytes, beyond what a JavaScript number holds exactly`,
    );
  }
}

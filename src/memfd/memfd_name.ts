/**
 * Names and paths on their way to the native library (NUL-free UTF-8, the
 * kernel's length limit) and a memfd's name read back from the kernel.
 * @module
 */

import { dm_name, NAME_MAX } from "../native.ts";
import { Errno } from "../errors/errno.ts";
import { failure } from "../errors/failures.ts";
import { shown } from "../input/validate.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** Names are encoded here: a view of a non-empty buffer is never a null pointer. */
const nameScratch = new Uint8Array(NAME_MAX + 8);
const EMPTY = nameScratch.subarray(0, 0);
let lastName = "";
let lastEncoded = EMPTY;

/**
 * `name` for `memfd_create`: a `TypeError` unless a NUL-free string,
 * `MemfdError` `EINVAL` past {@linkcode NAME_MAX} UTF-8 bytes. The view is
 * of a shared scratch buffer: use it before the next call.
 */
export function encodeName(name: unknown): Uint8Array {
  if (typeof name !== "string") {
    throw new TypeError(
      `Memfd.create: name must be a string, got ${shown(name)}`,
    );
  }
  // Programs create many memfds under one name: reuse its encoding (only
  // this function writes the scratch, so it still holds those bytes).
  if (name === lastName) return lastEncoded;
  if (name.includes("\0")) {
    throw new TypeError(
      `Memfd.create: name must not contain NUL, got ${shown(name)}`,
    );
  }
  lastName = ""; // the scratch is about to change, even if this name fails
  lastEncoded = EMPTY;
  const { read, written } = encoder.encodeInto(name, nameScratch);
  if (read !== name.length || written > NAME_MAX) {
    throw failure("create", Errno.EINVAL, shown(name), {
      reason: `the name is longer than ${NAME_MAX} UTF-8 bytes (${
        encoder.encode(name).length
      })`,
    });
  }
  lastName = name;
  lastEncoded = nameScratch.subarray(0, written);
  return lastEncoded;
}

/**
 * `path` for the native open: a `TypeError` unless a NUL-free string, its
 * message beginning with `what` (`"Memfd.open: path"`).
 */
export function encodePath(path: unknown, what = "path"): Uint8Array {
  if (typeof path !== "string") {
    throw new TypeError(`${what} must be a string, got ${shown(path)}`);
  }
  if (path.includes("\0")) {
    throw new TypeError(`${what} must not contain NUL, got ${shown(path)}`);
  }
  // The extra byte keeps even an empty path a non-null pointer.
  return encoder.encode(path + "\0").subarray(0, -1);
}

/** The name of the memfd open as `fd` ("" when unreadable). */
export function nameOf(fd: number): string {
  const out = new Uint8Array(NAME_MAX + 8);
  const n = dm_name(fd, out);
  return n < 0 ? "" : decoder.decode(out.subarray(0, Math.min(n, out.length)));
}

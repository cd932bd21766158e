/**
 * Mappings whose file another process shrank: how the TypeScript side
 * learns that the native SIGBUS handler replaced vanished pages with zeros
 * (`src_rs/sigbus.rs`), and the error that reports it.
 *
 * The handler counts its repairs in one process-wide `u32`. Once the first
 * mapping exists, a 4-byte view of that counter is read here instead of
 * calling into the library: a call on a hot path pays one load and one
 * compare, and asks the library which mapping or file was repaired only
 * when the count moved. No mapping, no repair: before the first mapping
 * the count is 0 without a view.
 * @module
 */

import { dm_truncation_counter } from "../native.ts";
import type { MemfdError } from "../errors/errors.ts";
import { Errno } from "../errors/errno.ts";
import { memfdFailure, type Operation } from "../errors/failures.ts";

let counter: Uint32Array | undefined;

/**
 * Starts reading the repair counter; called when a mapping is made (which
 * has the unscoped `--allow-ffi` a raw view needs).
 */
export function watchTruncations(): void {
  if (counter !== undefined) return;
  const pointer = Deno.UnsafePointer.create(BigInt(dm_truncation_counter()));
  counter = new Uint32Array(
    Deno.UnsafePointerView.getArrayBuffer(pointer!, 4),
  );
}

/** Repairs the SIGBUS handler has made in this process so far. */
export function truncations(): number {
  return counter === undefined ? 0 : counter[0]!; // a 4-byte, one-cell view
}

const LOST =
  "another process shrank the file, and this process's mapping of the " +
  "pages past its new end was replaced with zero pages: writes into the " +
  "lost range were dropped and reads there see zeros";

/**
 * The error of `op` on memfd `name` after a mapping of its file was
 * repaired (`EFAULT`: the mapped memory went away under the process).
 */
export function truncatedFailure(
  op: Operation,
  name: string,
  operation?: string,
): MemfdError {
  return memfdFailure(op, Errno.EFAULT, name, {
    operation,
    reason: `${LOST}; seal the memfd against "shrink" before mapping it ` +
      `to rule this out, and unmap the mapping`,
  });
}

/**
 * The error of a read or write whose buffer is a mapping that was repaired
 * during the call (the kernel answered `EFAULT` for the vanished pages).
 */
export function truncatedBufferFailure(
  op: "read" | "write",
  name: string,
  operation?: string,
): MemfdError {
  return memfdFailure(op, Errno.EFAULT, name, {
    operation,
    reason: `the buffer is memory of a mapping whose file another process ` +
      `shrank; its lost pages were replaced with zero pages, and nothing ` +
      `was transferred`,
  });
}

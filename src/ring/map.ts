/**
 * Mapping a ring's memfd: the header page, then the data region twice
 * back to back ({@linkcode Memfd.mapRing}), and unmapping what was mapped
 * when the second part fails.
 * @module
 */

import { MemfdError } from "../errors/errors.ts";
import { memfdFailure } from "../errors/failures.ts";
import type { Mapping } from "../mapping/mapping.ts";
import type { Memfd } from "../memfd/memfd.ts";

/**
 * `mapRing` for `RingBuffer.open`: a memfd that cannot be mapped shared and
 * writable is refused with what a ring needs (both sides write the
 * header), not with advice for plain mappings.
 */
export function mapOpenedRing(
  memfd: Memfd,
  size: number,
  cap: number,
): [Mapping, Mapping] {
  try {
    return mapRing(memfd, size, cap);
  } catch (e) {
    if (!(e instanceof MemfdError)) throw e;
    if (e.code !== "EACCES" && e.code !== "EPERM") throw e;
    throw memfdFailure("ringOpen", e.errno, memfd.name, {
      syscall: e.syscall,
    });
  }
}

/** The header (`size` bytes) and the `cap`-byte data region of `memfd`. */
export function mapRing(
  memfd: Memfd,
  size: number,
  cap: number,
): [Mapping, Mapping] {
  const header = memfd.map({ offset: 0, length: size });
  try {
    return [header, memfd.mapRing({ offset: size, length: cap })];
  } catch (e) {
    header.unmap();
    throw e;
  }
}

/**
 * Mapping a ring's memfd: the header page, then the data region twice
 * back to back ({@linkcode Memfd.mapRing}), and unmapping what was mapped
 * when the second part fails.
 * @module
 */

import { MemfdError } from "../errors/errors.ts";
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
    const why = e.code === "EACCES"
      ? `memfd '${memfd.name}' is open read-only; open it with ` +
        `Memfd.open(path, { write: true })`
      : e.code === "EPERM"
      ? `memfd '${memfd.name}' is sealed against writes ("write" or ` +
        `"future-write"), and a ring writes its indices`
      : undefined;
    if (why === undefined) throw e;
    throw new MemfdError(
      e.errno,
      e.syscall,
      `RingBuffer.open needs a writable memfd: ${why}`,
    );
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

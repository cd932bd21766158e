/**
 * What the kernel and the library should make of each memfd call, from the
 * model's state: success or the error, and how many bytes move.
 * @module
 */

import { type Expect, fails, OK, okOr } from "../expect.ts";
import {
  EXEC,
  FUTURE_WRITE,
  GROW,
  MAX_SAFE,
  PAGE,
  SEAL,
  SHRINK,
  WRITE,
} from "./model.ts";
import type { Handle } from "./world.ts";
import { kernel } from "../../support/kernel.ts";

/** The seal bits this kernel knows (probed): others are EINVAL. */
const KNOWN_SEALS = SEAL | SHRINK | GROW | WRITE |
  (kernel.futureWrite ? FUTURE_WRITE : 0) | (kernel.execSeal ? EXEC : 0);

/**
 * Mappings longer than this may meet ENOMEM: shared ones for want of address
 * space, private writable ones from overcommit accounting (a 24 GiB machine
 * refuses a 64 GiB private mapping).
 */
const BIG_SHARED = 2 ** 36;
const BIG_PRIVATE = 2 ** 30;

/** An expected outcome and the bytes a successful transfer moves. */
export type Transfer = Expect & { count: number };

export function predictWrite(h: Handle, pos: number, n: number): Transfer {
  const f = h.file;
  if (n === 0) return { ...OK, count: 0 };
  if (pos + n > MAX_SAFE) return { ...fails("RangeError"), count: 0 };
  if (!h.writable) return { ...fails("EBADF"), count: 0 };
  if (f.hugetlb) return { ...fails("EINVAL"), count: 0 };
  if (f.seals & (WRITE | FUTURE_WRITE)) {
    return { ...fails("EPERM"), count: 0 };
  }
  if (!(f.seals & GROW)) return { ...OK, count: n };
  // With "grow" the kernel copies page by page and stops at the first
  // page-sized chunk that would pass the end of the file.
  let count = 0;
  for (let p = pos; p < pos + n;) {
    const chunkEnd = Math.min(pos + n, (Math.floor(p / PAGE) + 1) * PAGE);
    if (chunkEnd > f.size) break;
    count += chunkEnd - p;
    p = chunkEnd;
  }
  return count === 0 ? { ...fails("EPERM"), count } : { ...OK, count };
}

export function predictRead(h: Handle, pos: number, n: number): number {
  const size = h.file.size;
  return n === 0 || pos >= size ? 0 : Math.min(n, size - pos);
}

/** A write or a read of `n` bytes at `pos` (reads always succeed). */
export function predictTransfer(
  h: Handle,
  write: boolean,
  pos: number,
  n: number,
): Transfer {
  return write
    ? predictWrite(h, pos, n)
    : { ...OK, count: predictRead(h, pos, n) };
}

/** Seals `bits` added through `h`: the resulting set, or the error. */
export function predictSeal(h: Handle, bits: number): Expect & {
  seals: number;
} {
  const f = h.file;
  if (bits === 0) return { ...OK, seals: f.seals };
  const unknown = (bits & ~KNOWN_SEALS) !== 0;
  if (!h.writable) {
    // The kernel checks the fd's mode first (EPERM); tools/kernel_shim, which
    // emulates an older kernel, cannot see the mode and says EINVAL.
    return {
      ...fails(...(unknown ? ["EPERM", "EINVAL"] : ["EPERM"])),
      seals: f.seals,
    };
  }
  if (unknown) return { ...fails("EINVAL"), seals: f.seals };
  if (f.seals & SEAL) return { ...fails("EPERM"), seals: f.seals };
  // "exec" on a file with execute bits implies W^X: every write seal.
  const implied = bits & EXEC && f.execMode
    ? bits | SHRINK | GROW | WRITE | FUTURE_WRITE
    : bits;
  if (implied & WRITE && !(f.seals & WRITE) && f.sharedMappings > 0) {
    return { ...fails("EBUSY"), seals: f.seals };
  }
  return { ...OK, seals: f.seals | implied };
}

export function predictResize(h: Handle, size: number): Expect {
  const f = h.file;
  if (f.mappedEnd > size) return fails("EBUSY");
  if (!h.writable) return fails("EINVAL");
  if (f.hugetlb && size % f.granule !== 0) return fails("EINVAL");
  if (size < f.size && f.seals & SHRINK) return fails("EPERM");
  if (size > f.size && f.seals & GROW) return fails("EPERM");
  return OK;
}

/**
 * Whether the library refuses a map range up front (`RangeError`): empty,
 * or reaching past the end of a file of `size` bytes. `length` is what the
 * caller gave, `resolved` what it means.
 */
export function rangeRefused(
  offset: number,
  length: number | undefined,
  resolved: number,
  size: number,
): boolean {
  return length === 0 || (length === undefined && offset >= size) ||
    offset + resolved > size;
}

/** The mmap part of a map or ring of `length` bytes at `offset`. */
export function predictMmap(
  h: Handle,
  offset: number,
  length: number,
  shared: boolean,
): Expect {
  const f = h.file;
  const big = length > (shared ? BIG_SHARED : BIG_PRIVATE);
  // The kernel finds no room for a huge range before it checks the rest.
  const refused = (e: string) => big ? fails(e, "ENOMEM") : fails(e);
  if (offset % f.granule !== 0) return refused("EINVAL");
  if (shared && !h.writable) return refused("EACCES");
  if (shared && f.seals & (WRITE | FUTURE_WRITE)) return refused("EPERM");
  if (f.hugetlb || big) return okOr("ENOMEM");
  return OK;
}

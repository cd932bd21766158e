/**
 * A ring never changes size, so its memfd is sealed against it: another
 * process that could shrink it would make every touch of the vanished
 * pages a SIGBUS. `RingBuffer.create` seals `"shrink"` and `"grow"` (and
 * nothing that would stop the other side from mapping it writable);
 * `RingBuffer.open` adds them when they are missing and it may, and
 * refuses the memfd otherwise.
 * @module
 */

import { Errno } from "../errors/errno.ts";
import { MemfdError } from "../errors/errors.ts";
import { memfdFailure } from "../errors/failures.ts";
import type { Memfd } from "../memfd/memfd.ts";
import type { Seal } from "../memfd/seals.ts";

/** The seals every ring's memfd carries: its size is fixed. */
export const RING_SEALS: readonly Seal[] = ["shrink", "grow"];

/** The seals of {@linkcode RING_SEALS} that `memfd` lacks. */
function missingSeals(memfd: Memfd): Seal[] {
  const present = memfd.seals;
  return RING_SEALS.filter((s) => !present.has(s));
}

/**
 * Makes sure `memfd`, about to be opened as a ring, can no longer change
 * size: adds the missing {@linkcode RING_SEALS}, or throws `MemfdError`
 * `EPERM` naming them when they cannot be added (the fd is read-only, or
 * the memfd is sealed against further seals).
 */
export function sealRing(memfd: Memfd): void {
  const missing = missingSeals(memfd);
  if (missing.length === 0) return;
  try {
    memfd.seal(...missing);
    return;
  } catch (e) {
    if (!(e instanceof MemfdError) || e.code !== "EPERM") throw e;
  }
  const why = memfd.seals.has("seal")
    ? `it carries the "seal" seal, so no seal can be added; its creator ` +
      `must seal "shrink" and "grow" first`
    : `this fd cannot add them (it is open read-only?); open it with ` +
      `Memfd.open(path, { write: true })`;
  throw memfdFailure("ringOpen", Errno.EPERM, memfd.name, {
    syscall: "fcntl(F_ADD_SEALS)",
    reason: `it is missing the seals ` +
      `${missing.map((s) => `"${s}"`).join(" and ")} that keep a ring's ` +
      `size fixed (another process could shrink it under the mapping), ` +
      `and ${why}`,
  });
}

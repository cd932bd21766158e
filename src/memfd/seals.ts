/**
 * Seal names, their kernel bits, and immutable seal sets.
 * @module
 */

import { SealBits } from "../native.ts";
import { shown } from "../input/validate.ts";

/**
 * A file seal (`fcntl(F_ADD_SEALS)`), named after its `F_SEAL_*` constant:
 * - `"seal"`: no further seals can be added.
 * - `"shrink"`: the file cannot get smaller.
 * - `"grow"`: the file cannot get larger.
 * - `"write"`: the contents cannot change (no writes, no shared writable
 *   mappings); adding it fails while a shared mapping is alive.
 * - `"future-write"`: no new writes or writable shared mappings; existing
 *   mappings keep writing.
 * - `"exec"`: the executable bits of the mode cannot change (Linux 6.3+).
 *
 * Why `"exec"` shows up uninvited: memfds are created non-executable by
 * default (`executable: false` asks for `MFD_NOEXEC_SEAL`), and on Linux
 * 6.3+ the kernel makes that permanent by setting the `"exec"` seal itself
 * at creation. So `seal("shrink", "grow", "write")` returns a set that also
 * holds `"exec"`: nothing is wrong, the file just can never be made
 * executable. Older kernels, and `executable: true`, leave it out. Compare
 * seal sets as subsets (`requireSeals`), not for equality.
 *
 * @example
 * ```ts
 * import { Memfd, type Seal } from "@memfd/memfd";
 * import { assert } from "@std/assert";
 * const immutable: Seal[] = ["shrink", "grow", "write"];
 * using fd = Memfd.create("frame", { size: 16 });
 * const seals = fd.seal(...immutable);
 * // A superset: a memfd made with MFD_NOEXEC_SEAL also carries "exec".
 * assert(immutable.every((seal) => seals.has(seal)));
 * ```
 */
export type Seal =
  | "seal"
  | "shrink"
  | "grow"
  | "write"
  | "future-write"
  | "exec";

const BITS: Readonly<Record<Seal, number>> = {
  "seal": SealBits.F_SEAL_SEAL,
  "shrink": SealBits.F_SEAL_SHRINK,
  "grow": SealBits.F_SEAL_GROW,
  "write": SealBits.F_SEAL_WRITE,
  "future-write": SealBits.F_SEAL_FUTURE_WRITE,
  "exec": SealBits.F_SEAL_EXEC,
};

const NAMES = Object.keys(BITS) as Seal[];

/**
 * The kernel bit mask for `seals`; a `TypeError` for an unknown name, its
 * message beginning with `call` (the public call, `"Memfd.seal"`).
 */
export function sealBits(
  seals: readonly unknown[],
  call = "Memfd.seal",
): number {
  let bits = 0;
  for (const seal of seals) {
    const bit = typeof seal === "string" ? BITS[seal as Seal] : undefined;
    if (bit === undefined || !Object.hasOwn(BITS, seal as string)) {
      throw new TypeError(
        `${call}: unknown seal ${shown(seal)}; expected one of ${
          NAMES.join(", ")
        }`,
      );
    }
    bits |= bit;
  }
  return bits;
}

/** A `Set` that refuses changes, so one instance per mask can be shared. */
class SealSet extends Set<Seal> {
  constructor(seals: Seal[]) {
    super();
    for (const seal of seals) super.add(seal);
    Object.freeze(this);
  }
  override add(_: Seal): this {
    throw new TypeError("Memfd.seals: a seal set is read-only");
  }
  override delete(_: Seal): boolean {
    throw new TypeError("Memfd.seals: a seal set is read-only");
  }
  override clear(): void {
    throw new TypeError("Memfd.seals: a seal set is read-only");
  }
}

const cache: (ReadonlySet<Seal> | undefined)[] = [];

/** The read-only set of seal names in `bits` (shared: never mutate). */
export function sealSet(bits: number): ReadonlySet<Seal> {
  return cache[bits] ??= new SealSet(NAMES.filter((n) => bits & BITS[n]));
}

/** The names in `required` missing from `bits`. */
export function missingSeals(bits: number, required: number): Seal[] {
  return NAMES.filter((n) => required & BITS[n] && !(bits & BITS[n]));
}

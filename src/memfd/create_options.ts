/**
 * `Memfd.create` options and their `memfd_create` flags.
 * @module
 */

import { MemfdFlags } from "../native.ts";
import { shown, toBoolean, toOptions } from "../input/validate.ts";

/**
 * A huge page size for `hugetlb`; the kernel must have a pool of that size
 * (`/sys/kernel/mm/hugepages`), or creation fails with `ENODEV`.
 *
 * @example
 * ```ts
 * import { type HugePageSize, Memfd, MemfdError } from "@memfd/memfd";
 * import { assert, assertEquals } from "@std/assert";
 * const size: HugePageSize = "2MB";
 * try {
 *   using fd = Memfd.create("huge", { hugetlb: size, size: 2 << 20 });
 *   assertEquals(fd.size, 2 << 20);
 * } catch (e) {
 *   // No pool of that size here (ENODEV), an empty one (ENOMEM), or a
 *   // kernel without MFD_HUGETLB (EINVAL).
 *   if (!(e instanceof MemfdError)) throw e;
 *   assert(["ENODEV", "ENOMEM", "EINVAL"].includes(e.code), e.code);
 * }
 * ```
 */
export type HugePageSize =
  | "64KB"
  | "512KB"
  | "1MB"
  | "2MB"
  | "8MB"
  | "16MB"
  | "32MB"
  | "256MB"
  | "512MB"
  | "1GB"
  | "2GB"
  | "16GB";

/**
 * Options for {@linkcode Memfd.create}.
 *
 * @example
 * ```ts
 * import { type CreateOptions, Memfd } from "@memfd/memfd";
 * import { assertEquals } from "@std/assert";
 * const options: CreateOptions = { size: 1 << 20, allowSealing: true };
 * using fd = Memfd.create("frames", options);
 * assertEquals(fd.size, 1 << 20);
 * assertEquals(fd.seals.has("seal"), false); // seals can still be added
 * ```
 */
export interface CreateOptions {
  /** Initial size in bytes (`ftruncate`); default 0. */
  size?: number;
  /** Close the fd in `exec`ed children (`MFD_CLOEXEC`); default `true`. */
  cloexec?: boolean;
  /**
   * Allow seals to be added (`MFD_ALLOW_SEALING`); default `true`. `false`
   * leaves `"seal"` in the seal set, so nobody can add seals.
   */
  allowSealing?: boolean;
  /**
   * Whether the memfd may ever be executed; default `false`, which asks for
   * `MFD_NOEXEC_SEAL` (Linux 6.3+: mode 0666 and the `"exec"` seal). `true`
   * asks for `MFD_EXEC`. Older kernels get neither.
   */
  executable?: boolean;
  /**
   * Back the memfd with huge pages (`MFD_HUGETLB`): `true` for the default
   * huge page size, or a size. Sizes must then be multiples of the page
   * size, and `write()` is refused by the kernel: use a mapping.
   */
  hugetlb?: boolean | HugePageSize;
}

const {
  MFD_CLOEXEC,
  MFD_ALLOW_SEALING,
  MFD_HUGETLB,
  MFD_NOEXEC_SEAL,
  MFD_EXEC,
  MFD_HUGE_SHIFT,
} = MemfdFlags;

const HUGE_LOG2: Readonly<Record<HugePageSize, number>> = {
  "64KB": 16,
  "512KB": 19,
  "1MB": 20,
  "2MB": 21,
  "8MB": 23,
  "16MB": 24,
  "32MB": 25,
  "256MB": 28,
  "512MB": 29,
  "1GB": 30,
  "2GB": 31,
  "16GB": 34,
};

/** Options checked and turned into flags, plus what must follow creation. */
export interface CreatePlan {
  flags: number;
  size: number | undefined;
  /** Add `F_SEAL_SEAL` after creation (sealing was not asked for). */
  sealSeal: boolean;
  /** Backed by huge pages: sizes are multiples of the huge page size. */
  hugetlb: boolean;
}

function hugeFlags(hugetlb: unknown): number {
  if (hugetlb === undefined || hugetlb === false) return 0;
  if (hugetlb === true) return MFD_HUGETLB;
  const log2 = typeof hugetlb === "string"
    ? HUGE_LOG2[hugetlb as HugePageSize]
    : undefined;
  if (log2 === undefined || !Object.hasOwn(HUGE_LOG2, hugetlb as string)) {
    throw new TypeError(
      `Memfd.create: hugetlb must be a boolean or one of ${
        Object.keys(HUGE_LOG2).join(", ")
      }, got ${shown(hugetlb)}`,
    );
  }
  // `log2 << 26` overflows 32-bit arithmetic for 16GB (34 << 26).
  return MFD_HUGETLB + log2 * 2 ** MFD_HUGE_SHIFT;
}

const CREATE_KEYS: (keyof CreateOptions)[] = [
  "size",
  "cloexec",
  "allowSealing",
  "executable",
  "hugetlb",
];

/** Likely misspellings of the keys, for the "did you mean" hint. */
const CREATE_ALIASES: Readonly<Record<string, string>> = {
  length: "size",
  bytes: "size",
  byteLength: "size",
  huge: "hugetlb",
  exec: "executable",
  sealing: "allowSealing",
};

/** Checks `options` and plans the `memfd_create` call. */
export function planCreate(
  options: CreateOptions | undefined,
  checkSize: (size: unknown) => number,
): CreatePlan {
  const o = toOptions(
    options,
    "Memfd.create options",
    CREATE_KEYS,
    CREATE_ALIASES,
  );
  const allowSealing = toBoolean(
    o.allowSealing,
    true,
    "Memfd.create: allowSealing",
  );
  const executable = toBoolean(
    o.executable,
    false,
    "Memfd.create: executable",
  );
  let flags = hugeFlags(o.hugetlb);
  if (toBoolean(o.cloexec, true, "Memfd.create: cloexec")) flags += MFD_CLOEXEC;
  if (allowSealing) flags += MFD_ALLOW_SEALING;
  flags += executable ? MFD_EXEC : MFD_NOEXEC_SEAL;
  return {
    flags,
    size: o.size === undefined ? undefined : checkSize(o.size),
    // MFD_NOEXEC_SEAL turns sealing on even without MFD_ALLOW_SEALING.
    sealSeal: !allowSealing,
    hugetlb: (flags & MFD_HUGETLB) !== 0,
  };
}

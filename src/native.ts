/**
 * The native door: the one module that imports the generated bindings in
 * `ffi/`. Everything else in the library reaches the Rust side through
 * here, so a regenerated `ffi/` (or a Deno whose FFI types differ) is
 * adapted in one place. It also holds the flag bits the exports take, the
 * TypeScript half of `src_rs/sys/constants.rs` (`tests/constants_test.ts`
 * checks that both say the same).
 *
 * Every export answers `>= 0` on success and `-errno` on failure (decode
 * with {@linkcode errnoOf}); every fd it takes must be one the library
 * owns (it created, opened, received, duplicated or adopted it), or the
 * answer is `-EBADF` before any system call touches it.
 * @module
 */

export * from "../ffi/mod.ts";

/**
 * `memfd_create` flags (`MFD_*`); a huge page size is
 * `log2(size) << MFD_HUGE_SHIFT`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { MemfdFlags } from "./native.ts";
 * assertEquals(MemfdFlags.MFD_CLOEXEC | MemfdFlags.MFD_ALLOW_SEALING, 3);
 * ```
 */
export const MemfdFlags = Object.freeze(
  {
    MFD_CLOEXEC: 0x1,
    MFD_ALLOW_SEALING: 0x2,
    MFD_HUGETLB: 0x4,
    MFD_NOEXEC_SEAL: 0x8,
    MFD_EXEC: 0x10,
    MFD_HUGE_SHIFT: 26,
    MFD_HUGE_MASK: 0x3f,
  } as const,
);

/**
 * File seal bits (`F_SEAL_*`), as `dm_add_seals` takes and `dm_get_seals`
 * returns them.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { SealBits } from "./native.ts";
 * assertEquals(SealBits.F_SEAL_WRITE, 8);
 * ```
 */
export const SealBits = Object.freeze(
  {
    F_SEAL_SEAL: 0x1,
    F_SEAL_SHRINK: 0x2,
    F_SEAL_GROW: 0x4,
    F_SEAL_WRITE: 0x8,
    F_SEAL_FUTURE_WRITE: 0x10,
    F_SEAL_EXEC: 0x20,
    F_SEAL_KNOWN: 0x3f,
  } as const,
);

/**
 * `flags` bits of `dm_map` / `dm_map_rest`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { MapFlags } from "./native.ts";
 * assertEquals(MapFlags.MAP_FLAG_PRIVATE, 1);
 * ```
 */
export const MapFlags = Object.freeze(
  {
    /** Copy-on-write (`MAP_PRIVATE`) instead of `MAP_SHARED`. */
    MAP_FLAG_PRIVATE: 0x1,
    /** Pre-fault the pages (`MAP_POPULATE`). */
    MAP_FLAG_POPULATE: 0x2,
  } as const,
);

/**
 * Longest memfd name `memfd_create` accepts, in bytes (255 − `"memfd:"`).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { NAME_MAX } from "./native.ts";
 * assertEquals(NAME_MAX, 249);
 * ```
 */
export const NAME_MAX = 249;

/**
 * The errno of a failed export's result (`-errno` → `errno`), or 0 for a
 * success (`>= 0`).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { errnoOf } from "./native.ts";
 * assertEquals(errnoOf(-9), 9);
 * assertEquals(errnoOf(3), 0);
 * ```
 */
export function errnoOf(result: number): number {
  return result < 0 ? -result : 0;
}

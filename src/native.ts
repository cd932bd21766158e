/**
 * The native door: the one module that imports the generated bindings in
 * `ffi/`. Everything else in the library reaches the Rust side through
 * here, so a regenerated `ffi/` (or a Deno whose FFI types differ) is
 * adapted in one place. {@linkcode NativeLibrary} declares every symbol
 * with the parameter names and types of `src_rs/exports.rs`
 * (`tests/ffi_sync_test.ts` checks the two agree), so nothing untyped
 * crosses into `src/`. It also holds the flag bits the exports take, the
 * TypeScript half of `src_rs/sys/constants.rs` (`tests/constants_test.ts`
 * checks that both say the same).
 *
 * Every export answers `>= 0` on success and `-errno` on failure (decode
 * with {@linkcode errnoOf}); every fd it takes must be one the library
 * owns (it created, opened, received, duplicated or adopted it), or the
 * answer is `-EBADF` before any system call touches it. Sizes, offsets and
 * addresses are whole JS numbers (`f64` in Rust); `*_async` symbols run off
 * the event loop. What each one does is documented on the Rust function it
 * calls.
 * @module
 */

import * as generated from "../ffi/mod.ts";

/** The symbols of the native library, as `src_rs/exports.rs` names them. */
export interface NativeLibrary {
  /** Opens the library file at `path` (once per process). */
  load(path: string): void;

  // Memfds: made, adopted, opened by path, described, duplicated, closed.
  dm_create(name: Uint8Array, flags: number): number;
  dm_adopt(fd: number): number;
  dm_name(fd: number, out: Uint8Array): number;
  dm_open(path: Uint8Array, flags: number): number;
  dm_size(fd: number): number;
  dm_resize(fd: number, size: number): number;
  dm_dup(fd: number, cloexec: number): number;
  dm_close(fd: number): number;
  dm_cloexec(fd: number): number;

  // Positional I/O: bytes transferred, looping over short transfers.
  dm_pwrite(fd: number, data: Uint8Array, offset: number): number;
  dm_pread(fd: number, into: Uint8Array, offset: number): number;
  dm_pwrite_async(
    fd: number,
    data: Uint8Array,
    offset: number,
  ): Promise<number>;
  dm_pread_async(fd: number, into: Uint8Array, offset: number): Promise<number>;

  // Seals: the F_SEAL_* bits of SealBits.
  dm_add_seals(fd: number, seals: number): number;
  dm_get_seals(fd: number): number;

  // Mappings: an address answers; unmap and sync take only those.
  dm_map(fd: number, offset: number, length: number, flags: number): number;
  dm_map_rest(fd: number, offset: number, flags: number): number;
  dm_view_length(addr: number): number;
  dm_map_ring(fd: number, offset: number, length: number): number;
  dm_unmap(addr: number): number;
  dm_sync(addr: number): number;
  dm_unmap_leaving_zeros(addr: number): number;
  dm_live_mappings(): number;
  dm_page_size(): number;

  // Mappings another process's shrink cost pages (the SIGBUS handler).
  dm_mapping_truncated(addr: number): number;
  dm_file_truncated(fd: number): number;
  dm_truncation_counter(): number;

  // Sharing over Unix sockets; a wake fd cancels a waiting accept/receive.
  dm_listen(path: Uint8Array): number;
  dm_unlink_socket(fd: number): number;
  dm_wake_fd(): number;
  dm_wake(fd: number): number;
  dm_accept(fd: number, wake_fd: number): Promise<number>;
  dm_receive(fd: number, wake_fd: number): Promise<number>;
  dm_send(path: Uint8Array, memfd: number): Promise<number>;

  // Ring futexes: a word in a mapping the library made.
  dm_futex_wait(
    addr: number,
    expected: number,
    timeout_ms: number,
  ): Promise<number>;
  dm_futex_wait_sync(
    addr: number,
    expected: number,
    timeout_ms: number,
  ): number;
  dm_futex_wake(addr: number): number;

  // Ring peers: is the process with this pid the one that started then?
  dm_process_start(pid: number): number;
  dm_process_alive(pid: number, start: number): number;
}

/** The generated bindings, checked against {@linkcode NativeLibrary}. */
const native: NativeLibrary = generated;

export const {
  load,
  dm_create,
  dm_adopt,
  dm_name,
  dm_open,
  dm_size,
  dm_resize,
  dm_dup,
  dm_close,
  dm_cloexec,
  dm_pwrite,
  dm_pread,
  dm_pwrite_async,
  dm_pread_async,
  dm_add_seals,
  dm_get_seals,
  dm_map,
  dm_map_rest,
  dm_view_length,
  dm_map_ring,
  dm_unmap,
  dm_sync,
  dm_unmap_leaving_zeros,
  dm_live_mappings,
  dm_page_size,
  dm_mapping_truncated,
  dm_file_truncated,
  dm_truncation_counter,
  dm_listen,
  dm_unlink_socket,
  dm_wake_fd,
  dm_wake,
  dm_accept,
  dm_receive,
  dm_send,
  dm_futex_wait,
  dm_futex_wait_sync,
  dm_futex_wake,
  dm_process_start,
  dm_process_alive,
} = native;

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

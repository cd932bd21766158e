/**
 * The native baselines: bench-only exports of the same cdylib
 * (`src_rs/bench.rs`), each timing its own loop of raw syscalls in Rust.
 * @module
 */

import {
  dm_bench_get_seals,
  dm_bench_lifecycle,
  dm_bench_map_unmap,
  dm_bench_memcpy,
} from "../../src/native.ts";
import { ensureLoaded } from "../../src/loader/library.ts";

/** Elapsed nanoseconds from a bench export, or an error for `-errno`. */
function elapsed(result: number | bigint, what: string): number {
  const ns = Number(result);
  if (ns < 0) throw new Error(`native ${what} failed: errno ${-ns}`);
  return ns;
}

/** memfd_create → ftruncate → mmap → touch → munmap → close, per op. */
export function lifecycleNs(ops: number, size: number): number {
  ensureLoaded();
  return elapsed(dm_bench_lifecycle(ops, size), "lifecycle") / ops;
}

/** fcntl(F_GET_SEALS), per call. */
export function getSealsNs(ops: number): number {
  ensureLoaded();
  return elapsed(dm_bench_get_seals(ops), "get_seals") / ops;
}

/** mmap + munmap of `length` bytes (untouched), per op. */
export function mapUnmapNs(ops: number, length: number): number {
  ensureLoaded();
  return elapsed(dm_bench_map_unmap(ops, length), "map_unmap") / ops;
}

/** `memcpy` of all of `src` into `dst` (same length, not empty), per copy. */
export function memcpyNs(dst: Uint8Array, src: Uint8Array, copies: number) {
  if (dst.length !== src.length || src.length === 0) {
    throw new RangeError("memcpy needs two non-empty buffers of one length");
  }
  ensureLoaded();
  return elapsed(dm_bench_memcpy(dst, src, copies), "memcpy") / copies;
}

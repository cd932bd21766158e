/**
 * Anonymous, sealable, mappable memory files for Deno: Linux
 * `memfd_create`, file sealing and `mmap` behind a typed, safe API.
 *
 * - {@linkcode Memfd}: create, resize, read/write by position, seal, map,
 *   duplicate, share by `/proc` path; Web Streams (`readable`,
 *   `writable`) and `Memfd.from(bytes | stream, { seal: true })`.
 * - {@linkcode Mapping}: the memory as an `ArrayBuffer`, detached on unmap.
 * - {@linkcode MemfdError}: errno-faithful errors with actionable messages.
 * - {@linkcode MemfdListener} and `Memfd.sendTo`: pass memfds between
 *   processes over Unix domain sockets (SCM_RIGHTS).
 * - {@linkcode RingBuffer}: a single-producer single-consumer byte ring in a
 *   memfd, shared across processes, with `end()` and waits that take
 *   `{ signal, timeout }`.
 *
 * Needs Linux, `--allow-ffi` and `--allow-read` for the native library
 * (`--allow-ffi=<library path> --allow-read=<library path>` is enough for
 * everything but mappings, which need the unscoped `--allow-ffi`; see
 * docs/permissions.md).
 *
 * @example Share a sealed buffer
 * ```ts
 * import { Memfd } from "@memfd/memfd";
 * import { assertEquals } from "@std/assert";
 *
 * using fd = Memfd.create("frames", { size: 1 << 20 });
 * using map = fd.map();
 * map.bytes.fill(7);
 * map.unmap(); // a "write" seal needs every shared mapping gone
 * fd.seal("shrink", "grow", "write");
 * assertEquals(fd.seals.has("write"), true);
 * // Another process can now open fd.path and trust that it never changes.
 * ```
 *
 * @module
 */

export { Memfd } from "./src/memfd/memfd.ts";
export type { MapOptions, RingOptions } from "./src/memfd/memfd_map.ts";
export { type MapAccess, Mapping } from "./src/mapping/mapping.ts";
export type {
  CreateOptions,
  HugePageSize,
} from "./src/memfd/create_options.ts";
export type { Seal } from "./src/memfd/seals.ts";
export type { Bytes } from "./src/input/bytes.ts";
export type { WaitOptions } from "./src/input/abort.ts";
export type { RingWaitOptions } from "./src/ring/waits.ts";
export type { SyncWaitOptions } from "./src/ring/sync_wait.ts";
export type {
  ReadableStreamOptions,
  WritableStreamOptions,
} from "./src/memfd/streams.ts";
export {
  type FromOptions,
  type MemfdSource,
  SEALED,
} from "./src/memfd/from.ts";
export { MemfdError } from "./src/errors/errors.ts";
export { MemfdListener } from "./src/sharing/listener.ts";
export { RingBuffer } from "./src/ring/ring_buffer.ts";
export { isSupported } from "./src/loader/is_supported.ts";
export { loadLibrary } from "./src/loader/library.ts";

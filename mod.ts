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
 * Needs Linux and `--allow-ffi` (`--allow-ffi=<path of the library>` is
 * enough for everything but mappings).
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

export { Memfd } from "./src/memfd.ts";
export type { MapOptions, RingOptions } from "./src/memfd_map.ts";
export { type MapAccess, Mapping } from "./src/mapping.ts";
export type { CreateOptions, HugePageSize } from "./src/create_options.ts";
export type { Seal } from "./src/seals.ts";
export type { Bytes } from "./src/bytes.ts";
export type { WaitOptions } from "./src/abort.ts";
export type { RingWaitOptions } from "./src/ring/waits.ts";
export type { SyncWaitOptions } from "./src/ring/sync_wait.ts";
export type {
  ReadableStreamOptions,
  WritableStreamOptions,
} from "./src/streams.ts";
export { type FromOptions, type MemfdSource, SEALED } from "./src/from.ts";
export { MemfdError } from "./src/errors.ts";
export { MemfdListener } from "./src/sharing/listener.ts";
export { RingBuffer } from "./src/ring/ring_buffer.ts";
export { isSupported } from "./src/is_supported.ts";
export { loadLibrary } from "./src/loader/library.ts";

/**
 * `Mapping`: memory of a memfd seen as an `ArrayBuffer`.
 * @module
 */

import {
  dm_mapping_truncated,
  dm_sync,
  dm_unmap,
  dm_unmap_leaving_zeros,
} from "../native.ts";
import type { Bytes } from "../input/bytes.ts";
import { check } from "../errors/failures.ts";
import { acquired, released } from "../leaks/tracking.ts";
import { attachPins, type Pins } from "./pins.ts";
import {
  truncatedFailure,
  truncations,
  watchTruncations,
} from "./truncation.ts";

/**
 * How a mapping shares its pages with the memfd: `"shared"` writes reach
 * the file, `"private"` writes stay in this mapping (copy-on-write).
 *
 * @example
 * ```ts
 * import { type MapAccess, Memfd } from "@memfd/memfd";
 * import { assertEquals } from "@std/assert";
 * using fd = Memfd.create("scratch", { size: 4096 });
 * const access: MapAccess = "private";
 * using copy = fd.map({ access });
 * copy.bytes[0] = 1; // the memfd still reads 0 there
 * const back = new Uint8Array(1);
 * fd.read(back);
 * assertEquals(back[0], 0);
 * ```
 */
export type MapAccess = "shared" | "private";

/**
 * Releases buffers whose `Mapping` and views were all collected without
 * `unmap()`. Keyed on the `ArrayBuffer` itself, never on the wrapper: a view
 * kept alive without its `Mapping` must keep the memory mapped.
 *
 * Retired, not unmapped: the buffer may have been moved out before it died
 * (`transfer()`, `postMessage`), and the new one, which nothing here can see
 * or detach, would fault the process on its next touch of unmapped pages.
 */
const finalizer = new FinalizationRegistry<number>((addr) => {
  dm_unmap_leaving_zeros(addr);
});

let adopt: (
  addr: number,
  length: number,
  offset: number,
  access: MapAccess,
  name: string,
) => Mapping;

/**
 * Memory of a memfd, mapped with `mmap`, seen as an `ArrayBuffer`. Made by
 * {@linkcode Memfd.map} or {@linkcode Memfd.mapRing}.
 *
 * Another process can shrink an unsealed memfd under the mapping. Touching
 * the pages past its new end does not kill the process: the library's
 * SIGBUS handler replaces them with zero pages (writes there are dropped,
 * reads see zeros), {@linkcode Mapping.truncated} turns `true` and
 * {@linkcode Mapping.sync} throws `MemfdError` `EFAULT`. Seal `"shrink"` to
 * keep the bytes.
 *
 * After {@linkcode Mapping.unmap} every view of the buffer is detached
 * (length 0), so a stale view can never touch unmapped memory.
 *
 * @example
 * ```ts
 * import { Memfd } from "@memfd/memfd";
 * import { assertEquals } from "@std/assert";
 *
 * using fd = Memfd.create("frames", { size: 4096 });
 * using map = fd.map();
 * map.bytes[0] = 42;
 * const out = new Uint8Array(1);
 * fd.read(out);
 * assertEquals(out[0], 42);
 * ```
 */
export class Mapping implements Disposable {
  #addr: number;
  #buffer: ArrayBuffer;
  #bytes: Bytes;
  #offset: number;
  #access: MapAccess;
  #name: string;
  #pins: Pins = { count: 0 };
  #unmapRequested = false;
  /** The buffer was moved out (see the finalizer): replace with zeros, never unmap. */
  #moved = false;

  static {
    adopt = (addr, length, offset, access, name) =>
      new Mapping(addr, length, offset, access, name);
  }

  private constructor(
    addr: number,
    length: number,
    offset: number,
    access: MapAccess,
    name: string,
  ) {
    let buffer: ArrayBuffer;
    try {
      const pointer = Deno.UnsafePointer.create(BigInt(addr));
      buffer = Deno.UnsafePointerView.getArrayBuffer(pointer!, length);
    } catch (e) {
      dm_unmap(addr);
      if (e instanceof Deno.errors.NotCapable) {
        throw new Deno.errors.NotCapable(
          "mapping memory needs the unscoped --allow-ffi flag: Deno's " +
            "raw-pointer APIs ignore --allow-ffi=<path>",
        );
      }
      throw e;
    }
    this.#addr = addr;
    this.#buffer = buffer;
    this.#bytes = new Uint8Array(buffer);
    this.#offset = offset;
    this.#access = access;
    this.#name = name;
    finalizer.register(buffer, addr, buffer);
    attachPins(buffer, this.#pins);
    watchTruncations();
    acquired(this, "mapping", name);
  }

  /**
   * The mapped memory (detached, length 0, once unmapped).
   *
   * Never throws.
   *
   * @example Any typed view of the memory
   * ```ts
   * import { Memfd } from "@memfd/memfd";
   * import { assertEquals } from "@std/assert";
   * using fd = Memfd.create("words", { size: 4096 });
   * using map = fd.map();
   * new Uint32Array(map.buffer)[0] = 0x04030201; // little-endian
   * const out = new Uint8Array(4);
   * fd.read(out);
   * assertEquals(out, new Uint8Array([1, 2, 3, 4]));
   * ```
   */
  get buffer(): ArrayBuffer {
    return this.#buffer;
  }

  /**
   * A byte view of all of {@linkcode Mapping.buffer}.
   *
   * Never throws.
   *
   * @example See what was written to the file
   * ```ts
   * import { Memfd } from "@memfd/memfd";
   * import { assertEquals } from "@std/assert";
   * using fd = Memfd.create("text", { size: 4096 });
   * using map = fd.map();
   * fd.write(new TextEncoder().encode("hello"));
   * assertEquals(new TextDecoder().decode(map.bytes.subarray(0, 5)), "hello");
   * ```
   */
  get bytes(): Bytes {
    return this.#bytes;
  }

  /**
   * Length of the mapping in bytes; 0 once unmapped.
   *
   * Never throws.
   *
   * @example Zero once unmapped
   * ```ts
   * import { Memfd } from "@memfd/memfd";
   * import { assertEquals } from "@std/assert";
   * using fd = Memfd.create("frames", { size: 4096 });
   * using map = fd.map();
   * assertEquals(map.byteLength, 4096);
   * map.unmap();
   * assertEquals(map.byteLength, 0);
   * ```
   */
  get byteLength(): number {
    return this.#buffer.byteLength;
  }

  /**
   * Where in the memfd the mapping starts.
   *
   * Never throws.
   *
   * @example A mapping of the rest of the file
   * ```ts
   * import { Memfd } from "@memfd/memfd";
   * import { assertEquals } from "@std/assert";
   * using fd = Memfd.create("frames", { size: 3 * 4096 });
   * using tail = fd.map({ offset: 4096 });
   * assertEquals(tail.offset, 4096);
   * assertEquals(tail.byteLength, 8192);
   * ```
   */
  get offset(): number {
    return this.#offset;
  }

  /**
   * `"shared"` (`MAP_SHARED`) or `"private"` (copy-on-write).
   *
   * Never throws.
   *
   * @example A private mapping of a write-sealed memfd
   * ```ts
   * import { Memfd } from "@memfd/memfd";
   * import { assertEquals } from "@std/assert";
   * using fd = Memfd.create("sealed", { size: 4096 });
   * fd.seal("write");
   * using copy = fd.map({ access: "private" });
   * copy.bytes[0] = 1; // changes this mapping only
   * assertEquals(copy.access, "private");
   * assertEquals(copy.bytes[0], 1);
   * ```
   */
  get access(): MapAccess {
    return this.#access;
  }

  /**
   * Whether {@linkcode Mapping.unmap} was called.
   *
   * Never throws.
   *
   * @example Before and after unmap
   * ```ts
   * import { Memfd } from "@memfd/memfd";
   * import { assertEquals } from "@std/assert";
   * using fd = Memfd.create("frames", { size: 4096 });
   * using map = fd.map();
   * assertEquals(map.unmapped, false);
   * map.unmap();
   * assertEquals(map.unmapped, true);
   * ```
   */
  get unmapped(): boolean {
    return this.#unmapRequested;
  }

  /**
   * Whether another process shrank the memfd under this mapping and the
   * pages past its new end were replaced with zero pages (by the library's
   * SIGBUS handler, when this process touched them): they no longer reach
   * the file, writes there were dropped and reads see zeros. `false` once
   * unmapped.
   *
   * Never throws.
   *
   * @example An intact mapping
   * ```ts
   * import { Memfd } from "@memfd/memfd";
   * import { assertEquals } from "@std/assert";
   * using fd = Memfd.create("frames", { size: 4096 });
   * using map = fd.map();
   * map.bytes[0] = 1;
   * assertEquals(map.truncated, false);
   * ```
   */
  get truncated(): boolean {
    if (this.#unmapRequested || truncations() === 0) return false;
    return dm_mapping_truncated(this.#addr) === 1;
  }

  /**
   * Flushes the mapping to the memfd (`msync(MS_SYNC)`); for a memfd this
   * is a barrier more than a flush, the pages are the file's own.
   *
   * @example A barrier before handing the memory on
   * ```ts
   * import { Memfd } from "@memfd/memfd";
   * import { assertEquals } from "@std/assert";
   * using fd = Memfd.create("frames", { size: 4096 });
   * using map = fd.map();
   * map.bytes[0] = 9;
   * map.sync();
   * const out = new Uint8Array(1);
   * fd.read(out);
   * assertEquals(out[0], 9);
   * map.unmap();
   * map.sync(); // does nothing once unmapped
   * ```
   *
   * @throws {MemfdError} `EFAULT` when another process shrank the memfd
   *   under the mapping ({@linkcode Mapping.truncated}): the pages past its
   *   new end were replaced with zeros and writes there were dropped; or
   *   when the kernel refuses `msync`.
   */
  sync(): void {
    if (this.#unmapRequested) return;
    if (this.truncated) throw truncatedFailure("sync", this.#name);
    check(dm_sync(this.#addr), "sync", this.#name);
  }

  /**
   * Unmaps the memory and detaches every view of it. Idempotent. When a
   * call running off the event loop still uses the memory, the unmapping
   * happens as soon as it completes; the views are detached at once.
   * A buffer moved out (`transfer()`, `postMessage`) cannot be detached
   * from here: its pages are swapped for zeros instead of unmapped, so it
   * stays safe to touch and the memfd is released all the same.
   *
   * @example Views are detached, never dangling
   * ```ts
   * import { Memfd } from "@memfd/memfd";
   * import { assertEquals } from "@std/assert";
   * using fd = Memfd.create("frames", { size: 4096 });
   * using map = fd.map();
   * const view = map.bytes.subarray(0, 16);
   * map.unmap();
   * assertEquals(view.length, 0);
   * assertEquals(map.bytes.length, 0);
   * ```
   *
   * @throws {MemfdError} only when the kernel refuses `munmap`, which the
   *   library's own registry of mappings rules out.
   */
  unmap(): void {
    if (this.#unmapRequested) return;
    this.#unmapRequested = true;
    this.#pins.closed = true;
    finalizer.unregister(this.#buffer);
    // Detach first: no view may outlive the pages it points at. A buffer
    // that was moved out is detached already, but its new owner is not.
    // `buffer` and `bytes` stay: detached, they read as empty.
    this.#moved = this.#buffer.detached;
    if (!this.#moved) this.#buffer.transfer(0);
    if (this.#pins.count === 0) this.#release();
    else this.#pins.release = () => this.#release();
  }

  #release(): void {
    const release = this.#moved ? dm_unmap_leaving_zeros : dm_unmap;
    check(release(this.#addr), "unmap", this.#name);
    released(this);
  }

  /**
   * Same as {@linkcode Mapping.unmap}.
   *
   * @example Unmapped at the end of its block
   * ```ts
   * import { Memfd } from "@memfd/memfd";
   * import { assertEquals } from "@std/assert";
   * using fd = Memfd.create("frames", { size: 4096 });
   * let view: Uint8Array;
   * {
   *   using map = fd.map();
   *   view = map.bytes;
   * }
   * assertEquals(view.length, 0);
   * ```
   *
   * @throws {MemfdError} as {@linkcode Mapping.unmap} does.
   */
  [Symbol.dispose](): void {
    this.unmap();
  }
}

/** Wraps a fresh mapping made by the native library. */
export function adoptMapping(
  addr: number,
  length: number,
  offset: number,
  access: MapAccess,
  name: string,
): Mapping {
  return adopt(addr, length, offset, access, name);
}

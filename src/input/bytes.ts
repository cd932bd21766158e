/**
 * The byte view type the API hands out.
 * @module
 */

/**
 * A `Uint8Array` over a plain (never shared) `ArrayBuffer`: what every view
 * handed out is (`Mapping.bytes`, `RingBuffer.readable()`, …), so that
 * `new Blob([view])`, `crypto.subtle.digest(…, view)` and
 * `new Response(view)` type-check.
 *
 * One alias so that a Deno whose TypeScript predates generic typed arrays
 * (TypeScript 5.7) can make it plain `Uint8Array` in this one place.
 *
 * @example
 * ```ts
 * import { type Bytes, Memfd } from "@memfd/memfd";
 * import { assertEquals } from "@std/assert";
 * using fd = Memfd.create("frames", { size: 4096 });
 * using map = fd.map();
 * const view: Bytes = map.bytes;
 * const blob = new Blob([view]);
 * assertEquals(blob.size, 4096);
 * ```
 *
 * Never throws: it is a type only.
 */
export type Bytes = Uint8Array<ArrayBuffer>;

/**
 * Type names that the TypeScript of older supported Deno releases lacks,
 * declared once here so that the library type-checks on every supported
 * Deno (2.0 ships TypeScript 5.6; 2.2 brought 5.7 and its typed-array
 * generics and ES2024 `ArrayBuffer` members).
 * @module
 */

/**
 * A byte view over a plain `ArrayBuffer`: `Uint8Array<ArrayBuffer>` where
 * TypeScript has typed-array generics (5.7+, Deno 2.2+), plain `Uint8Array`
 * before. Spelled through `Uint8Array.of`, whose return type is exactly
 * that on each.
 *
 * @example
 * ```ts
 * import type { Bytes } from "./types.ts";
 * import { assertEquals } from "@std/assert";
 * const bytes: Bytes = new Uint8Array([1, 2]);
 * assertEquals(bytes.buffer.byteLength, 2);
 * ```
 */
export type Bytes = ReturnType<typeof Uint8Array.of>;

/**
 * An `ArrayBuffer` with the ES2024 `detached` and `transfer()` that every
 * supported Deno's V8 has but TypeScript before 5.7 does not declare.
 *
 * @example
 * ```ts
 * import type { TransferableBuffer } from "./types.ts";
 * import { assertEquals } from "@std/assert";
 * const buffer = new ArrayBuffer(8) as TransferableBuffer;
 * const moved = buffer.transfer(0);
 * assertEquals([buffer.detached, moved.byteLength], [true, 0]);
 * ```
 */
export interface TransferableBuffer extends ArrayBuffer {
  /** Whether the buffer was transferred away (its length is then 0). */
  readonly detached: boolean;
  /** Moves the contents to a new buffer of `newLength` and detaches this one. */
  transfer(newLength?: number): ArrayBuffer;
}

/**
 * `Error` with V8's `stackTraceLimit`, which TypeScript before 5.7's Deno
 * declarations does not know.
 *
 * @example
 * ```ts
 * import type { V8ErrorConstructor } from "./types.ts";
 * import { assertEquals } from "@std/assert";
 * const V8Error = Error as V8ErrorConstructor;
 * assertEquals(typeof V8Error.stackTraceLimit, "number");
 * ```
 */
export interface V8ErrorConstructor extends ErrorConstructor {
  /** How many frames a new `Error` records. */
  stackTraceLimit: number;
}

/**
 * Plain memory of the kinds a buffer argument can be, each of which the
 * FFI boundary treats differently: a view at an offset into a larger
 * buffer, a `SharedArrayBuffer`, a resizable `ArrayBuffer` (which
 * readAsync/writeAsync refuse).
 * @module
 */

/** The kinds {@linkcode inMemory} makes. */
export type MemoryKind = "offset" | "shared" | "resizable";

/** A copy of `content` in memory of `kind`. */
export function inMemory(kind: MemoryKind, content: Uint8Array): Uint8Array {
  const n = content.length;
  let bytes: Uint8Array;
  switch (kind) {
    case "offset":
      bytes = new Uint8Array(n + 16).subarray(7, 7 + n);
      break;
    case "shared":
      bytes = new Uint8Array(new SharedArrayBuffer(n));
      break;
    case "resizable":
      bytes = new Uint8Array(new ArrayBuffer(n, { maxByteLength: n + 64 }));
  }
  bytes.set(content);
  return bytes;
}

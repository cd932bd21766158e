/**
 * A quick, order-sensitive checksum of a buffer, shared by the demo's two
 * sides.
 * @module
 */

/** FNV-style mix over 32-bit words; `bytes.length` must be a multiple of 4. */
export function checksum(bytes: Uint8Array): number {
  const words = new Uint32Array(
    bytes.buffer,
    bytes.byteOffset,
    bytes.length >>> 2,
  );
  let h = 0x811c9dc5;
  for (let i = 0; i < words.length; i++) {
    h = Math.imul(h ^ words[i]!, 0x01000193); // i < words.length
  }
  return h >>> 0;
}

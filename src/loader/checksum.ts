/**
 * SHA-256 of library bytes. Synchronous (`node:crypto`, built into Deno)
 * because the library may be opened lazily from a synchronous call such as
 * `Memfd.create`, and it is re-verified on every load.
 * @module
 */

import { createHash } from "node:crypto";

/** Lowercase hex SHA-256 of `bytes`. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

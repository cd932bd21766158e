/**
 * The downloaded library in Deno's cache directory: one file per pinned
 * checksum, only ever created whole (written to a temporary name, synced,
 * renamed) and checked again every time it is opened.
 * @module
 */

import type { Artifact } from "./artifacts.ts";
import { pinProblem } from "./verify.ts";

/**
 * The cached library's bytes after checking them against the pin;
 * `undefined` when there is no cached copy. A copy that does not match is
 * reported, not replaced: something other than this module changed it.
 */
export function readCached(
  path: string,
  artifact: Artifact,
): Uint8Array | undefined {
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
  const problem = pinProblem(bytes, artifact);
  if (problem !== undefined) {
    throw new Error(
      `deno_memfd's cached library ${path} is not the pinned one (${problem}); ` +
        `it was not opened. Delete it to download it again`,
    );
  }
  return bytes;
}

/** Puts `bytes` at `path` atomically; on failure leaves nothing behind. */
export function storeAtomically(path: string, bytes: Uint8Array): void {
  Deno.mkdirSync(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  const temp = `${path}.${crypto.randomUUID()}.tmp`;
  try {
    const file = Deno.openSync(temp, { write: true, createNew: true });
    try {
      let written = 0;
      while (written < bytes.byteLength) {
        written += file.writeSync(bytes.subarray(written));
      }
      // Without this a crash after the rename could leave an empty file
      // under the final name.
      file.syncSync();
    } finally {
      file.close();
    }
    Deno.renameSync(temp, path);
  } catch (e) {
    try {
      Deno.removeSync(temp);
    } catch {
      // Never created, or already renamed.
    }
    throw e;
  }
}

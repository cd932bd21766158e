/**
 * Fetching the pinned release artifact. The bytes are checked before they
 * touch the disk, and never more than the pinned size is read.
 * @module
 */

import type { Artifact } from "./artifacts.ts";
import { pinProblem } from "./verify.ts";

const TIMEOUT_MS = 60_000;

/** Downloads `url` and returns its bytes if they are `artifact`. */
export async function downloadArtifact(
  url: URL,
  artifact: Artifact,
): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    const response = await fetch(url, {
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`HTTP ${response.status} ${response.statusText}`);
    }
    bytes = await readAtMost(response, artifact.size + 1);
  } catch (e) {
    throw new Error(
      `deno_memfd could not download its library from ${url}: ` +
        `${rootCause(e)}. Without that server, use a ` +
        `local libdeno_memfd.so: set DENO_MEMFD_LIB=<path> (with ` +
        `--allow-env=DENO_MEMFD_LIB), or grant --allow-ffi=<path> alone and ` +
        `call loadLibrary(path)`,
      { cause: e },
    );
  }
  const problem = pinProblem(bytes, artifact);
  if (problem !== undefined) {
    throw new Error(
      `deno_memfd refused the library downloaded from ${url}: ${problem}. ` +
        `Nothing was cached or opened`,
    );
  }
  return bytes;
}

/** The body, or its first `limit` bytes when it is longer. */
async function readAtMost(
  response: Response,
  limit: number,
): Promise<Uint8Array> {
  const out = new Uint8Array(limit);
  let length = 0;
  const reader = response.body?.getReader();
  if (reader === undefined) return out.subarray(0, 0);
  try {
    while (length < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      const take = Math.min(value.byteLength, limit - length);
      out.set(value.subarray(0, take), length);
      length += take;
    }
  } finally {
    await reader.cancel();
  }
  return out.subarray(0, length);
}

/** The innermost reason: fetch wraps "Connection refused" in "fetch failed". */
function rootCause(e: unknown): string {
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  return e instanceof Error ? e.message : String(e);
}

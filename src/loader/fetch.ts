/**
 * Fetching the pinned release artifact into the cache: what `install.ts`
 * does once, with net and write grants, so that programs never need write
 * access where they have FFI access. Imports nothing that opens a library.
 * @module
 */

import { readCached, storeAtomically } from "./cache.ts";
import { downloadArtifact } from "./download.ts";
import {
  type Need,
  netGrant,
  readGrant,
  writeGrant,
} from "../permissions/grants.ts";
import type { RemoteSource } from "./resolve.ts";

/** The directory the cached library lives in. */
export function cacheDirOf(source: RemoteSource): string {
  return source.path.slice(0, source.path.lastIndexOf("/"));
}

/**
 * What fetching `source` into the cache needs: net for its host, read and
 * write for its directory (an existing copy is checked, not fetched again;
 * the download lands under a temporary name there and is renamed into
 * place, and `Deno.rename` wants both grants on both names).
 */
export function fetchNeeds(source: RemoteSource): Need[] {
  const dir = cacheDirOf(source);
  return [{
    grants: [
      netGrant(source.url.host),
      readGrant(dir),
      writeGrant(dir),
    ],
  }];
}

/**
 * Downloads the artifact into the cache unless a copy that matches the pin
 * is there already; `true` when it downloaded. A copy that does not match
 * is reported, not replaced. The caller checks {@linkcode fetchNeeds}.
 */
export async function fetchIntoCache(source: RemoteSource): Promise<boolean> {
  if (readCached(source.path, source.artifact) !== undefined) return false;
  storeAtomically(
    source.path,
    await downloadArtifact(source.url, source.artifact),
  );
  return true;
}

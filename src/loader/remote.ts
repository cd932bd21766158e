/**
 * The release artifact for an `http(s):` import: fetched once into the
 * cache, opened from there.
 * @module
 */

import { readCached, storeAtomically } from "./cache.ts";
import { downloadArtifact } from "./download.ts";
import { granted } from "./grants.ts";
import { openLibraryFile, requireOpenable } from "./open.ts";
import type { RemoteSource } from "./resolve.ts";

function dirOf(path: string): string {
  return path.slice(0, path.lastIndexOf("/"));
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** Downloads the artifact into the cache unless it is there already. */
export async function fetchIntoCache(source: RemoteSource): Promise<void> {
  const dir = dirOf(source.path);
  requireOpenable(source.path, dir);
  if (exists(source.path)) return;
  const missing: string[] = [];
  if (!granted({ name: "net", host: source.url.host })) {
    missing.push(`--allow-net=${source.url.host}`);
  }
  if (!granted({ name: "write", path: dir })) {
    missing.push(`--allow-write=${dir}`);
  }
  if (missing.length > 0) {
    throw new Deno.errors.NotCapable(
      `deno_memfd needs to download its library from ${source.url} into ` +
        `${dir} once: run with ${missing.join(" ")}`,
    );
  }
  storeAtomically(
    source.path,
    await downloadArtifact(source.url, source.artifact),
  );
}

/** Opens the cached artifact, checking it against its pin first. */
export function openCached(source: RemoteSource): void {
  const dir = dirOf(source.path);
  requireOpenable(source.path, dir);
  const bytes = readCached(source.path, source.artifact);
  if (bytes === undefined) {
    throw new Deno.errors.NotFound(
      `deno_memfd's library is not downloaded yet: it is fetched from ` +
        `${source.url} into ${source.path} while deno_memfd is imported, ` +
        `when FFI permission for it is granted at that point ` +
        `(--allow-ffi=${source.path} --allow-net=${source.url.host} ` +
        `--allow-read=${dir} --allow-write=${dir})`,
    );
  }
  openLibraryFile(source.path, source.url.href, bytes);
}

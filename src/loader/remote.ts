/**
 * The release artifact for an `http(s):` import, opened from the cache
 * that `install.ts` (or, for trusted code, the import itself) filled.
 * @module
 */

import { readCached } from "./cache.ts";
import { cacheDirOf } from "./fetch.ts";
import { openLibraryFile, requireOpenable } from "./open.ts";
import type { RemoteSource } from "./resolve.ts";

/** The URL of `install.ts` next to the `mod.ts` at `root`. */
export function installUrl(root: URL): URL {
  return new URL("install.ts", root);
}

/**
 * The command line that installs `source` into the cache once, for a
 * program importing deno_memfd from `root`; `envFlag` is the `--allow-env`
 * flag that finds the cache directory.
 */
export function installCommand(
  source: RemoteSource,
  root: URL,
  envFlag: string,
): string {
  const dir = cacheDirOf(source);
  return `deno run --allow-net=${source.url.host} ${envFlag} ` +
    `--allow-read=${dir} --allow-write=${dir} ${installUrl(root)}`;
}

/**
 * Opens the cached artifact, checking it against its pin first. `root` is
 * where deno_memfd was imported from, `envFlag` the `--allow-env` flag that
 * found the cache directory (both for the message when it is missing).
 */
export function openCached(
  source: RemoteSource,
  root: URL,
  envFlag: string,
): void {
  requireOpenable(source.path);
  const bytes = readCached(source.path, source.artifact);
  if (bytes === undefined) {
    const dir = cacheDirOf(source);
    throw new Deno.errors.NotFound(
      `deno_memfd's library is not installed yet at ${source.path}: run ` +
        `\`${installCommand(source, root, envFlag)}\` once, which ` +
        `downloads and verifies it. ` +
        `(Trusted code only: a program granted --allow-net=` +
        `${source.url.host} --allow-read=${dir} --allow-write=${dir} as ` +
        `well fetches it itself ` +
        `at import, but write and FFI access to one directory let any code ` +
        `in it load a library of its own)`,
    );
  }
  openLibraryFile(source.path, source.url.href, bytes);
}

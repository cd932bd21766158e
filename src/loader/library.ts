/**
 * Finding and opening the native library: the public face of `src/loader/`.
 *
 * Order: {@linkcode loadLibrary}, then `DENO_MEMFD_LIB`, then a local build
 * next to `mod.ts` (`file:` imports) or the pinned release artifact from
 * `dist/` next to `mod.ts` (`http(s):` imports). When FFI permission for
 * the library is already granted at import, it is opened while this module
 * is evaluated, so that failures surface at import and nothing is loaded
 * or downloaded inside a user's test; otherwise on first use.
 * @module
 */

import { ARTIFACTS } from "./artifacts.ts";
import { granted, probeFile, readGrantedEnv } from "./grants.ts";
import { openLibraryFile } from "./open.ts";
import { requireDeno, requireLinux } from "./platform.ts";
import { fetchIntoCache, openCached } from "./remote.ts";
import { resolveSource, type Source } from "./resolve.ts";

const ROOT = new URL("../../", import.meta.url);

let loadedFrom: string | undefined;

function resolveHere(): Source {
  return resolveSource({
    root: ROOT,
    target: Deno.build.target,
    env: readGrantedEnv,
    probe: probeFile,
    ffiGranted: (path) => granted({ name: "ffi", path }),
    artifacts: ARTIFACTS,
  });
}

/**
 * Opens the native library at `path` and uses it from now on, instead of
 * the one deno_memfd would find itself.
 *
 * Needs `--allow-ffi=<path>` and `--allow-read=<path>` (the file is checked
 * before it is opened: a truncated library would crash the process). Call
 * it before anything else; to keep deno_memfd from opening or downloading
 * its own library at import, grant FFI for `path` only, or set
 * `DENO_MEMFD_LIB=<path>` instead.
 *
 * @example Use a library named by the program's own setting
 * ```ts
 * import { loadLibrary, Memfd } from "@memfd/memfd";
 *
 * const path = Deno.env.get("MY_APP_MEMFD_LIB");
 * if (path !== undefined) loadLibrary(path);
 * using fd = Memfd.create("configured");
 * ```
 */
export function loadLibrary(path: string): void {
  if (typeof path !== "string" || path === "") {
    throw new TypeError("loadLibrary needs the path of libdeno_memfd.so");
  }
  requireLinux();
  openLibraryFile(path, "loadLibrary()");
  loadedFrom = path;
}

/** The path the library was opened from, opening it first if needed. */
export function ensureLoaded(): string {
  if (loadedFrom !== undefined) return loadedFrom;
  requireLinux();
  const source = resolveHere();
  if (source.kind === "file") openLibraryFile(source.path, source.origin);
  else openCached(source);
  loadedFrom = source.path;
  return source.path;
}

/** Whether the library is open, without trying to open it. */
export function isLoaded(): boolean {
  return loadedFrom !== undefined;
}

/**
 * Opens the library if that needs no permission beyond those granted;
 * `false` instead of any error.
 */
export function tryLoadQuietly(): boolean {
  if (loadedFrom !== undefined) return true;
  if (Deno.build.os !== "linux") return false;
  try {
    const { path } = resolveHere();
    if (!granted({ name: "ffi", path }) || !granted({ name: "read", path })) {
      return false;
    }
    ensureLoaded();
    return true;
  } catch {
    return false;
  }
}

/** The eager half: runs once, while this module is evaluated. */
async function openAtImport(): Promise<void> {
  if (Deno.build.os !== "linux") return;
  let source: Source;
  try {
    source = resolveHere();
  } catch (e) {
    // Without knowing the path, only an unscoped grant says FFI is meant.
    if (granted({ name: "ffi" })) throw e;
    return;
  }
  if (!granted({ name: "ffi", path: source.path })) return;
  if (source.kind === "remote") await fetchIntoCache(source);
  ensureLoaded();
}

// An older Deno is refused at import, with the version it needs, rather than
// failing later in ways that do not say why.
requireDeno();
await openAtImport();

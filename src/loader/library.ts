/**
 * Finding and opening the native library: the public face of `src/loader/`.
 *
 * Order: {@linkcode loadLibrary}, then `DENO_MEMFD_LIB`, then a local build
 * next to `mod.ts` (`file:` imports) or the pinned release artifact from
 * `dist/` next to `mod.ts` (`http(s):` imports). When FFI permission for
 * the library (and read permission, which checks it first) is already
 * granted at import, it is opened while this module is evaluated, so that
 * failures surface at import and nothing is loaded or downloaded inside a
 * user's test; otherwise on first use, whose `NotCapable` names every
 * missing flag (the library's and the call's own) at once.
 * @module
 */

import { granted, type Need, readGrant } from "../permissions/grants.ts";
import { missingFor, requireAll } from "../permissions/messages.ts";
import { ARTIFACTS } from "./artifacts.ts";
import { envConsulted } from "./cache_dir.ts";
import { fetchIntoCache, fetchNeeds } from "./fetch.ts";
import { probeFile, readGrantedEnv } from "./grants.ts";
import { openable, openLibraryFile, openNeeds } from "./open.ts";
import { requireDeno, requireLinux } from "./platform.ts";
import { installCommand, openCached } from "./remote.ts";
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
 * import { assertEquals } from "@std/assert";
 *
 * const path = Deno.env.get("MY_APP_MEMFD_LIB");
 * if (path !== undefined) loadLibrary(path);
 * using fd = Memfd.create("configured");
 * assertEquals(fd.closed, false);
 * ```
 *
 * @throws {TypeError} when `path` is not a non-empty string.
 * @throws {Deno.errors.NotCapable} when `--allow-ffi` or `--allow-read` for
 *   `path` is missing; the message names the flags.
 * @throws {Deno.errors.NotFound} when no file is at `path`.
 * @throws {Error} when the file is not a complete ELF shared library, or
 *   `dlopen` refuses it (the message says which).
 * @throws {Deno.errors.NotSupported} when not on Linux.
 */
export function loadLibrary(path: string): void {
  if (typeof path !== "string" || path === "") {
    throw new TypeError(
      `loadLibrary: path must be the path of libdeno_memfd.so, got ${
        typeof path === "string" ? '""' : path === null ? "null" : typeof path
      }`,
    );
  }
  requireLinux();
  openLibraryFile(path, "loadLibrary()");
  loadedFrom = path;
}

/**
 * The path the library was opened from, opening it first if needed. A call
 * that needs grants of its own passes them as `needs`, with `what` naming
 * the call: they are checked together with the library's, before anything
 * is opened, so that one `NotCapable` names every missing flag.
 */
export function ensureLoaded(what = "", needs: readonly Need[] = []): string {
  if (loadedFrom !== undefined) {
    // The common case (a create once loaded) allocates nothing.
    if (needs.length > 0) requireAll(`${what} needs permission`, needs);
    return loadedFrom;
  }
  requireLinux();
  let source: Source;
  try {
    source = resolveHere();
  } catch (e) {
    const { flags } = missingFor(needs);
    if (e instanceof Deno.errors.NotCapable && flags.length > 0) {
      throw new Deno.errors.NotCapable(
        `${e.message}. ${what} needs ${flags.join(" ")} as well`,
      );
    }
    throw e;
  }
  const env = `--allow-env=${envConsulted(readGrantedEnv).join(",")}`;
  const library = openNeeds(source.path);
  if (source.kind === "remote") {
    // Whether it is installed is for the read grant to tell.
    library.push({
      grants: [readGrant(source.path)],
      why: `Unless the library is installed already, install it first with ` +
        `\`${installCommand(source, ROOT, env)}\``,
    });
  }
  const subject = what === ""
    ? `deno_memfd needs permission to open its library ${source.path}`
    : missingFor(library).flags.length === 0
    ? `${what} needs permission`
    : `${what} needs permission, and deno_memfd to open its library ` +
      source.path;
  requireAll(subject, [...library, ...needs]);
  if (source.kind === "file") openLibraryFile(source.path, source.origin);
  else openCached(source, ROOT, env);
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
    if (!openable(resolveHere().path)) return false;
    ensureLoaded();
    return true;
  } catch {
    return false;
  }
}

/**
 * The eager half: runs once, while this module is evaluated. A permission
 * that is missing defers opening to the first use, which names every flag
 * (and `isSupported()` answers `false` meanwhile); any other failure
 * surfaces here.
 */
async function openAtImport(): Promise<void> {
  if (Deno.build.os !== "linux") return;
  let source: Source;
  try {
    source = resolveHere();
  } catch (e) {
    // Without knowing the path, only an unscoped grant says FFI is meant.
    if (e instanceof Deno.errors.NotCapable || !granted({ name: "ffi" })) {
      return;
    }
    throw e;
  }
  if (!openable(source.path)) return;
  if (source.kind === "remote" && probeFile(source.path) === "absent") {
    // Fetch-and-run in one go: only for trusted code, since it takes write
    // and FFI grants on one directory (see docs/security.md).
    if (missingFor(fetchNeeds(source)).flags.length > 0) return;
    await fetchIntoCache(source);
  }
  ensureLoaded();
}

// An older Deno is refused at import, with the version it needs, rather than
// failing later in ways that do not say why.
requireDeno();
await openAtImport();

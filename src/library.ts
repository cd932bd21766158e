/**
 * Finding and opening the native library.
 * @module
 */

import { load } from "../ffi/mod.ts";

const FILE = "libdeno_memfd.so";

let loadedFrom: string | undefined;

/** Where a local build lives, next to `mod.ts`: release first, then debug. */
function localCandidates(): string[] {
  const root = new URL("../", import.meta.url);
  if (root.protocol !== "file:") return [];
  return ["release", "debug"].map((profile) =>
    decodeURIComponent(new URL(`target/${profile}/${FILE}`, root).pathname)
  );
}

function exists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/**
 * Opens the native library at `path` and uses it from now on.
 *
 * Needed only when the library is not found on its own (a local build next
 * to `mod.ts`); call it before any other function of this module.
 *
 * @example
 * ```ts ignore
 * import { loadLibrary } from "@deno/memfd";
 * loadLibrary("/opt/deno_memfd/libdeno_memfd.so");
 * ```
 */
export function loadLibrary(path: string): void {
  if (typeof path !== "string" || path === "") {
    throw new TypeError("loadLibrary needs the path of libdeno_memfd.so");
  }
  if (Deno.build.os !== "linux") {
    throw new Deno.errors.NotSupported(
      `deno_memfd needs Linux (memfd_create); this is ${Deno.build.os}`,
    );
  }
  try {
    load(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable) {
      throw new Deno.errors.NotCapable(
        `deno_memfd needs FFI permission to open its library: run with ` +
          `--allow-ffi=${path} (or --allow-ffi)`,
      );
    }
    throw new Error(`deno_memfd could not open its library ${path}: ${e}`, {
      cause: e,
    });
  }
  loadedFrom = path;
}

/** The path the library was opened from, opening it first if needed. */
export function ensureLoaded(): string {
  if (loadedFrom !== undefined) return loadedFrom;
  const found = localCandidates().find(exists);
  if (found === undefined) {
    throw new Error(
      `deno_memfd could not find ${FILE}: build it with \`deno task build\`, ` +
        `or call loadLibrary(path)`,
    );
  }
  loadLibrary(found);
  return found;
}

/** Whether the library is open, without trying to open it. */
export function isLoaded(): boolean {
  return loadedFrom !== undefined;
}

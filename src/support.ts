/**
 * Whether deno_memfd can work here, asked without side effects.
 * @module
 */

import { ensureLoaded, isLoaded } from "./library.ts";

/**
 * Whether memfds can be used here and now: on Linux, with the native
 * library open or openable without asking for a permission. Never throws
 * and never prompts.
 *
 * @example
 * ```ts
 * import { isSupported, Memfd } from "@deno/memfd";
 * if (isSupported()) {
 *   using fd = Memfd.create("maybe");
 * }
 * ```
 */
export function isSupported(): boolean {
  if (Deno.build.os !== "linux") return false;
  if (isLoaded()) return true;
  try {
    if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") {
      return false;
    }
    ensureLoaded();
    return true;
  } catch {
    return false;
  }
}

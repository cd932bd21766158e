/**
 * Whether deno_memfd can work here, asked without side effects.
 * @module
 */

import { tryLoadQuietly } from "./library.ts";

/**
 * Whether memfds can be used here and now: on Linux, with the native
 * library open or openable with the permissions already granted. Never
 * throws and never prompts.
 *
 * @example
 * ```ts
 * import { isSupported, Memfd } from "@memfd/memfd";
 * import { assertEquals } from "@std/assert";
 * if (isSupported()) {
 *   using fd = Memfd.create("maybe", { size: 1 });
 *   assertEquals(fd.size, 1);
 * }
 * ```
 */
export function isSupported(): boolean {
  return tryLoadQuietly();
}

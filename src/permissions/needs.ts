/**
 * What each call that names a path needs: the grants Deno's own API for
 * the same act would demand (see `grants.ts`).
 * @module
 */

import {
  absolutePath,
  type Need,
  readGrant,
  unixSocketGrants,
  writeGrant,
} from "./grants.ts";

/**
 * What `MemfdListener.listen(path)` needs: what `Deno.listen({ transport:
 * "unix", path })` needs.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { listenNeeds } from "./needs.ts";
 * assertEquals(listenNeeds("/tmp/in.sock")[0].grants.length, 3); // on Deno 2.9
 * ```
 */
export function listenNeeds(path: string): Need[] {
  return [{
    grants: unixSocketGrants(path),
    why: `Deno.listen({ transport: "unix" }) needs the same grants`,
  }];
}

/**
 * What `memfd.sendTo(path)` needs: what `Deno.connect({ transport:
 * "unix", path })` needs.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { connectNeeds } from "./needs.ts";
 * assertEquals(connectNeeds("/tmp/in.sock")[0].grants.length, 3); // on Deno 2.9
 * ```
 */
export function connectNeeds(path: string): Need[] {
  return [{
    grants: unixSocketGrants(path),
    why: `Deno.connect({ transport: "unix" }) needs the same grants`,
  }];
}

/**
 * What `Memfd.open(path, { write })` needs: `--allow-read` for the path,
 * and `--allow-write` as well with `write`. Not the `--allow-all` that
 * `Deno.open` demands under `/proc`: that rule guards against reaching
 * any file (or process memory) through `/proc`, and `Memfd.open` can only
 * ever open a memfd.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { memfdOpenNeeds } from "./needs.ts";
 * assertEquals(
 *   memfdOpenNeeds("/proc/1/fd/3", true)[0].grants.map((g) => g.flag),
 *   ["--allow-read=/proc/1/fd/3", "--allow-write=/proc/1/fd/3"],
 * );
 * ```
 */
export function memfdOpenNeeds(path: string, write: boolean): Need[] {
  // An empty path names nothing (the kernel says ENOENT for every caller);
  // as a scope it would read as the current directory.
  if (path === "") return [];
  const absolute = absolutePath(path);
  const grants = [readGrant(absolute)];
  if (write) grants.push(writeGrant(absolute));
  return [{ grants }];
}

/**
 * What each call that names a path needs: the grants Deno's own API for
 * the same act would demand (see `grants.ts`).
 * @module
 */

import {
  allGranted,
  isFdPath,
  type Need,
  normalizePath,
  readGrant,
  specialGrants,
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
 * assertEquals(listenNeeds("/tmp/in.sock")[0]?.grants.length, 3); // on Deno 2.9
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
 * assertEquals(connectNeeds("/tmp/in.sock")[0]?.grants.length, 3); // on Deno 2.9
 * ```
 */
export function connectNeeds(path: string): Need[] {
  return [{
    grants: unixSocketGrants(path),
    why: `Deno.connect({ transport: "unix" }) needs the same grants`,
  }];
}

/** How `Memfd.open` goes about a path: see {@linkcode memfdOpenPlan}. */
export interface MemfdOpenPlan {
  /** The normalized path: the one checked, and the one to open. */
  path: string;
  /** The grants to hold before anything is looked up. */
  needs: Need[];
  /**
   * Whether the path may reach the memfd through any `/proc` magic link
   * (`--allow-all` is held); otherwise only through the last component of
   * an {@linkcode isFdPath} path.
   */
  anywhere: boolean;
}

/**
 * What `Memfd.open(path, { write })` needs and opens. The path is
 * {@linkcode normalizePath normalized} and that string is both checked and
 * opened. Exactly `/proc/<pid>/fd/<n>`, `/proc/self/fd/<n>` or
 * `/dev/fd/<n>` needs `--allow-read` for the path (and `--allow-write`
 * with `write`), not the `--allow-all` `Deno.open` demands there: the open
 * is done natively and can only ever open a memfd. Any other path needs
 * what `Deno.open` needs: `--allow-all` under `/proc`, `/dev` and `/sys`
 * (`/proc/<pid>/root/…`, `/proc/self/cwd/…`, a directory fd's link), and
 * elsewhere read/write of the path, with `--allow-all` again if it turns
 * out to reach the memfd through a magic link (a symlink to
 * `/proc/<pid>/fd/<n>`), which the native open refuses otherwise.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { memfdOpenPlan } from "./needs.ts";
 * const plan = memfdOpenPlan("/proc/1/fd/../fd/3", true);
 * assertEquals(plan.path, "/proc/1/fd/3");
 * assertEquals(
 *   plan.needs[0]?.grants.map((g) => g.flag),
 *   ["--allow-read=/proc/1/fd/3", "--allow-write=/proc/1/fd/3"],
 * );
 * assertEquals(
 *   memfdOpenPlan("/proc/1/root/proc/2/fd/3", false).needs[0]?.grants
 *     .map((g) => g.flag),
 *   ["--allow-read=/proc/1/root/proc/2/fd/3", "--allow-all"],
 * );
 * ```
 */
export function memfdOpenPlan(path: string, write: boolean): MemfdOpenPlan {
  // An empty path names nothing (the kernel says ENOENT for every caller);
  // as a scope it would read as the current directory.
  if (path === "") return { path, needs: [], anywhere: false };
  const normalized = normalizePath(path);
  const grants = [readGrant(normalized)];
  if (write) grants.push(writeGrant(normalized));
  if (isFdPath(normalized)) {
    return { path: normalized, needs: [{ grants }], anywhere: false };
  }
  const special = specialGrants(normalized);
  grants.push(...special);
  return {
    path: normalized,
    needs: [{
      grants,
      why: special.length > 0
        ? "Deno.open needs the same under /proc, /dev and /sys; only " +
          "/proc/<pid>/fd/<n> itself is opened with --allow-read alone"
        : undefined,
    }],
    anywhere: allGranted(),
  };
}

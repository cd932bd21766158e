/**
 * Refusing a call that lacks permission: which flags of its needs are
 * missing, merged into as few flags as the user must type, and the one
 * `Deno.errors.NotCapable` that names them all before anything is done.
 * @module
 */

import { type Grant, granted, type Need } from "./grants.ts";

/**
 * The flags of the grants in `grants` that are not held, in order, each
 * once.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { readGrant } from "./grants.ts";
 * import { missingFlags } from "./messages.ts";
 * assertEquals(missingFlags([readGrant("/"), readGrant("/")]), []); // under --allow-read
 * ```
 */
export function missingFlags(grants: readonly Grant[]): string[] {
  const missing = grants.filter((g) => !(g.held?.() ?? granted(g.descriptor)))
    .map((g) => g.flag);
  return [...new Set(missing)];
}

/**
 * `flags` with the scopes of one kind joined into one flag, in first-seen
 * order: `--allow-read=/a --allow-read=/b` becomes `--allow-read=/a,/b`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { mergeFlags } from "./messages.ts";
 * assertEquals(
 *   mergeFlags(["--allow-read=/a", "--allow-ffi=/l", "--allow-read=/b"]),
 *   ["--allow-read=/a,/b", "--allow-ffi=/l"],
 * );
 * ```
 */
export function mergeFlags(flags: readonly string[]): string[] {
  const scopes = new Map<string, string[]>();
  for (const flag of flags) {
    const eq = flag.indexOf("=");
    const name = eq < 0 ? flag : flag.slice(0, eq);
    const list = scopes.get(name) ?? [];
    if (eq >= 0) list.push(flag.slice(eq + 1));
    scopes.set(name, list);
  }
  return [...scopes].map(([name, list]) =>
    list.length === 0 ? name : `${name}=${[...new Set(list)].join(",")}`
  );
}

/**
 * The flags still missing for `needs`, merged, and the reasons of the
 * needs they belong to.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { readGrant } from "./grants.ts";
 * import { missingFor } from "./messages.ts";
 * assertEquals(missingFor([{ grants: [readGrant("/")], why: "x" }]), {
 *   flags: [],
 *   whys: [],
 * }); // under --allow-read
 * ```
 */
export function missingFor(
  needs: readonly Need[],
): { flags: string[]; whys: string[] } {
  const flags: string[] = [];
  const whys: string[] = [];
  for (const need of needs) {
    const missing = missingFlags(need.grants);
    if (missing.length === 0) continue;
    flags.push(...missing);
    if (need.why && !whys.includes(need.why)) whys.push(need.why);
  }
  return { flags: mergeFlags(flags), whys };
}

/**
 * Throws `Deno.errors.NotCapable` unless every grant of `needs` is held.
 * The message is `what` (what was refused, e.g. "Memfd.open(p) needs
 * permission"), then every missing flag, then the reasons of the needs
 * that are short.
 *
 * @example
 * ```ts
 * import { assertThrows } from "@std/assert";
 * import { writeGrant } from "./grants.ts";
 * import { requireAll } from "./messages.ts";
 * // The test task grants no writes under /etc.
 * assertThrows(
 *   () => requireAll("demo needs permission", [{ grants: [writeGrant("/etc/x")] }]),
 *   Deno.errors.NotCapable,
 *   "demo needs permission: run with --allow-write=/etc/x",
 * );
 * ```
 */
export function requireAll(what: string, needs: readonly Need[]): void {
  const { flags, whys } = missingFor(needs);
  if (flags.length === 0) return;
  throw notCapable(what, flags, whys);
}

/**
 * The `NotCapable` for `what`, missing the flags `missing`, with the
 * sentences `whys` after them.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { notCapable } from "./messages.ts";
 * const e = notCapable("x needs permission", ["--allow-read=/a"], ["Why"]);
 * assertEquals(e.message, "x needs permission: run with --allow-read=/a. Why");
 * ```
 */
export function notCapable(
  what: string,
  missing: readonly string[],
  whys: readonly string[] = [],
): Deno.errors.NotCapable {
  return new Deno.errors.NotCapable(
    [`${what}: run with ${missing.join(" ")}`, ...whys].join(". "),
  );
}

/**
 * The `NotCapable` for a `Memfd.open` of `path` (by `what`) that reached a
 * memfd through a magic link the grants do not cover.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { magicLinkRefusal } from "./messages.ts";
 * const e = magicLinkRefusal("Memfd.open(\"/tmp/l\")");
 * assertEquals(e.message.startsWith("Memfd.open(\"/tmp/l\") needs permission: run with --allow-all"), true);
 * ```
 */
export function magicLinkRefusal(what: string): Deno.errors.NotCapable {
  return notCapable(`${what} needs permission`, ["--allow-all"], [
    "The path reaches the memfd through a /proc magic link (a symlink to " +
    "/proc/<pid>/fd/<n>, or /proc/<pid>/root, cwd or a directory fd on the " +
    "way), which Deno.open allows only with --allow-all; open " +
    "/proc/<pid>/fd/<n> itself, which needs --allow-read for that path",
  ]);
}

/**
 * The permission boundary: every call that names a path asks Deno first,
 * with `Deno.permissions.querySync` (which never prompts: a prompt answered
 * "no" in a script without a terminal would leave the permission denied
 * for the rest of the process), whether the caller holds the grants Deno's
 * own API for the same act would demand. When any is missing, one
 * `NotCapable` names every missing flag and nothing is done.
 * @module
 */

/** A grant a call needs: what to ask Deno, and the flag that gives it. */
export interface Grant {
  /** What `Deno.permissions.querySync` is asked. */
  descriptor: Deno.PermissionDescriptor;
  /** The command-line flag that grants it, e.g. `--allow-read=/tmp/x`. */
  flag: string;
}

/**
 * Whether `descriptor` is granted right now. Never prompts; a descriptor
 * this Deno cannot express counts as not granted.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { granted } from "./grants.ts";
 * assertEquals(granted({ name: "read", path: "/" }), true); // under --allow-read
 * ```
 */
export function granted(descriptor: Deno.PermissionDescriptor): boolean {
  try {
    return Deno.permissions.querySync(descriptor).state === "granted";
  } catch {
    return false;
  }
}

/**
 * `path` made absolute against the current directory, the way Deno
 * resolves it for permission checks (no symlinks followed).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { absolutePath } from "./grants.ts";
 * assertEquals(absolutePath("/tmp/x.sock"), "/tmp/x.sock");
 * assertEquals(absolutePath("x.sock"), `${Deno.cwd()}/x.sock`);
 * ```
 */
export function absolutePath(path: string): string {
  if (path.startsWith("/")) return path;
  let cwd: string;
  try {
    cwd = Deno.cwd();
  } catch {
    // A deleted current directory (or a Deno that guards cwd): Deno's own
    // check then resolves the relative path itself.
    return path;
  }
  return `${cwd.replace(/\/$/, "")}/${path}`;
}

/**
 * `--allow-read` for `path`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { readGrant } from "./grants.ts";
 * assertEquals(readGrant("/tmp/a").flag, "--allow-read=/tmp/a");
 * ```
 */
export function readGrant(path: string): Grant {
  return { descriptor: { name: "read", path }, flag: `--allow-read=${path}` };
}

/**
 * `--allow-write` for `path`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { writeGrant } from "./grants.ts";
 * assertEquals(writeGrant("/tmp/a").flag, "--allow-write=/tmp/a");
 * ```
 */
export function writeGrant(path: string): Grant {
  return { descriptor: { name: "write", path }, flag: `--allow-write=${path}` };
}

/**
 * `--allow-ffi` for `path`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { ffiGrant } from "./grants.ts";
 * assertEquals(ffiGrant("/lib/x.so").flag, "--allow-ffi=/lib/x.so");
 * ```
 */
export function ffiGrant(path: string): Grant {
  return { descriptor: { name: "ffi", path }, flag: `--allow-ffi=${path}` };
}

/**
 * `--allow-net` for `host` (`name:port`).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { netGrant } from "./grants.ts";
 * assertEquals(netGrant("jsr.io").flag, "--allow-net=jsr.io");
 * ```
 */
export function netGrant(host: string): Grant {
  return { descriptor: { name: "net", host }, flag: `--allow-net=${host}` };
}

/**
 * Whether this Deno scopes Unix sockets under `--allow-net` (`unix:<path>`,
 * Deno 2.9 does); a Deno that cannot even express the descriptor does not
 * ask for it in `Deno.listen`/`Deno.connect` either.
 */
function netScopesUnixSockets(): boolean {
  try {
    Deno.permissions.querySync({ name: "net", host: "unix:/" });
    return true;
  } catch {
    return false;
  }
}

/**
 * What `Deno.listen({ transport: "unix", path })` and `Deno.connect({
 * transport: "unix", path })` demand on the running Deno (measured on 2.9:
 * read and write for the path, and net for `unix:<absolute path>`, which
 * only the exact path or an unscoped `--allow-net` covers).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { unixSocketGrants } from "./grants.ts";
 * assertEquals(unixSocketGrants("/tmp/in.sock").map((g) => g.flag), [
 *   "--allow-read=/tmp/in.sock",
 *   "--allow-write=/tmp/in.sock",
 *   "--allow-net=unix:/tmp/in.sock",
 * ]);
 * ```
 */
export function unixSocketGrants(path: string): Grant[] {
  const absolute = absolutePath(path);
  const grants = [readGrant(absolute), writeGrant(absolute)];
  if (netScopesUnixSockets()) grants.push(netGrant(`unix:${absolute}`));
  return grants;
}

/** Grants wanted for one reason; `why` is said when any of them is missing. */
export interface Need {
  /** The grants, each of which must be held. */
  grants: readonly Grant[];
  /** A sentence on why these are needed, e.g. "Deno.listen needs the same". */
  why?: string;
}

/**
 * The flags of the grants in `grants` that are not held, in order, each
 * once.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { missingFlags, readGrant } from "./grants.ts";
 * assertEquals(missingFlags([readGrant("/"), readGrant("/")]), []); // under --allow-read
 * ```
 */
export function missingFlags(grants: readonly Grant[]): string[] {
  const missing = grants.filter((g) => !granted(g.descriptor))
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
 * import { mergeFlags } from "./grants.ts";
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
 * import { missingFor, readGrant } from "./grants.ts";
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
 * import { requireAll, writeGrant } from "./grants.ts";
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
 * import { notCapable } from "./grants.ts";
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
 * What `MemfdListener.listen(path)` needs: what `Deno.listen({ transport:
 * "unix", path })` needs.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { listenNeeds } from "./grants.ts";
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
 * import { connectNeeds } from "./grants.ts";
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
 * import { memfdOpenNeeds } from "./grants.ts";
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

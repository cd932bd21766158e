/**
 * The permission boundary: every call that names a path asks Deno first,
 * with `Deno.permissions.querySync` (which never prompts: a prompt answered
 * "no" in a script without a terminal would leave the permission denied
 * for the rest of the process), whether the caller holds the grants Deno's
 * own API for the same act would demand. This file builds the grants and
 * asks about them; `needs.ts` says what each call needs, `messages.ts`
 * refuses a call with one `NotCapable` naming every missing flag.
 * @module
 */

/** A grant a call needs: what to ask Deno, and the flag that gives it. */
export interface Grant {
  /** What `Deno.permissions.querySync` is asked. */
  descriptor: Deno.PermissionDescriptor;
  /** The command-line flag that grants it, e.g. `--allow-read=/tmp/x`. */
  flag: string;
  /**
   * Asked instead of `descriptor` when set: for a grant no descriptor
   * expresses (`--allow-all`).
   */
  held?: () => boolean;
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
 * `path` as Deno's permission checks see it, and as this library then hands
 * it to the kernel: made absolute against the current directory, with
 * `.`, `..` and repeated or trailing slashes collapsed lexically (no
 * symlink followed), as Deno's `normalize_path` does. The kernel would
 * resolve `..` after a symlink to a directory from where the symlink
 * points; this string is the one that was checked, so it is the one used.
 * A relative path stays relative (still collapsed) only when the current
 * directory cannot be read.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { normalizePath } from "./grants.ts";
 * assertEquals(normalizePath("/tmp/d/up/../m"), "/tmp/d/m");
 * assertEquals(normalizePath("/tmp//a/./b/"), "/tmp/a/b");
 * assertEquals(normalizePath("/.."), "/");
 * assertEquals(normalizePath("x.sock"), `${Deno.cwd()}/x.sock`);
 * ```
 */
export function normalizePath(path: string): string {
  const whole = absolutePath(path);
  const rooted = whole.startsWith("/");
  const parts: string[] = [];
  for (const part of whole.split("/")) {
    if (part === "" || part === ".") continue;
    if (part !== "..") parts.push(part);
    else if (parts.length > 0 && parts.at(-1) !== "..") parts.pop();
    else if (!rooted) parts.push("..");
  }
  const joined = parts.join("/");
  return rooted ? `/${joined}` : joined === "" ? "." : joined;
}

/** Whether `path` is `prefix` or inside it, component by component. */
function under(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}/`);
}

/**
 * Whether every permission is granted with nothing denied: what Deno calls
 * `--allow-all` and demands for most paths under `/proc`, `/dev` and
 * `/sys`. No descriptor asks that (an unscoped read query answers
 * "granted" beside a `--deny-read`), so Deno's own check is asked: a stat
 * of `/proc/self`, which Deno refuses with `NotCapable` unless it is.
 * Never prompts: the stat is only tried once read is granted everywhere.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { allGranted } from "./grants.ts";
 * assertEquals(allGranted(), false); // the doc tests run without --allow-all
 * ```
 */
export function allGranted(): boolean {
  const names = ["read", "write", "net", "env", "sys", "run", "ffi"] as const;
  if (!names.every((name) => granted({ name }))) return false;
  try {
    Deno.statSync("/proc/self");
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable) return false;
  }
  return true;
}

/** `--allow-all`, asked with {@linkcode allGranted}. */
export const ALL_GRANT: Grant = {
  descriptor: { name: "read" },
  flag: "--allow-all",
  held: allGranted,
};

/** Paths under Deno's special prefixes that `Deno.open` lets through. */
const ORDINARY_DEVICES = new Set([
  "/dev/null",
  "/dev/zero",
  "/dev/random",
  "/dev/urandom",
]);

/**
 * What Deno 2.9 demands beyond read/write for opening the normalized path
 * `path` (its `check_special_file`): `--allow-all` anywhere under `/proc`,
 * `/dev` and `/sys`, except a few harmless devices, `/proc/pressure/*`
 * (nothing more) and any `…/environ` (`--allow-env`).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { specialGrants } from "./grants.ts";
 * assertEquals(specialGrants("/proc/1/root/x").map((g) => g.flag), ["--allow-all"]);
 * assertEquals(specialGrants("/tmp/x"), []);
 * ```
 */
export function specialGrants(path: string): Grant[] {
  if (!["/proc", "/dev", "/sys"].some((p) => under(path, p))) return [];
  if (ORDINARY_DEVICES.has(path) || path.startsWith("/proc/pressure/")) {
    return [];
  }
  if (path.endsWith("/environ")) {
    return [{ descriptor: { name: "env" }, flag: "--allow-env" }];
  }
  return [ALL_GRANT];
}

/**
 * Whether `path` (normalized) is exactly `/proc/<pid>/fd/<n>`,
 * `/proc/self/fd/<n>` or `/dev/fd/<n>`: the paths `Memfd.open` takes with
 * `--allow-read` of the path alone.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { isFdPath } from "./grants.ts";
 * assertEquals(isFdPath("/proc/12/fd/3"), true);
 * assertEquals(isFdPath("/proc/12/root/proc/13/fd/3"), false);
 * ```
 */
export function isFdPath(path: string): boolean {
  return /^(\/proc\/(self|[0-9]+)\/fd|\/dev\/fd)\/[0-9]+$/.test(path);
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
 * read and write for the {@linkcode normalizePath normalized} path,
 * `--allow-all` under `/proc`, `/dev` and `/sys`, and net for
 * `unix:<normalized path>`, which only the exact path or an unscoped
 * `--allow-net` covers). Deno then binds or connects to the normalized
 * path, and so does this library.
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
  const normalized = normalizePath(path);
  const grants = [readGrant(normalized), writeGrant(normalized)];
  grants.push(...specialGrants(normalized));
  if (netScopesUnixSockets()) grants.push(netGrant(`unix:${normalized}`));
  return grants;
}

/** Grants wanted for one reason; `why` is said when any of them is missing. */
export interface Need {
  /** The grants, each of which must be held. */
  grants: readonly Grant[];
  /** A sentence on why these are needed, e.g. "Deno.listen needs the same". */
  why?: string;
}

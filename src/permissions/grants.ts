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

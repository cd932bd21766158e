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
 * import { granted } from "./permissions.ts";
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
 * import { absolutePath } from "./permissions.ts";
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
 * import { normalizePath } from "./permissions.ts";
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
 * import { allGranted } from "./permissions.ts";
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
 * import { specialGrants } from "./permissions.ts";
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
 * import { isFdPath } from "./permissions.ts";
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
 * import { readGrant } from "./permissions.ts";
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
 * import { writeGrant } from "./permissions.ts";
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
 * import { ffiGrant } from "./permissions.ts";
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
 * import { netGrant } from "./permissions.ts";
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
 * import { unixSocketGrants } from "./permissions.ts";
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

/**
 * The flags of the grants in `grants` that are not held, in order, each
 * once.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { missingFlags, readGrant } from "./permissions.ts";
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
 * import { mergeFlags } from "./permissions.ts";
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
 * import { missingFor, readGrant } from "./permissions.ts";
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
 * import { requireAll, writeGrant } from "./permissions.ts";
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
 * import { notCapable } from "./permissions.ts";
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
 * import { listenNeeds } from "./permissions.ts";
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
 * import { connectNeeds } from "./permissions.ts";
 * assertEquals(connectNeeds("/tmp/in.sock")[0].grants.length, 3); // on Deno 2.9
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
 * import { memfdOpenPlan } from "./permissions.ts";
 * const plan = memfdOpenPlan("/proc/1/fd/../fd/3", true);
 * assertEquals(plan.path, "/proc/1/fd/3");
 * assertEquals(
 *   plan.needs[0].grants.map((g) => g.flag),
 *   ["--allow-read=/proc/1/fd/3", "--allow-write=/proc/1/fd/3"],
 * );
 * assertEquals(
 *   memfdOpenPlan("/proc/1/root/proc/2/fd/3", false).needs[0].grants
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

/**
 * The `NotCapable` for a `Memfd.open` of `path` (by `what`) that reached a
 * memfd through a magic link the grants do not cover.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { magicLinkRefusal } from "./permissions.ts";
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

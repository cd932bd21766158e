/**
 * Linux errno numbers and their names, from the runtime's own table
 * (`node:os` `constants.errno`, which needs no permission): the one source
 * of errno numbers in the TypeScript code.
 * @module
 */

import { constants } from "node:os";

const TABLE: Readonly<Record<string, number>> = constants.errno;

const NAMES = new Map<number, string>();
for (const [name, number] of Object.entries(TABLE)) {
  // Aliases (EWOULDBLOCK = EAGAIN, EDEADLOCK = EDEADLK) keep the first name.
  if (!NAMES.has(number)) NAMES.set(number, name);
}

function errno<const N extends string>(names: readonly N[]): Record<N, number> {
  const out = {} as Record<N, number>;
  for (const name of names) {
    const number = TABLE[name];
    if (number === undefined) throw new Error(`node:os lacks errno ${name}`);
    out[name] = number;
  }
  return Object.freeze(out);
}

/** An errno name the library refers to itself. */
export type ErrnoName =
  | "EPERM"
  | "ENOENT"
  | "EINTR"
  | "ENXIO"
  | "EBADF"
  | "EAGAIN"
  | "ENOMEM"
  | "EACCES"
  | "EFAULT"
  | "EBUSY"
  | "ENODEV"
  | "EINVAL"
  | "ENFILE"
  | "EMFILE"
  | "EFBIG"
  | "ENAMETOOLONG"
  | "ENODATA"
  | "EBADMSG"
  | "EPIPE"
  | "ECONNRESET"
  | "ETIMEDOUT"
  | "ECANCELED"
  | "EXDEV";

const USED: readonly ErrnoName[] = [
  "EPERM",
  "ENOENT",
  "EINTR",
  "ENXIO",
  "EBADF",
  "EAGAIN",
  "ENOMEM",
  "EACCES",
  "EFAULT",
  "EBUSY",
  "ENODEV",
  "EINVAL",
  "ENFILE",
  "EMFILE",
  "EFBIG",
  "ENAMETOOLONG",
  "ENODATA",
  "EBADMSG",
  "EPIPE",
  "ECONNRESET",
  "ETIMEDOUT",
  "ECANCELED",
  "EXDEV",
];

/**
 * Numbers for the errno names the library refers to itself.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { Errno } from "./errno.ts";
 * assertEquals(Errno.EBADF, 9);
 * ```
 */
export const Errno: Readonly<Record<ErrnoName, number>> = errno(USED);

/**
 * The symbolic name of a Linux errno (`"EPERM"`), or `"E<n>"`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { errnoName } from "./errno.ts";
 * assertEquals(errnoName(1), "EPERM");
 * assertEquals(errnoName(100000), "E100000");
 * ```
 */
export function errnoName(errno: number): string {
  return NAMES.get(errno) ?? `E${errno}`;
}

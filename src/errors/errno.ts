/**
 * Linux errno numbers and their names: the one source of errno numbers in
 * the TypeScript code. A table of its own, not `node:os`: a `node:` import
 * makes type-checking a consumer fail in folders with a `package.json` and
 * no `deno.json`. The numbers are the kernel's generic ones, the same on
 * x86_64 and aarch64 (`tests/constants_test.ts` checks them against the
 * runtime's own table).
 * @module
 */

/** Every Linux errno by name (aliases keep their first name only). */
const TABLE: Readonly<Record<string, number>> = Object.freeze({
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  EIO: 5,
  ENXIO: 6,
  E2BIG: 7,
  ENOEXEC: 8,
  EBADF: 9,
  ECHILD: 10,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  ENOTBLK: 15,
  EBUSY: 16,
  EEXIST: 17,
  EXDEV: 18,
  ENODEV: 19,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  ENFILE: 23,
  EMFILE: 24,
  ENOTTY: 25,
  ETXTBSY: 26,
  EFBIG: 27,
  ENOSPC: 28,
  ESPIPE: 29,
  EROFS: 30,
  EMLINK: 31,
  EPIPE: 32,
  EDOM: 33,
  ERANGE: 34,
  EDEADLK: 35,
  ENAMETOOLONG: 36,
  ENOLCK: 37,
  ENOSYS: 38,
  ENOTEMPTY: 39,
  ELOOP: 40,
  ENOMSG: 42,
  EIDRM: 43,
  ECHRNG: 44,
  EL2NSYNC: 45,
  EL3HLT: 46,
  EL3RST: 47,
  ELNRNG: 48,
  EUNATCH: 49,
  ENOCSI: 50,
  EL2HLT: 51,
  EBADE: 52,
  EBADR: 53,
  EXFULL: 54,
  ENOANO: 55,
  EBADRQC: 56,
  EBADSLT: 57,
  EBFONT: 59,
  ENOSTR: 60,
  ENODATA: 61,
  ETIME: 62,
  ENOSR: 63,
  ENONET: 64,
  ENOPKG: 65,
  EREMOTE: 66,
  ENOLINK: 67,
  EADV: 68,
  ESRMNT: 69,
  ECOMM: 70,
  EPROTO: 71,
  EMULTIHOP: 72,
  EDOTDOT: 73,
  EBADMSG: 74,
  EOVERFLOW: 75,
  ENOTUNIQ: 76,
  EBADFD: 77,
  EREMCHG: 78,
  ELIBACC: 79,
  ELIBBAD: 80,
  ELIBSCN: 81,
  ELIBMAX: 82,
  ELIBEXEC: 83,
  EILSEQ: 84,
  ERESTART: 85,
  ESTRPIPE: 86,
  EUSERS: 87,
  ENOTSOCK: 88,
  EDESTADDRREQ: 89,
  EMSGSIZE: 90,
  EPROTOTYPE: 91,
  ENOPROTOOPT: 92,
  EPROTONOSUPPORT: 93,
  ESOCKTNOSUPPORT: 94,
  ENOTSUP: 95,
  EPFNOSUPPORT: 96,
  EAFNOSUPPORT: 97,
  EADDRINUSE: 98,
  EADDRNOTAVAIL: 99,
  ENETDOWN: 100,
  ENETUNREACH: 101,
  ENETRESET: 102,
  ECONNABORTED: 103,
  ECONNRESET: 104,
  ENOBUFS: 105,
  EISCONN: 106,
  ENOTCONN: 107,
  ESHUTDOWN: 108,
  ETOOMANYREFS: 109,
  ETIMEDOUT: 110,
  ECONNREFUSED: 111,
  EHOSTDOWN: 112,
  EHOSTUNREACH: 113,
  EALREADY: 114,
  EINPROGRESS: 115,
  ESTALE: 116,
  EUCLEAN: 117,
  ENOTNAM: 118,
  ENAVAIL: 119,
  EISNAM: 120,
  EREMOTEIO: 121,
  EDQUOT: 122,
  ENOMEDIUM: 123,
  EMEDIUMTYPE: 124,
  ECANCELED: 125,
  ENOKEY: 126,
  EKEYEXPIRED: 127,
  EKEYREVOKED: 128,
  EKEYREJECTED: 129,
  EOWNERDEAD: 130,
  ENOTRECOVERABLE: 131,
  ERFKILL: 132,
});

const NAMES = new Map<number, string>();
for (const [name, number] of Object.entries(TABLE)) {
  if (!NAMES.has(number)) NAMES.set(number, name);
}

function errno<const N extends string>(names: readonly N[]): Record<N, number> {
  const out = {} as Record<N, number>;
  for (const name of names) {
    const number = TABLE[name];
    if (number === undefined) throw new Error(`no errno named ${name}`);
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
  | "EXDEV"
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
  | "ECANCELED";

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
  "EXDEV",
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

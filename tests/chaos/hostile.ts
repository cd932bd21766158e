/**
 * Hostile arguments: values every public call must refuse with the right
 * error class, and legal values at the edges (names, paths) that trip
 * careless parsing.
 * @module
 */

/** Values no numeric argument accepts, with the error each must raise. */
export const BAD_NUMBERS: readonly [unknown, string][] = [
  [NaN, "RangeError"],
  [-1, "RangeError"],
  [-4096, "RangeError"],
  [1.5, "RangeError"],
  [4096.25, "RangeError"],
  [Infinity, "RangeError"],
  [-Infinity, "RangeError"],
  [2 ** 53, "RangeError"],
  [2 ** 64, "RangeError"],
  [-(2 ** 63), "RangeError"],
  ["5", "TypeError"],
  ["", "TypeError"],
  [null, "TypeError"],
  [{}, "TypeError"],
  [[], "TypeError"],
  [true, "TypeError"],
  [5n, "TypeError"],
  [Symbol("s"), "TypeError"],
  [new Number(5), "TypeError"],
];

/** Values that are not a `Uint8Array`. */
export const BAD_BUFFERS: readonly unknown[] = [
  null,
  undefined,
  "bytes",
  [1, 2, 3],
  new ArrayBuffer(8),
  new Int8Array(8),
  new Uint8ClampedArray(8),
  new Uint16Array(4),
  new DataView(new ArrayBuffer(8)),
  { length: 8, byteLength: 8 },
  42,
];

/** Values that are not an options object. */
export const BAD_OPTIONS: readonly unknown[] = [
  null,
  "x",
  5,
  true,
  Symbol("o"),
];

/** Values that are not a seal name (some are object keys, or seal bits). */
export const BAD_SEALS: readonly unknown[] = [
  "bogus",
  "SEAL",
  "Write",
  "toString",
  "__proto__",
  "constructor",
  "",
  1,
  0x8,
  null,
  undefined,
  {},
];

/** Legal memfd names that look like paths, suffixes or limits. */
export const NAMES: readonly string[] = [
  "chaos",
  "",
  "a b/c",
  "é中文🙂",
  "x (deleted)",
  "tab\tand\nnewline",
  "x".repeat(249),
  "é".repeat(124),
  "/memfd:fake",
  "..",
];

/** Paths that are not a memfd (or not anything). */
export const NON_MEMFD_PATHS: readonly string[] = [
  "/proc/self/status",
  "/dev/null",
  "/tmp",
  "/nonexistent/chaos",
  "",
  "relative/path",
  "/proc/self/fd/999999",
];

/**
 * Checks for values that JavaScript cannot pass to the kernel faithfully.
 * @module
 */

// Every TypeError and RangeError of input validation reads
// "<public call>: <what> must be <rule>, got <the value>": `what` names the
// call and the argument ("Memfd.create: size"), `shown` echoes the value,
// and one kind of bound is worded one way ("from 0 to 2^31-1 ms").

/**
 * `value` as an error message echoes it: numbers and strings as written
 * (`-1`, `"huge"`), `null` and `undefined` by name, other values by kind
 * (`an object`, `an array`, `a function`, `a Uint16Array`).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { shown } from "./validate.ts";
 * assertEquals(shown(-1), "-1");
 * assertEquals(shown("x"), '"x"');
 * assertEquals(shown(new Uint16Array(1)), "a Uint16Array");
 * ```
 */
export function shown(value: unknown): string {
  switch (typeof value) {
    case "number":
      return Object.is(value, -0) ? "-0" : String(value);
    case "string":
      return JSON.stringify(
        value.length > 40 ? `${value.slice(0, 40)}…` : value,
      );
    case "bigint":
      return `${value}n`;
    case "boolean":
    case "undefined":
      return String(value);
    case "symbol":
      return value.toString();
    case "function":
      return "a function";
  }
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  const kind = (value as { constructor?: { name?: unknown } }).constructor
    ?.name;
  return typeof kind === "string" && kind !== "Object"
    ? `a${/^[AEIO]/.test(kind) ? "n" : ""} ${kind}`
    : "an object";
}

/**
 * `value` as a non-negative safe integer: a `TypeError` when it is not a
 * number, a `RangeError` naming `what` when it is negative, fractional, NaN
 * or above `Number.MAX_SAFE_INTEGER`.
 */
export function toIndex(value: unknown, what: string): number {
  return toWhole(value, what, Number.MAX_SAFE_INTEGER, "2^53-1");
}

/**
 * `value` as a whole number from `min` to `max`: a `TypeError` when it is
 * not a number, a `RangeError` naming `what` and the bounds (`bound`
 * writes `max`, with its unit: `"2^31-1 ms (about 24 days)"`) otherwise.
 *
 * @example
 * ```ts
 * import { assertThrows } from "@std/assert";
 * import { toWhole } from "./validate.ts";
 * assertThrows(
 *   () => toWhole(-1, "X.wait: timeout", 0x7fffffff, "2^31-1 ms"),
 *   RangeError,
 *   "X.wait: timeout must be a whole number from 0 to 2^31-1 ms, got -1",
 * );
 * ```
 */
export function toWhole(
  value: unknown,
  what: string,
  max: number,
  bound: string,
  min = 0,
): number {
  if (typeof value !== "number") {
    throw new TypeError(`${what} must be a number, got ${shown(value)}`);
  }
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new RangeError(
      `${what} must be a whole number from ${min} to ${bound}, got ${
        shown(value)
      }`,
    );
  }
  return value;
}

/** `value` as a `Uint8Array`, or a `TypeError` naming `what`. */
export function toBytes(value: unknown, what: string): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new TypeError(`${what} must be a Uint8Array, got ${shown(value)}`);
  }
  return value;
}

/**
 * `value` as a plain options object (or `{}` for undefined) whose keys are
 * all in `keys`: an unknown key is a `TypeError` naming it, the valid keys
 * and the likeliest one meant. `what` names the bag, e.g.
 * `"Memfd.create options"`; `aliases` maps words users reach for to the
 * key that means it (`{ length: "size" }`).
 */
export function toOptions<T extends object>(
  value: T | undefined,
  what: string,
  keys: readonly (keyof T & string)[],
  aliases: Readonly<Record<string, string>> = {},
): T {
  if (value === undefined) return NO_OPTIONS as T;
  if (typeof value !== "object" || value === null) {
    throw new TypeError(`${what} must be an object, got ${shown(value)}`);
  }
  for (const key of Object.keys(value)) {
    if ((keys as readonly string[]).includes(key)) continue;
    const guess = Object.hasOwn(aliases, key)
      ? aliases[key]
      : closest(key, keys);
    const hint = guess === undefined ? "" : `; did you mean '${guess}'?`;
    throw new TypeError(
      `${what}: unknown option '${key}' (valid: ${
        keys.map((k) => `'${k}'`).join(", ")
      })${hint}`,
    );
  }
  return value;
}

/** What an omitted options bag reads as: shared, so nothing is allocated. */
const NO_OPTIONS = Object.freeze({});

/**
 * The key `key` abbreviates (`pos` → `position`), or the one within a few
 * edits of it, if any.
 */
function closest(key: string, keys: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  const abbreviated = keys.filter((k) =>
    lower.length >= 3 && k.toLowerCase().startsWith(lower)
  );
  if (abbreviated.length === 1) return abbreviated[0];
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(key.length / 3)) + 1;
  for (const candidate of keys) {
    const d = distance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best;
}

/** Levenshtein distance: option names are short, the table is tiny. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      // Both rows have b.length + 1 cells, and row[j - 1] was just set.
      row[j] = Math.min(
        previous[j]! + 1,
        row[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = row;
  }
  return previous[b.length]!; // the last of its b.length + 1 cells
}

/** `value` as a boolean with a default, or a `TypeError` naming `what`. */
export function toBoolean(
  value: unknown,
  fallback: boolean,
  what: string,
): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") {
    throw new TypeError(`${what} must be a boolean, got ${shown(value)}`);
  }
  return value;
}

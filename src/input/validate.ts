/**
 * Checks for values that JavaScript cannot pass to the kernel faithfully.
 * @module
 */

/**
 * `value` as a non-negative safe integer: a `TypeError` when it is not a
 * number, a `RangeError` naming `what` when it is negative, fractional, NaN
 * or above `Number.MAX_SAFE_INTEGER`.
 */
export function toIndex(value: unknown, what: string): number {
  if (typeof value !== "number") {
    throw new TypeError(`${what} must be a number, got ${typeof value}`);
  }
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(
      `${what} must be a whole number from 0 to 2^53-1, got ${value}`,
    );
  }
  return value;
}

/** `value` as a `Uint8Array`, or a `TypeError` naming `what`. */
export function toBytes(value: unknown, what: string): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new TypeError(`${what} must be a Uint8Array`);
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
    throw new TypeError(`${what} must be an object, got ${describe(value)}`);
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

function describe(value: unknown): string {
  return value === null ? "null" : typeof value;
}

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
    throw new TypeError(`${what} must be a boolean, got ${typeof value}`);
  }
  return value;
}

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

/** `value` as a plain options object (or `{}` for undefined). */
export function toOptions<T extends object>(
  value: T | undefined,
  what: string,
): T {
  if (value === undefined) return {} as T;
  if (typeof value !== "object" || value === null) {
    throw new TypeError(`${what} must be an object`);
  }
  return value;
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

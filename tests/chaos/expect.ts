/**
 * What a call may do (succeed, or fail with one of some errors), and how a
 * thrown value is named: a `MemfdError` by its code, otherwise by class.
 * Anything else thrown, or a malformed `MemfdError`, is a mismatch.
 * @module
 */

import { MemfdError } from "../../mod.ts";

/** The model and the library disagree. */
export class Mismatch extends Error {
  override name = "Mismatch";
}

export function mismatch(message: string): never {
  throw new Mismatch(message);
}

/** What a call may do: succeed (`ok`), or fail with one of `errors`. */
export interface Expect {
  ok: boolean;
  /** "TypeError", "RangeError", "MemfdError" (any code) or an errno name. */
  errors: readonly string[];
}

export const OK: Expect = { ok: true, errors: [] };
export const fails = (...errors: string[]): Expect => ({ ok: false, errors });
export const okOr = (...errors: string[]): Expect => ({ ok: true, errors });

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: string };

/** The name `errors` use for what `what` threw. */
export function classify(e: unknown, what: string): string {
  if (e instanceof MemfdError) {
    if (
      typeof e.code !== "string" || !/^E[A-Z0-9]+$/.test(e.code) ||
      !Number.isInteger(e.errno) || e.errno <= 0 ||
      typeof e.syscall !== "string" || !e.message.includes(e.code)
    ) {
      mismatch(`${what}: malformed MemfdError ${e.stack}`);
    }
    return e.code;
  }
  if (e instanceof TypeError) return "TypeError";
  if (e instanceof RangeError) return "RangeError";
  mismatch(
    `${what}: threw something other than TypeError, RangeError or MemfdError: ${
      e instanceof Error ? e.stack : String(e)
    }`,
  );
}

/** Whether a failure named `error` is one that `expect` allows. */
export function allows(expect: Expect, error: string): boolean {
  return expect.errors.some((e) =>
    e === error || (e === "MemfdError" && error.startsWith("E"))
  );
}

/** The outcomes `expect` allows, for a message. */
export function describe(expect: Expect): string {
  return [expect.ok ? "success" : "", ...expect.errors].filter(Boolean)
    .join(" or ");
}

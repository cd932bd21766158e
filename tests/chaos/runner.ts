/**
 * The core of every chaos suite: the seeded random source, the call log
 * kept for failure reports, and calls judged against what the model
 * expects (counting what ran, what failed how, and what succeeded).
 * @module
 */

import { fmt } from "./format.ts";
import {
  allows,
  classify,
  describe,
  type Expect,
  mismatch,
  type Outcome,
} from "./expect.ts";
import { Rng } from "./rng.ts";

/** Calls kept for the report of a failure. */
const LOG_LINES = 40;

/** One reproducible run of any suite. */
export class Runner {
  readonly rng: Rng;
  readonly seed: number;
  readonly trace: boolean;
  step = 0;
  op = "";
  readonly log: string[] = [];
  readonly counts: Record<string, number> = {};
  readonly errors: Record<string, number> = {};
  readonly successes: Record<string, number> = {};
  /** What the last refused call threw. */
  lastError: unknown;

  constructor(seed: number, trace: boolean) {
    this.seed = seed;
    this.rng = new Rng(seed);
    this.trace = trace;
  }

  note(line: string): void {
    const entry = `#${this.step} ${line}`;
    this.log.push(entry);
    if (this.log.length > LOG_LINES) this.log.shift();
    if (this.trace) console.error(entry);
  }

  #judge<T>(what: string, expect: Expect, outcome: Outcome<T>): Outcome<T> {
    if (outcome.ok) {
      const call = /^[\w.]+/.exec(what)?.[0] ?? what;
      this.successes[call] = (this.successes[call] ?? 0) + 1;
      if (!expect.ok) {
        mismatch(
          `${what}: succeeded (${fmt(outcome.value)}), expected ${
            expect.errors.join(" or ")
          }`,
        );
      }
    } else {
      if (!allows(expect, outcome.error)) {
        mismatch(
          `${what}: failed with ${outcome.error}, expected ${describe(expect)}`,
        );
      }
      this.errors[outcome.error] = (this.errors[outcome.error] ?? 0) + 1;
    }
    return outcome;
  }

  /** Runs `f`, checks its outcome against `expect`. */
  call<T>(what: string, expect: Expect, f: () => T, log = true): Outcome<T> {
    if (log) this.note(what);
    let outcome: Outcome<T>;
    try {
      outcome = { ok: true, value: f() };
    } catch (e) {
      this.lastError = e;
      outcome = { ok: false, error: classify(e, what) };
    }
    return this.#judge(what, expect, outcome);
  }

  /** {@linkcode Runner.call} for a call returning a promise. */
  async callAsync<T>(
    what: string,
    expect: Expect,
    f: () => Promise<T>,
  ): Promise<Outcome<T>> {
    this.note(what);
    let outcome: Outcome<T>;
    let promise: Promise<T>;
    try {
      promise = f();
    } catch (e) {
      mismatch(`${what}: threw synchronously instead of rejecting: ${e}`);
    }
    try {
      outcome = { ok: true, value: await promise };
    } catch (e) {
      this.lastError = e;
      outcome = { ok: false, error: classify(e, what) };
    }
    return this.#judge(what, expect, outcome);
  }

  /** The message of the last refused call must say `pattern`. */
  lastErrorSays(pattern: RegExp, what: string): void {
    const message = (this.lastError as Error).message;
    if (!pattern.test(message)) {
      mismatch(
        `${what}: the error message does not match ${pattern}: ${message}`,
      );
    }
  }
}

/**
 * `promise`, marked as handled: for calls started together and judged one
 * after another, so that one rejecting while an earlier one is awaited is
 * not an unhandled rejection (which ends the process).
 */
export function later<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
}

/** A suite: the calls it makes, how often, and its whole-state checks. */
export interface Suite {
  readonly runner: Runner;
  /** Runs before the first step. */
  setup?(): Promise<void>;
  /** Each kind of step: its weight and what it does. */
  readonly ops: Readonly<
    Record<string, readonly [number, () => void | Promise<void>]>
  >;
  /** Compares the whole state with the model. */
  check(why: string): void | Promise<void>;
  /** Closes everything and checks nothing is left behind. */
  teardown(): void | Promise<void>;
}

/** Steps between whole-state checks. */
const FULL_CHECK_EVERY = 50;

/** Runs `steps` random steps of `suite`, then its final check and teardown. */
export async function runSuite(suite: Suite, steps: number): Promise<void> {
  const r = suite.runner;
  const weights: Record<string, number> = {};
  for (const [op, [weight]] of Object.entries(suite.ops)) weights[op] = weight;
  await suite.setup?.();
  for (r.step = 1; r.step <= steps; r.step++) {
    const op = r.rng.weighted(weights);
    r.op = op;
    r.counts[op] = (r.counts[op] ?? 0) + 1;
    await suite.ops[op]![1](); // weighted() picks one of its keys
    if (r.step % FULL_CHECK_EVERY === 0) await suite.check("periodic check");
  }
  r.step = steps + 1;
  r.op = "teardown";
  await suite.check("final check");
  await suite.teardown();
}

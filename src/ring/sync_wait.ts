/**
 * The deadline of a synchronous ring wait (`waitReadableSync`,
 * `waitWritableSync`): its options, and the `TimeoutError` the async
 * waits reject with, thrown instead.
 * @module
 */

import { toOptions } from "../input/validate.ts";
import { toTimeout } from "../input/abort.ts";

/** What ends a synchronous wait early: only time (nothing else can run). */
interface SyncWaitOptions {
  timeout?: number;
}

/**
 * When a synchronous wait named `what` (e.g. `"RingBuffer.waitReadableSync"`)
 * gives up, from its `options`: checked as strictly as the async waits'
 * (a `TypeError` for an unknown key or a non-number, a `RangeError` for a
 * negative, fractional or too large timeout). A `signal` is refused with
 * a hint: no abort can fire while the thread is blocked.
 */
export class SyncDeadline {
  readonly #what: string;
  readonly #timeout: number | undefined;
  readonly #until: number;

  constructor(options: SyncWaitOptions | undefined, what: string) {
    if (
      typeof options === "object" && options !== null &&
      Object.hasOwn(options, "signal")
    ) {
      throw new TypeError(
        `${what} options: 'signal' cannot end a synchronous wait (nothing ` +
          `else runs on the thread while it blocks); pass 'timeout', or use ` +
          `the async wait with a signal`,
      );
    }
    const o = toOptions(options, `${what} options`, ["timeout"], {
      timeoutMs: "timeout",
      ms: "timeout",
    });
    const timeout = toTimeout(o.timeout, what);
    this.#what = what;
    this.#timeout = timeout;
    this.#until = timeout === undefined
      ? Infinity
      : performance.now() + timeout;
  }

  /**
   * Milliseconds the next futex wait may sleep: at most `slice`, never
   * past the deadline (rounded up, so it is not spun away in 0 ms waits).
   * Throws the `TimeoutError` once the deadline has passed.
   */
  next(slice: number): number {
    const left = this.#until - performance.now();
    if (left <= 0) {
      throw new DOMException(
        `${this.#what} timed out after ${this.#timeout} ms`,
        "TimeoutError",
      );
    }
    return Math.min(slice, Math.ceil(left));
  }
}

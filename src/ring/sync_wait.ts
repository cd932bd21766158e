/**
 * The deadline of a synchronous ring wait (`waitReadableSync`,
 * `waitWritableSync`): its options, and the `TimeoutError` the async
 * waits reject with, thrown instead.
 * @module
 */

import { toOptions } from "../input/validate.ts";
import { toTimeout } from "../input/abort.ts";
import { toSpin } from "./spin.ts";

/**
 * Options of {@linkcode RingBuffer.waitReadableSync} and
 * {@linkcode RingBuffer.waitWritableSync}: what ends the wait early (only
 * time: nothing else can run on the blocked thread), and how long to spin
 * before sleeping.
 *
 * @example Spin up to 20 µs, give up after a second
 * ```ts
 * import { RingBuffer, type SyncWaitOptions } from "@memfd/memfd";
 * import { assertEquals } from "@std/assert";
 * using ring = RingBuffer.create(4096);
 * ring.write(new Uint8Array(5));
 * const options: SyncWaitOptions = { spin: 20, timeout: 1000 };
 * assertEquals(ring.waitReadableSync(options), 5);
 * ```
 *
 * @throws {TypeError} (from the wait it is passed to) when it is not an
 *   object, has an unknown key (`signal` included), or a value of the
 *   wrong type.
 * @throws {RangeError} (from the wait) when `timeout` or `spin` is
 *   negative, fractional or too large.
 */
export interface SyncWaitOptions {
  /**
   * Milliseconds to wait at most; then the wait throws a `DOMException`
   * named `"TimeoutError"`. 0 polls (and never spins).
   */
  timeout?: number;
  /**
   * Microseconds to check the index before sleeping on the futex (at most
   * 1 000 000); 0 sleeps at once. Each µs spun is a µs of this thread's
   * CPU. Default: adaptive, at most 20 µs per wait (see
   * {@linkcode RingWaitOptions.spin}).
   */
  spin?: number;
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
  /** The `spin` option, µs; `undefined` for the adaptive default. */
  readonly spin: number | undefined;

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
    const o = toOptions(options, `${what} options`, ["timeout", "spin"], {
      timeoutMs: "timeout",
      ms: "timeout",
      spinUs: "spin",
    });
    const timeout = toTimeout(o.timeout, what);
    this.spin = toSpin(o.spin, what);
    this.#what = what;
    this.#timeout = timeout;
    this.#until = timeout === undefined
      ? Infinity
      : performance.now() + timeout;
  }

  /** `us` µs of spinning, cut to what is left before the deadline. */
  spinLimit(us: number): number {
    if (this.#timeout === undefined) return us;
    return Math.min(us, 1000 * (this.#until - performance.now()));
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

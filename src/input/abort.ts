/**
 * `{ signal, timeout }` for waits: what ends a wait early, and with what.
 * @module
 */

import { shown, toOptions, toWhole } from "./validate.ts";

/**
 * Options of a wait ({@linkcode RingBuffer.waitReadable},
 * {@linkcode RingBuffer.waitWritable}, {@linkcode MemfdListener.receive}).
 *
 * @example Give up after a second
 * ```ts
 * import { RingBuffer, type WaitOptions } from "@memfd/memfd";
 * import { assertEquals, assertRejects } from "@std/assert";
 * using ring = RingBuffer.create(4096);
 * const options: WaitOptions = { timeout: 1000 };
 * const error = await assertRejects(
 *   () => ring.waitReadable(options),
 *   DOMException,
 * );
 * assertEquals(error.name, "TimeoutError");
 * ```
 *
 * @throws {TypeError} (as a rejection of the wait it is passed to) when it
 *   is not an object, has an unknown key, `signal` is not an
 *   `AbortSignal`, or `timeout` is not a number.
 * @throws {RangeError} (as a rejection of the wait) when `timeout` is
 *   negative, fractional or above 2^31-1 ms.
 */
export interface WaitOptions {
  /**
   * Aborting it ends the wait: the promise rejects with `signal.reason`.
   * An already aborted signal rejects at once.
   */
  signal?: AbortSignal;
  /**
   * Milliseconds to wait at most; then the promise rejects with a
   * `DOMException` named `"TimeoutError"` (as `AbortSignal.timeout` does).
   * 0 polls: it resolves only if the wait is over already.
   */
  timeout?: number;
}

/**
 * One wait's cancellation: from `signal` or `timeout`, whichever comes
 * first. `onAbort` runs once when it does (to wake the native wait); the
 * waiting code then calls {@linkcode Cancellation.throwIfAborted} once the
 * native call has returned, so nothing is left waiting natively when the
 * promise rejects. Dispose it when the wait ends: the timer and the
 * listener go.
 */
export class Cancellation implements Disposable {
  #signal: AbortSignal | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #aborted = false;
  #reason: unknown;
  #onAbort: () => void;
  #listener = () => this.#abort(this.#signal!.reason);

  /**
   * Checks `options` (a `TypeError` for unknown keys or a signal that is
   * not an `AbortSignal`, a `RangeError` for a bad timeout) for the call
   * named `what`, e.g. `"RingBuffer.waitReadable"`.
   */
  constructor(
    options: WaitOptions | undefined,
    what: string,
    onAbort: () => void,
  ) {
    const o = toOptions(options, `${what} options`, ["signal", "timeout"], {
      abort: "signal",
      abortSignal: "signal",
      timeoutMs: "timeout",
      ms: "timeout",
    });
    if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) {
      throw new TypeError(
        `${what}: signal must be an AbortSignal, got ${shown(o.signal)}`,
      );
    }
    const timeout = toTimeout(o.timeout, what);
    this.#onAbort = onAbort;
    this.#signal = o.signal;
    if (o.signal?.aborted) {
      this.#aborted = true;
      this.#reason = o.signal.reason;
      return;
    }
    o.signal?.addEventListener("abort", this.#listener, { once: true });
    if (timeout !== undefined) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#abort(
          new DOMException(
            `${what} timed out after ${timeout} ms`,
            "TimeoutError",
          ),
        );
      }, timeout);
    }
  }

  /** Whether the signal fired or the timeout passed. */
  get aborted(): boolean {
    return this.#aborted;
  }

  /** Throws the abort reason if the wait was cancelled. */
  throwIfAborted(): void {
    if (this.#aborted) throw this.#reason;
  }

  /** Removes the listener and the timer. */
  [Symbol.dispose](): void {
    this.#signal?.removeEventListener("abort", this.#listener);
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this[Symbol.dispose]();
    this.#onAbort();
  }
}

/**
 * A wait's `timeout` option in ms: a whole number up to 2^31-1 (what the
 * native futex wait takes), or `undefined` for no timeout.
 */
export function toTimeout(value: unknown, what: string): number | undefined {
  if (value === undefined) return undefined;
  return toWhole(
    value,
    `${what}: timeout`,
    0x7fffffff,
    "2^31-1 ms (about 24 days)",
  );
}

/**
 * Waiting until the other side of a ring moves an index: first a bounded
 * spin that checks the index in JavaScript (no FFI call, no system call;
 * its budget adapts, `src/ring/spin.ts`), then the futex waits, async (off
 * the event loop) and sync (on the calling thread), in slices of 100 ms
 * that check the peer is still there; the waiting flags that tell the
 * other side to wake a sleeper, and the wakes themselves.
 * @module
 */

import { dm_futex_wait, dm_futex_wait_sync, dm_futex_wake } from "../native.ts";
import { Errno } from "../errors/errno.ts";
import { memfdFailure } from "../errors/failures.ts";
import { pinMapping } from "../mapping/pins.ts";
import { Cancellation, type WaitOptions } from "../input/abort.ts";
import { toOptions } from "../input/validate.ts";
import {
  type Role,
  SLOT_ENDED,
  SLOT_HEAD,
  SLOT_READER_WAITING,
  SLOT_TAIL,
} from "./header.ts";
import { peerGone } from "./peer.ts";
import { SyncDeadline, type SyncWaitOptions } from "./sync_wait.ts";
import { canSpin, SpinBudget, spinFor, toSpin } from "./spin.ts";

/**
 * Options of {@linkcode RingBuffer.waitReadable} and
 * {@linkcode RingBuffer.waitWritable}: those of every wait, and how long
 * to spin before sleeping.
 *
 * @example Sleep at once: no CPU spent spinning
 * ```ts
 * import { RingBuffer, type RingWaitOptions } from "@memfd/memfd";
 * import { assertEquals } from "@std/assert";
 * using ring = RingBuffer.create(4096);
 * setTimeout(() => ring.write(new Uint8Array(3)), 10);
 * const options: RingWaitOptions = { spin: 0, timeout: 10_000 };
 * assertEquals(await ring.waitReadable(options), 3);
 * ```
 *
 * @throws {TypeError} (as a rejection of the wait it is passed to) when it
 *   is not an object, has an unknown key, or a value of the wrong type.
 * @throws {RangeError} (as a rejection of the wait) when `timeout` or
 *   `spin` is negative, fractional or too large.
 */
export interface RingWaitOptions extends WaitOptions {
  /**
   * Microseconds to check the index in JavaScript before sleeping on the
   * futex (at most 1 000 000); 0 sleeps at once. Each µs spun is a µs of
   * one CPU. Default: adaptive, 20 µs while spins pay off, 0 after one
   * that failed (probing again after 2, 4, … 1024 waits), and always 0
   * when this process may use one CPU only.
   */
  spin?: number;
}

/** A sleeping wait wakes this often to notice a `close()` it missed. */
const WAIT_SLICE_MS = 100;
const { EAGAIN, ETIMEDOUT, EINTR } = Errno;

/** The ring a wait is on, as the waits need to see it. */
export interface WaitingSide {
  /** Whether the ring was closed (its header is then unmapped). */
  isClosed(): boolean;
  /**
   * The header for call `op` by the side opposite `peer`, recording this
   * process in that role; `MemfdError` `EBADF` once the ring is closed.
   */
  enter(op: string, peer: Role): Int32Array;
}

/** What a wait returns now, or `undefined` to sleep on. */
export type Settled = () => number | undefined;

/**
 * Whether the index in `indexSlot` of header `h`, or end of stream, moved
 * since they read `seen` and `ended`: the re-check after raising the
 * waiting flag (the other side stores before it reads the flag).
 */
function moved(
  h: Int32Array,
  indexSlot: number,
  seen: number,
  ended: number,
): boolean {
  return Atomics.load(h, indexSlot) !== seen ||
    Atomics.load(h, SLOT_ENDED) !== ended;
}

/** The async waits' options bag: its keys, and the spellings it corrects. */
const ASYNC_KEYS = ["signal", "timeout", "spin"] as const;
const ALIASES = {
  abort: "signal",
  abortSignal: "signal",
  timeoutMs: "timeout",
  ms: "timeout",
  spinUs: "spin",
};

/**
 * `options` of an async ring wait named `what`, checked: the `spin` budget
 * apart, and the rest for {@linkcode Cancellation}.
 */
function splitOptions(
  options: RingWaitOptions | undefined,
  what: string,
): [WaitOptions | undefined, number | undefined] {
  if (options === undefined) return [undefined, undefined];
  const o = toOptions(options, `${what} options`, [...ASYNC_KEYS], ALIASES);
  if (!Object.hasOwn(o, "spin")) return [o, undefined];
  const spin = toSpin(o.spin, what);
  return [{ signal: o.signal, timeout: o.timeout }, spin];
}

/** The futexes of one ring's header, and this side's sleepers on them. */
export class RingFutexes {
  readonly #side: WaitingSide;
  readonly #name: string;
  /** The header page, pinned while an async wait sleeps on it. */
  readonly #buffer: ArrayBuffer;
  /** Address of the header mapping, for futex waits and wakes. */
  readonly #addr: number;
  /** Waits in flight, per waiting-flag slot, to withdraw on close. */
  readonly #sleeping = new Map<number, number>();
  /** The adaptive spin budgets, per index waited on. */
  readonly #budgets = new Map<number, SpinBudget>();

  constructor(side: WaitingSide, name: string, header: ArrayBuffer) {
    this.#side = side;
    this.#name = name;
    this.#buffer = header;
    const pointer = Deno.UnsafePointer.of(header);
    this.#addr = Number(Deno.UnsafePointer.value(pointer));
    const spins = canSpin();
    this.#budgets.set(SLOT_HEAD, new SpinBudget(spins));
    this.#budgets.set(SLOT_TAIL, new SpinBudget(spins));
  }

  /** Wakes every sleeper on the index in `indexSlot`. */
  wake(indexSlot: number): void {
    dm_futex_wake(this.#addr + 4 * indexSlot);
  }

  /**
   * On close: withdraws this side's sleepers from the shared flags in the
   * header `h`, then wakes them: their native waits return before the
   * header is unmapped.
   */
  withdraw(h: Int32Array): void {
    for (const [slot, count] of this.#sleeping) {
      Atomics.sub(h, slot, count);
      this.wake(slot === SLOT_READER_WAITING ? SLOT_HEAD : SLOT_TAIL);
    }
    this.#sleeping.clear();
  }

  /**
   * The spin phase of a wait on `indexSlot` of header `h`, for at most
   * `us` µs, told to `budget`: true when the index (or end of stream)
   * moved meanwhile.
   */
  #spin(
    h: Int32Array,
    indexSlot: number,
    us: number,
    budget: SpinBudget,
  ): boolean {
    if (!(us > 0)) {
      budget.slept();
      return false;
    }
    const seen = Atomics.load(h, indexSlot);
    const ended = Atomics.load(h, SLOT_ENDED);
    const took = spinFor(us, () => moved(h, indexSlot, seen, ended));
    if (took < 0) budget.failed();
    else budget.spun(took);
    return took >= 0;
  }

  /**
   * Waits until `settled()` gives a number: spins for the budget, then
   * sleeps. The waiting flag is raised before the index and `ended` are
   * loaded again, and the other side stores its index (or `ended`) before
   * it reads the flag (both sequentially consistent), so either this side
   * sees the move or the other side sees the flag and wakes it; the futex
   * itself refuses to sleep when the index moved since `seen`.
   */
  async wait(
    op: string,
    indexSlot: number,
    flagSlot: number,
    settled: Settled,
    peer: Role,
    options: RingWaitOptions | undefined,
  ): Promise<number> {
    const side = this.#side;
    const what = `RingBuffer.${op}`;
    const [waitOptions, spinOption] = splitOptions(options, what);
    // Aborting wakes every sleeper on the index (spurious wakes are
    // harmless: each re-checks); the loop then throws the reason once the
    // native wait has returned.
    using cancel = new Cancellation(waitOptions, what, () => {
      if (!side.isClosed()) this.wake(indexSlot);
    });
    const budget = this.#budgets.get(indexSlot)!;
    // Never spin past the timeout (its timer cannot fire meanwhile); a
    // timeout of 0 polls: no spin at all.
    const timeout = waitOptions?.timeout;
    let spin = Math.min(budget.next(spinOption), 1000 * (timeout ?? Infinity));
    while (true) {
      cancel.throwIfAborted();
      const h = side.enter(op, peer);
      const seen = Atomics.load(h, indexSlot);
      const ended = Atomics.load(h, SLOT_ENDED);
      const n = settled();
      if (n !== undefined) return n;
      if (spin >= 0) {
        // Once per wait: spin, then yield to the microtasks queued
        // meanwhile, then look again before sleeping.
        const found = this.#spin(h, indexSlot, spin, budget);
        const spun = spin > 0;
        spin = -1;
        if (found) continue;
        if (spun) {
          await undefined;
          continue;
        }
      }
      Atomics.add(h, flagSlot, 1);
      this.#sleeping.set(flagSlot, (this.#sleeping.get(flagSlot) ?? 0) + 1);
      const unpin = pinMapping(this.#buffer);
      let result: number;
      try {
        result = moved(h, indexSlot, seen, ended) || cancel.aborted
          ? 0
          : await dm_futex_wait(
            this.#addr + 4 * indexSlot,
            seen,
            WAIT_SLICE_MS,
          );
      } finally {
        unpin();
        if (!side.isClosed()) {
          Atomics.sub(h, flagSlot, 1);
          this.#sleeping.set(flagSlot, this.#sleeping.get(flagSlot)! - 1);
        }
      }
      if (result === -ETIMEDOUT && !side.isClosed()) {
        const gone = peerGone(h, peer, op, this.#name);
        if (gone !== undefined && settled() === undefined) throw gone;
      } else if (result < 0 && ![EAGAIN, ETIMEDOUT, EINTR].includes(-result)) {
        throw memfdFailure("ringWait", -result, this.#name, {
          operation: `RingBuffer.${op}`,
        });
      }
    }
  }

  /**
   * {@linkcode RingFutexes.wait} on this thread, for the *Sync waits: the
   * same spin, then the same flag protocol, in slices of at most 100 ms so
   * the peer is checked as often. Nothing else on this thread can run
   * meanwhile (no close, no unmap), so the mapping needs no pin and no
   * sleeper bookkeeping.
   */
  waitSync(
    op: string,
    indexSlot: number,
    flagSlot: number,
    settled: Settled,
    peer: Role,
    options: SyncWaitOptions | undefined,
  ): number {
    const deadline = new SyncDeadline(options, `RingBuffer.${op}`);
    const budget = this.#budgets.get(indexSlot)!;
    for (let first = true;; first = false) {
      const h = this.#side.enter(op, peer);
      const seen = Atomics.load(h, indexSlot);
      const ended = Atomics.load(h, SLOT_ENDED);
      const n = settled();
      if (n !== undefined) return n;
      // Once per wait: spin, then look again before sleeping.
      if (first) {
        const spin = deadline.spinLimit(budget.next(deadline.spin));
        if (this.#spin(h, indexSlot, spin, budget)) continue;
      }
      const slice = deadline.next(WAIT_SLICE_MS);
      Atomics.add(h, flagSlot, 1);
      let result: number;
      try {
        result = moved(h, indexSlot, seen, ended)
          ? 0
          : dm_futex_wait_sync(this.#addr + 4 * indexSlot, seen, slice);
      } finally {
        Atomics.sub(h, flagSlot, 1);
      }
      if (result === -ETIMEDOUT) {
        const gone = peerGone(h, peer, op, this.#name);
        if (gone !== undefined && settled() === undefined) throw gone;
      } else if (result < 0 && ![EAGAIN, EINTR].includes(-result)) {
        throw memfdFailure("ringWait", -result, this.#name, {
          operation: `RingBuffer.${op}`,
        });
      }
    }
  }
}

/**
 * The spinning phase of a ring wait: how long a waiter checks the other
 * side's index in JavaScript (no FFI call, no system call) before it
 * parks on the futex, the `spin` option that fixes that budget, and the
 * default that adapts it per ring and per direction.
 *
 * Why adapt: spinning pays off only while the other side is running and
 * answers within the budget. Against a peer that has no CPU (both sides
 * on one CPU, or a loaded machine) every microsecond spun is taken from
 * the peer that would make progress, so a waiter whose spins fail backs
 * off to sleeping at once, and one with a single CPU never spins.
 * @module
 */

import { toWhole } from "../input/validate.ts";

/**
 * The adaptive budget's ceiling, in µs: also the most one wait spins. A
 * futex sleep and wake-up costs about 5–10 µs; a peer that answers later
 * than this is not running (it is waking up, or has no CPU), and spinning
 * for it only takes the CPU it needs.
 */
export const MAX_SPIN_US = 20;
/** A `spin` option's ceiling, in µs (one second). */
const MAX_SPIN_OPTION_US = 1_000_000;
/** Spin iterations between two looks at the clock. */
const CLOCK_EVERY = 8;

/**
 * `Atomics.pause` where the runtime has it (V8 13.x, Deno 2.2+): a hint to
 * the CPU that this is a spin-wait loop (x86 `pause`, arm64 `yield`), so
 * the other hyperthread runs and the loop leaves the memory pipeline
 * alone. Older runtimes spin without it.
 */
const pause: () => void = typeof (Atomics as { pause?: unknown }).pause ===
    "function"
  ? (Atomics as unknown as { pause: () => void }).pause
  : () => {};

/**
 * A wait's `spin` option (µs, a whole number, 0 = sleep at once), or
 * `undefined` for the adaptive default; `what` names the call.
 */
export function toSpin(value: unknown, what: string): number | undefined {
  if (value === undefined) return undefined;
  return toWhole(
    value,
    `${what}: spin`,
    MAX_SPIN_OPTION_US,
    `${MAX_SPIN_OPTION_US} µs (one second; a longer wait should sleep)`,
  );
}

/**
 * Whether spinning can ever pay off in this process: not when it may run
 * on one CPU only (`taskset -c 0`, a 1-CPU container), where the peer
 * cannot run while this thread spins unless it has a CPU of its own.
 * Read when a ring is made or opened (affinity rarely changes later).
 */
export function canSpin(): boolean {
  const cpus = (globalThis as { navigator?: { hardwareConcurrency?: number } })
    .navigator?.hardwareConcurrency;
  return typeof cpus !== "number" || cpus > 1;
}

/**
 * Checks `moved()` for up to `us` µs (with `Atomics.pause` between the
 * checks). Returns about how many µs it took once `moved()` is true (the
 * clock as last read, so a little less: the clock costs about as much as
 * a check, and is read only every few of them), or -1 when the budget ran
 * out (at once for 0 µs).
 */
export function spinFor(us: number, moved: () => boolean): number {
  if (!(us > 0)) return -1;
  const start = performance.now();
  const until = start + us / 1000;
  let now = start;
  for (let i = 1;; i++) {
    if (moved()) return 1000 * (now - start);
    pause();
    if (i % CLOCK_EVERY === 0) {
      now = performance.now();
      if (now >= until) return moved() ? 1000 * (now - start) : -1;
    }
  }
}

/** Most waits between two probes after repeated failed spins. */
const MAX_PROBE_GAP = 1024;

/**
 * The adaptive spin budget of one direction of one ring (readable or
 * writable) on this side: {@linkcode MAX_SPIN_US} or 0. It starts at the
 * ceiling, and stays there while spins end the waits. A spin that runs
 * out of budget drops it to 0: sleep at once. A spin that ends late in
 * its budget still counts as a success: in a ping-pong the peer is often
 * just waking from its own futex sleep (5–20 µs here), and counting that
 * as a failure left both sides sleeping for good (measured between two
 * deno processes: p50 40 µs a round trip, against 1–2 µs once either
 * side's late answer keeps it spinning). From 0 it probes again (one wait spins the full
 * ceiling) after 2 waits, then 4, 8 … up to 1024 after as many failures
 * in a row, so under load (a peer without a CPU) spinning costs next to
 * nothing, and a peer that answers fast again is found within a few
 * waits. It reads no clock while it sleeps at once: only spins do.
 */
export class SpinBudget {
  #us: number;
  readonly #enabled: boolean;
  /** Failed spins since the last one that succeeded (at most 10). */
  #failures = 0;
  /** Waits left before the next probe, while the budget is 0. */
  #probeIn = 0;

  /** `enabled` false: never spin (one CPU). */
  constructor(enabled = canSpin()) {
    this.#enabled = enabled;
    this.#us = enabled ? MAX_SPIN_US : 0;
  }

  /** µs the next wait spins: `option` when given, else the adaptive one. */
  next(option: number | undefined): number {
    return option ?? this.#us;
  }

  /** A spin ended the wait after `us` µs. */
  spun(us: number): void {
    if (!this.#enabled) return;
    if (us > MAX_SPIN_US) return this.failed();
    this.#failures = 0;
    this.#us = MAX_SPIN_US;
  }

  /** A spin ran out of budget: the wait sleeps. */
  failed(): void {
    if (!this.#enabled) return;
    this.#failures = Math.min(this.#failures + 1, 10);
    this.#us = 0;
    this.#probeIn = Math.min(MAX_PROBE_GAP, 2 ** this.#failures);
  }

  /** A wait slept without spinning. */
  slept(): void {
    if (this.#enabled && this.#us === 0 && --this.#probeIn <= 0) {
      this.#us = MAX_SPIN_US;
    }
  }

  /** The adaptive budget now, in µs (for tests and benchmarks). */
  get us(): number {
    return this.#us;
  }
}

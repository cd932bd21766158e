/**
 * Alternating measurement. Ours and the baseline take turns (A B, B A,
 * A B, …) after a warm-up, so that drift in the machine's state (other
 * load, page cache, CPU frequency) falls on both alike, and the median of
 * each side keeps one preempted round from deciding a row.
 * @module
 */

/** One timed round of one side: a value in the row's unit. */
export type Round = () => number | Promise<number>;

/** How many rounds to throw away, then how many to keep. */
export interface Plan {
  warmup: number;
  rounds: number;
}

/** The medians (and every kept sample) of an alternating run. */
export interface Paired {
  ours: number;
  baseline: number;
  oursSamples: number[];
  baselineSamples: number[];
}

/** The median of `values` (the mean of the middle two for even counts). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError("median of no values");
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  // Not empty (checked above), so mid and, for even counts, mid - 1 exist.
  return sorted.length % 2
    ? sorted[mid]!
    : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Runs `ours` and `baseline` alternately: `plan.warmup` discarded pairs,
 * then `plan.rounds` kept pairs whose order flips every round, so neither
 * side always runs right after the other's side effects (freed memory,
 * woken threads).
 */
export async function alternate(
  ours: Round,
  baseline: Round,
  plan: Plan,
): Promise<Paired> {
  for (let i = 0; i < plan.warmup; i++) {
    await ours();
    await baseline();
  }
  const oursSamples: number[] = [];
  const baselineSamples: number[] = [];
  for (let i = 0; i < plan.rounds; i++) {
    if (i % 2 === 0) {
      oursSamples.push(await ours());
      baselineSamples.push(await baseline());
    } else {
      baselineSamples.push(await baseline());
      oursSamples.push(await ours());
    }
  }
  return {
    ours: median(oursSamples),
    baseline: median(baselineSamples),
    oursSamples,
    baselineSamples,
  };
}

/** Gigabytes (10^9 bytes) per second for `bytes` moved in `ms`. */
export function gbPerSecond(bytes: number, ms: number): number {
  return bytes / (ms * 1e6);
}

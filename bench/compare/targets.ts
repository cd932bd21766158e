/**
 * The ratios the issue asks for, per row stem. Rows without a target are
 * reported for information.
 * @module
 */

import type { Stem } from "./row.ts";

/** A bound on `ratio`: at most `max`, or at least `min`. */
export type Target = { max: number } | { min: number };

/** Targets by stem. */
export const TARGETS: Partial<Record<Stem, Target>> = {
  "lifecycle": { max: 1.15 },
  "seals-get": { max: 1.10 },
  "warm-copy": { min: 0.95 },
  "handoff-1GiB": { min: 8 },
  "ring-latency": { max: 0.5 },
  "ring-latency-p99": { max: 1.0 },
  "handoff-tmpfile": { min: 1.5 },
  "async-read": { max: 1.0 },
  "python-lifecycle": { max: 1.0 },
  "python-shm": { max: 1.0 },
};

/** Whether `ratio` meets `target`. */
export function meets(ratio: number, target: Target): boolean {
  return "max" in target ? ratio <= target.max : ratio >= target.min;
}

/** `"≤ 1.15"` or `"≥ 8"`. */
export function describe(target: Target): string {
  return "max" in target ? `<= ${target.max}` : `>= ${target.min}`;
}

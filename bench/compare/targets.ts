/**
 * The targets the issues ask for, per row stem: on a ratio (`ours /
 * baseline`), or for a row measured in absolute terms (`ring-idle-cpu`)
 * on `ours`. A run "under load" (`--busy N` or `--same-cpu`) has targets
 * of its own. Rows without a target are reported for information.
 * @module
 */

import type { Row, Stem } from "./row.ts";

/**
 * A bound: at most `max`, or at least `min`, on the row's `ratio` or,
 * with `of: "ours"`, on its own value.
 */
export type Target = ({ max: number } | { min: number }) & { of?: "ours" };

/** Targets by stem when both sides of every row have a CPU. */
export const TARGETS: Partial<Record<Stem, Target>> = {
  "lifecycle": { max: 1.15 },
  "seals-get": { max: 1.10 },
  "warm-copy": { min: 0.95 },
  "handoff-1GiB": { min: 8 },
  "ring": { min: 1.5 },
  "ring-vs-memcpy": { min: 0.5 },
  "ring-idle-cpu": { max: 2, of: "ours" },
  "ring-latency": { max: 0.2 },
  "ring-latency-p99": { max: 0.5 },
  "ring-latency-spin": { max: 0.1 },
  "handoff-tmpfile": { min: 1.5 },
  "async-read": { max: 1.0 },
  "python-lifecycle": { max: 1.0 },
  "python-shm": { max: 1.0 },
};

const {
  "ring-latency-p99": _p99,
  "ring-latency-spin": _spin,
  ...always
} = TARGETS;

/**
 * Targets by stem under `--busy N` or `--same-cpu`: the same, except that
 * `ring-latency` may reach 0.7 and the spinning and p99 latencies have no
 * target (a peer without a CPU answers a time slice later). `ring` ≥ 1.5×
 * the pipe holds under load too: that is the point of it.
 */
export const LOADED_TARGETS: Partial<Record<Stem, Target>> = {
  ...always,
  "ring-latency": { max: 0.7 },
};

/** The target of `stem` in a quiet run, or one under load. */
export function targetOf(stem: Stem, loaded: boolean): Target | undefined {
  return (loaded ? LOADED_TARGETS : TARGETS)[stem];
}

/** Whether `row` meets `target`. */
export function meets(row: Row, target: Target): boolean {
  const value = target.of === "ours" ? row.ours : row.ratio;
  return "max" in target ? value <= target.max : value >= target.min;
}

/** `"<= 1.15"`, `">= 8"`, or `"ours <= 2"`. */
export function describe(target: Target): string {
  const bound = "max" in target ? `<= ${target.max}` : `>= ${target.min}`;
  return target.of === "ours" ? `ours ${bound}` : bound;
}

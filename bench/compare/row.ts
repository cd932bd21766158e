/**
 * A row of the comparison: what `bench/results.json` holds, one per stem.
 * @module
 */

import type { Paired } from "./measure.ts";

/**
 * `ns/op` and `µs` are times (lower is better), `GB/s` a throughput
 * (higher is better), `% CPU` CPU time over wall time (lower is better);
 * either way `ratio` is `ours / baseline`.
 */
export type Unit = "ns/op" | "µs" | "GB/s" | "% CPU";

/** One line of `bench/results.json`. */
export interface Row {
  name: string;
  unit: Unit;
  ours: number;
  baseline: number;
  baselineName: string;
  ratio: number;
}

/** A row plus a remark for the printed table (not written to the JSON). */
export type Noted = Row & { note?: string };

/** A row that could not run here, and why. */
export interface Skipped {
  name: string;
  skipped: string;
}

/** The row stems, in the order they run and print. */
export const STEMS = [
  "lifecycle",
  "seals-get",
  "warm-copy",
  "first-touch",
  "map-view-256MiB",
  "handoff-1GiB",
  "ring",
  "ring-vs-memcpy",
  "ring-idle-cpu",
  "ring-latency",
  "ring-latency-p99",
  "ring-latency-p999",
  "ring-latency-spin",
  "handoff-tmpfile",
  "async-read",
  "python-lifecycle",
  "python-shm",
] as const;

/** One of {@linkcode STEMS}. */
export type Stem = typeof STEMS[number];

function round(value: number, unit: Unit): number {
  const digits = unit === "GB/s" || unit === "% CPU" ? 3 : 1;
  // At least four significant digits: a sub-µs round trip rounded to one
  // decimal left `ratio` percents away from ours / baseline.
  const magnitude = Math.floor(Math.log10(Math.abs(value) || 1));
  return Number(value.toFixed(Math.max(digits, 3 - magnitude)));
}

/** The row for `name` from the medians of an alternating run. */
export function toRow(
  name: string,
  unit: Unit,
  baselineName: string,
  paired: Paired,
): Row {
  return {
    name,
    unit,
    ours: round(paired.ours, unit),
    baseline: round(paired.baseline, unit),
    baselineName,
    ratio: Number((paired.ours / paired.baseline).toFixed(3)),
  };
}

/**
 * Sizes and round counts: the full run (a few minutes on 2 cores) and the
 * `--quick` run (seconds; shapes only, its numbers mean little).
 * @module
 */

import type { Plan } from "./measure.ts";

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/** Everything a run of the comparison needs to know. */
export interface Config {
  quick: boolean;
  /** Rounds of the short in-process rows (lifecycle, seals, map-view). */
  micro: Plan;
  /** Rounds of the rows that move hundreds of megabytes per round. */
  bulk: Plan;
  /** Rounds of the rows that start processes. */
  process: Plan;
  lifecycleOps: number;
  lifecycleSize: number;
  sealsOps: number;
  copyBytes: number;
  /** Copies per round of warm-copy, averaged. */
  copiesPerRound: number;
  mapViewBytes: number;
  mapViewOps: number;
  handoffBytes: number;
  ringBytes: number;
  ringCapacity: number;
  /** Bytes of `ring-vs-memcpy` per round, and its ring's capacity. */
  streamBytes: number;
  streamCapacity: number;
  pythonOps: number;
  /** 64 KiB reads per round of async-read (the file holds this many). */
  asyncReadChunks: number;
}

/** The real run: sizes as named in the row stems. */
export const FULL: Config = {
  quick: false,
  micro: { warmup: 3, rounds: 21 },
  bulk: { warmup: 2, rounds: 21 },
  process: { warmup: 1, rounds: 7 },
  lifecycleOps: 2000,
  lifecycleSize: MiB,
  sealsOps: 100_000,
  copyBytes: 256 * MiB,
  copiesPerRound: 1,
  mapViewBytes: 256 * MiB,
  mapViewOps: 2000,
  handoffBytes: GiB,
  ringBytes: 512 * MiB,
  ringCapacity: MiB,
  streamBytes: GiB,
  streamCapacity: MiB,
  pythonOps: 2000,
  asyncReadChunks: 256,
};

/** A smoke run: every row, tiny sizes, three rounds. */
export const QUICK: Config = {
  quick: true,
  micro: { warmup: 1, rounds: 3 },
  bulk: { warmup: 1, rounds: 3 },
  process: { warmup: 0, rounds: 3 },
  lifecycleOps: 100,
  lifecycleSize: MiB,
  sealsOps: 2000,
  copyBytes: 8 * MiB,
  copiesPerRound: 1,
  mapViewBytes: 256 * MiB,
  mapViewOps: 20,
  handoffBytes: 16 * MiB,
  ringBytes: 16 * MiB,
  ringCapacity: 256 * KiB,
  streamBytes: 16 * MiB,
  streamCapacity: MiB,
  pythonOps: 100,
  asyncReadChunks: 16,
};

/** `bytes` as `"256 MiB"`, `"1 GiB"`. */
export function size(bytes: number): string {
  if (bytes >= GiB && bytes % GiB === 0) return `${bytes / GiB} GiB`;
  if (bytes >= MiB && bytes % MiB === 0) return `${bytes / MiB} MiB`;
  return `${bytes / KiB} KiB`;
}

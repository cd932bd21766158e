/**
 * Model-based random testing, bounded for CI: each seed runs the chaos
 * driver (`tests/chaos/driver.ts`) in a child `deno`, so that a SIGSEGV or
 * SIGBUS fails the test with the signal and the calls that led to it.
 * `deno task soak` runs many more seeds and steps.
 */

import { assert } from "@std/assert";
import { runSeed } from "./chaos/harness.ts";

const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8];
const STEPS = 3000;

const EVERY_OP = [
  "create",
  "createBad",
  "open",
  "fromFd",
  "dup",
  "close",
  "useClosed",
  "resize",
  "badArgs",
  "write",
  "writeAsync",
  "read",
  "readAsync",
  "seal",
  "map",
  "mapRing",
  "poke",
  "pokeStale",
  "unmap",
  "sync",
  "raceClose",
  "raceUnmap",
];

/** Calls that must have succeeded at least once in a run. */
const SUCCEEDED = [
  "Memfd.create",
  "Memfd.open",
  "Memfd.fromFd",
  "dup",
  "resize",
  "write",
  "writeAsync",
  "read",
  "readAsync",
  "seal",
  "map",
  "mapRing",
  "unmap",
];

/** Failures a run must have met (and matched the model's prediction). */
const FAILED = [
  "TypeError",
  "RangeError",
  "EBADF",
  "EPERM",
  "EBUSY",
  "EINVAL",
  "EACCES",
];

for (const seed of SEEDS) {
  Deno.test(`chaos seed ${seed}: ${STEPS} random calls agree with the model`, async () => {
    const summary = await runSeed(seed, STEPS);
    // A run that skipped whole kinds of call would prove little.
    for (const op of EVERY_OP) {
      assert(summary.ops[op] > 0, `seed ${seed} never ran ${op}`);
    }
    for (const call of SUCCEEDED) {
      assert(
        summary.successes[call] > 0,
        `seed ${seed}: ${call} never succeeded`,
      );
    }
    for (const error of FAILED) {
      assert(summary.errors[error] > 0, `seed ${seed} never met ${error}`);
    }
  });
}

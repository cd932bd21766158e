/**
 * Model-based random testing, bounded for CI: each seed runs a suite of
 * the chaos driver (`tests/chaos/driver.ts`) in a child `deno`, so that a
 * SIGSEGV or SIGBUS fails the test with the signal and the calls that led
 * to it. `deno task soak` runs many more seeds and steps.
 */

import { assert } from "@std/assert";
import { runSeed } from "./chaos/harness.ts";
import { emulated, noteWhenEmulated } from "./support/emulation.ts";

// What qemu-user does differently from the kernel, left out there (the
// random draws stay the same, so a seed still replays natively):
// hugetlb mappings land at addresses that are not huge-page aligned
// (EINVAL), and populating a private mapping does not break copy-on-write.
noteWhenEmulated(
  "chaos creates no hugetlb memfds (--huge=0: qemu-user maps them at " +
    "addresses that are not huge-page aligned, EINVAL) and populates only " +
    "shared mappings (qemu-user does not break copy-on-write for " +
    "MAP_PRIVATE | MAP_POPULATE)",
);
const EXTRA = emulated === undefined ? [] : ["--huge=0"];

/** What a suite's runs must have done, or they would prove little. */
interface Coverage {
  seeds: number[];
  steps: number;
  /** Kinds of step that must have run. */
  ops: string[];
  /** Calls that must have succeeded at least once. */
  succeeded: string[];
  /** Failures that must have been met (as the model predicted). */
  failed: string[];
}

const MEMFD_OPS = [
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

const SUITES: Record<string, Coverage> = {
  memfd: {
    seeds: [1, 2, 3, 4, 5, 6, 7, 8],
    steps: 3000,
    ops: MEMFD_OPS,
    succeeded: [
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
    ],
    failed: [
      "TypeError",
      "RangeError",
      "EBADF",
      "EPERM",
      "EBUSY",
      "EINVAL",
      "EACCES",
    ],
  },
  ring: {
    seeds: [1, 2, 3, 4],
    steps: 3000,
    ops: [
      "create",
      "open",
      "handmade",
      "openBad",
      "write",
      "read",
      "commit",
      "consume",
      "misuse",
      "wait",
      "spinWait",
      "corrupt",
      "closeSide",
      "closeMemfd",
      "closeFile",
      "useClosed",
    ],
    succeeded: [
      "RingBuffer.create",
      "RingBuffer.open",
      "write",
      "read",
      "commit",
      "consume",
      "waitReadable",
      "waitWritable",
      "close",
    ],
    failed: ["TypeError", "RangeError", "EBADF", "EINVAL", "EACCES", "EBUSY"],
  },
  socket: {
    seeds: [1, 2, 3, 4],
    steps: 2500,
    ops: [
      ...MEMFD_OPS,
      "listen",
      "send",
      "sendBad",
      "peer",
      "receive",
      "closeListener",
    ],
    succeeded: ["MemfdListener.listen", "sendTo", "receive"],
    failed: [
      "TypeError",
      "EBADF",
      "EBADMSG",
      "ECANCELED",
      "ENOENT",
      "ECONNREFUSED",
      "EADDRINUSE",
      "ENAMETOOLONG",
    ],
  },
};

/** A failure of `seed`, or nothing: what the run did is checked too. */
async function check(suite: string, seed: number, want: Coverage) {
  const summary = await runSeed(seed, want.steps, [
    `--suite=${suite}`,
    ...EXTRA,
  ]);
  for (const op of want.ops) {
    assert((summary.ops[op] ?? 0) > 0, `${suite} seed ${seed} never ran ${op}`);
  }
  for (const call of want.succeeded) {
    assert(
      (summary.successes[call] ?? 0) > 0,
      `${suite} seed ${seed}: ${call} never succeeded`,
    );
  }
  for (const error of want.failed) {
    assert(
      (summary.errors[error] ?? 0) > 0,
      `${suite} seed ${seed} never met ${error}`,
    );
  }
}

// Two seeds a test, run side by side: one child a core.
for (const [suite, want] of Object.entries(SUITES)) {
  for (let i = 0; i < want.seeds.length; i += 2) {
    const seeds = want.seeds.slice(i, i + 2);
    Deno.test(`chaos ${suite} seeds ${seeds.join(", ")}: ${want.steps} random calls each agree with the model`, async () => {
      const runs = await Promise.allSettled(
        seeds.map((seed) => check(suite, seed, want)),
      );
      const failures = runs.flatMap((r) =>
        r.status === "rejected" ? [r.reason] : []
      );
      if (failures.length === 1) throw failures[0];
      if (failures.length > 1) {
        throw new AggregateError(
          failures,
          failures.map((e) => (e as Error).message).join("\n\n"),
        );
      }
    });
  }
}

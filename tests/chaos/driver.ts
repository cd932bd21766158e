/**
 * Chaos driver: one seeded, reproducible run of a suite of random public
 * API calls, each checked against a model of what the kernel and the
 * library should do.
 *
 * - `memfd` (default): create with every option mix, resize, read/write
 *   sync and async, seal, map shared/private/ring, poke live and stale
 *   views, unmap, dup, close, open by path, adopt fds, wrong arguments of
 *   every kind, close and unmap racing in-flight async calls.
 * - `ring`: `RingBuffer` producers and consumers over one memfd against a
 *   byte-queue model, misuse, use after close, corrupted headers.
 * - `socket`: the memfd suite plus `sendTo` / `MemfdListener`: sends,
 *   receives, listeners closed with receives pending, bad paths, fd leaks.
 *
 * Runs in a child process (see `tests/chaos_test.ts`) so that a SIGSEGV or
 * SIGBUS is a failed test rather than a dead runner. Needs `--allow-all`
 * only to list `/proc/self/fd`, which Deno 2 guards behind it.
 *
 * ```sh
 * deno run --allow-all tests/chaos/driver.ts --seed=7 --steps=3000 \
 *   [--suite=memfd|ring|socket] [--huge=5] [--trace]
 * ```
 *
 * Prints one JSON summary line and exits 0, or prints the failing step, the
 * calls before it and the replay command, and exits 1.
 * @module
 */

import { assertNoMemfdLeaks } from "../../testing.ts";
import { numberArg, textArg } from "./args.ts";
import { replayCommand } from "./harness.ts";
import { memfdSuite } from "./memfd/suite.ts";
import { MemfdWorld } from "./memfd/world.ts";
import { ringSuite } from "./ring/suite.ts";
import { RingWorld } from "./ring/world.ts";
import { runSuite, type Suite } from "./runner.ts";
import { socketSuite } from "./socket/suite.ts";
import { SocketWorld } from "./socket/world.ts";

/** How each suite is set up from the command line. */
const SUITES: Readonly<
  Record<string, (seed: number, trace: boolean) => Suite>
> = {
  memfd(seed, trace) {
    const w = new MemfdWorld(seed, trace);
    w.hugeChance = numberArg("huge", 5) / 100;
    return memfdSuite(w);
  },
  ring: (seed, trace) => ringSuite(new RingWorld(seed, trace)),
  socket(seed, trace) {
    const w = new SocketWorld(seed, trace);
    w.hugeChance = numberArg("huge", 5) / 100;
    return socketSuite(w);
  },
};

if (import.meta.main) {
  const seed = numberArg("seed", 1);
  const steps = numberArg("steps", 2000);
  const name = textArg("suite", "memfd");
  const make = SUITES[name];
  if (make === undefined) {
    throw new TypeError(
      `--suite must be one of ${Object.keys(SUITES).join(", ")}`,
    );
  }
  const suite = make(seed, Deno.args.includes("--trace"));
  const r = suite.runner;
  try {
    await assertNoMemfdLeaks(() => runSuite(suite, steps));
    console.log(JSON.stringify({
      seed,
      steps,
      suite: name,
      ops: r.counts,
      errors: r.errors,
      successes: r.successes,
    }));
  } catch (e) {
    console.error(`chaos seed ${seed} failed at step ${r.step} (${r.op}):`);
    console.error(e instanceof Error ? e.stack : String(e));
    console.error(`last calls:\n  ${r.log.join("\n  ")}`);
    const extra = Deno.args.filter((a) =>
      a.startsWith("--huge=") || a.startsWith("--suite=")
    );
    console.error(`replay: ${replayCommand(seed, steps, extra)} --trace`);
    Deno.exit(1);
  }
}

/**
 * Long chaos run: many seeds, many steps, two children at a time.
 *
 * ```sh
 * deno task soak                       # 100 seeds × 20000 steps from seed 1000
 * deno task soak --seeds=500 --steps=50000 --from=1 --huge=30
 * ```
 *
 * Stops at the first failing seed and prints its replay command.
 * @module
 */

import { numberArg as arg } from "./args.ts";
import { runSeed } from "./harness.ts";

const seeds = arg("seeds", 100);
const steps = arg("steps", 20000);
const from = arg("from", 1000);
const huge = arg("huge", 5);
const parallel = Math.max(1, arg("jobs", 2));
const extra = [`--huge=${huge}`];

let next = from;
let done = 0;
let failed: Error | undefined;
const started = Date.now();

async function worker(): Promise<void> {
  while (failed === undefined && next < from + seeds) {
    const seed = next++;
    try {
      await runSeed(seed, steps, extra);
      done++;
      console.log(`seed ${seed}: ok (${done}/${seeds})`);
    } catch (e) {
      failed ??= e as Error;
    }
  }
}

await Promise.all(Array.from({ length: parallel }, worker));
const seconds = ((Date.now() - started) / 1000).toFixed(0);
if (failed !== undefined) {
  console.error(failed.message);
  console.error(`${done} seeds passed before the failure (${seconds} s)`);
  Deno.exit(1);
}
console.log(`${done} seeds × ${steps} steps passed (${seconds} s)`);

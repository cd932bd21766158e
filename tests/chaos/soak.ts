/**
 * Long chaos run: many seeds of every suite, many steps, two children at a
 * time.
 *
 * ```sh
 * deno task soak          # 100 seeds × 20000 steps of each suite from seed 1000
 * deno task soak --seeds=500 --steps=50000 --from=1 --huge=30 --suites=ring,socket
 * ```
 *
 * Stops at the first failing seed and prints its replay command.
 * @module
 */

import { numberArg as arg, textArg } from "./args.ts";
import { runSeed } from "./harness.ts";

const seeds = arg("seeds", 100);
const steps = arg("steps", 20000);
const from = arg("from", 1000);
const huge = arg("huge", 5);
const parallel = Math.max(1, arg("jobs", 2));
const suites = textArg("suites", "memfd,ring,socket").split(",");

/** Every seed of every suite, seed by seed. */
const runs: [number, string][] = [];
for (let seed = from; seed < from + seeds; seed++) {
  for (const suite of suites) runs.push([seed, suite]);
}

let next = 0;
let done = 0;
let failed: Error | undefined;
const started = Date.now();

async function worker(): Promise<void> {
  while (failed === undefined && next < runs.length) {
    const [seed, suite] = runs[next++]!; // next < runs.length
    try {
      await runSeed(seed, steps, [`--suite=${suite}`, `--huge=${huge}`]);
      done++;
      console.log(`${suite} seed ${seed}: ok (${done}/${runs.length})`);
    } catch (e) {
      failed ??= e as Error;
    }
  }
}

await Promise.all(Array.from({ length: parallel }, worker));
const seconds = ((Date.now() - started) / 1000).toFixed(0);
if (failed !== undefined) {
  console.error(failed.message);
  console.error(`${done} runs passed before the failure (${seconds} s)`);
  Deno.exit(1);
}
console.log(`${done} runs × ${steps} steps passed (${seconds} s)`);

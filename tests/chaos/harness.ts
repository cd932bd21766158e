/**
 * Running chaos seeds in child processes, for `tests/chaos_test.ts` and the
 * soak (`tests/chaos/soak.ts`).
 * @module
 */

import { type Outcome, runDenoFile } from "../support/run.ts";

const DRIVER = "tests/chaos/driver.ts";
/** The driver lists `/proc/self/fd`, which Deno 2 only allows with all. */
const FLAGS = ["--allow-all"];

/** The command that replays one run, from the repository root. */
export function replayCommand(
  seed: number,
  steps: number,
  extra: string[] = [],
): string {
  return [
    `deno run --allow-all ${DRIVER} --seed=${seed} --steps=${steps}`,
    ...extra,
  ].join(" ");
}

/** What a passing run did: calls made, errors met, calls that succeeded. */
export interface Summary {
  ops: Record<string, number>;
  errors: Record<string, number>;
  successes: Record<string, number>;
}

/**
 * Runs one seed in a child `deno`; throws an error that says what went
 * wrong (the model mismatch, or the signal that killed the child and the
 * calls that led to it) and the exact replay command.
 */
export async function runSeed(
  seed: number,
  steps: number,
  extra: string[] = [],
): Promise<Summary> {
  const args = [`--seed=${seed}`, `--steps=${steps}`, ...extra];
  const out: Outcome = await runDenoFile(DRIVER, FLAGS, args);
  if (out.code === 0 && out.signal === null) {
    return JSON.parse(out.stdout.trim().split("\n").pop()!);
  }
  let detail = out.stderr;
  if (out.signal !== null) {
    // A crash prints nothing of its own: replay with a trace to show the
    // calls that led to it (the sequence is the same for the same seed).
    const traced = await runDenoFile(DRIVER, FLAGS, [...args, "--trace"]);
    const calls = traced.stderr.trim().split("\n").slice(-30).join("\n  ");
    detail = `the process was killed by ${out.signal} (the traced replay: ${
      traced.signal ?? `exit ${traced.code}`
    }); last calls:\n  ${calls}`;
  }
  throw new Error(
    `chaos seed ${seed} failed (exit ${out.code}, signal ${out.signal}):\n` +
      `${detail}\nreplay: ${replayCommand(seed, steps, extra)} --trace`,
  );
}

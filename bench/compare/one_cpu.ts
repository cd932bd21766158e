/**
 * `--same-cpu`: every thread of this process moved onto one CPU with
 * `taskset -a -p -c`, so that every child it starts afterwards (they
 * inherit the affinity) shares that CPU with it: both sides of a ring, of
 * a pipe and of a socket alike. What a user could do with
 * `taskset -c 0 deno …` for both processes.
 * @module
 */

import { allowedCpus } from "./machine.ts";

/** Pins this process to the first CPU it may use; `"CPU <n>"`. */
export async function oneCpu(): Promise<string> {
  const cpu = Number.parseInt(allowedCpus(), 10);
  if (!Number.isInteger(cpu)) throw new Error("no CPU list in /proc/self");
  const out = await new Deno.Command("taskset", {
    args: ["-a", "-p", "-c", String(cpu), String(Deno.pid)],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `taskset failed: ${new TextDecoder().decode(out.stderr)}`,
    );
  }
  if (allowedCpus() !== String(cpu)) {
    throw new Error(`still on CPUs ${allowedCpus()} after taskset`);
  }
  return `CPU ${cpu}`;
}

/**
 * What the notes say about the machine a row ran on: the CPU count, the
 * CPUs this run may use (all of them unless `--same-cpu` pinned it), and
 * the load average, so that a number is read with its conditions.
 * @module
 */

/** The CPUs this process may run on, as `/proc/self/status` lists them. */
export function allowedCpus(): string {
  const status = Deno.readTextFileSync("/proc/self/status");
  return /^Cpus_allowed_list:\s*(\S+)/m.exec(status)?.[1] ?? "?";
}

/** The 1-minute load average. */
export function loadAverage(): number {
  return Number(Deno.readTextFileSync("/proc/loadavg").split(" ")[0]);
}

/** `"2 CPUs (this run on 0-1), load average 2.31"`. */
export function machine(): string {
  return `${navigator.hardwareConcurrency} CPUs (this run on ` +
    `${allowedCpus()}), load average ${loadAverage().toFixed(2)}`;
}

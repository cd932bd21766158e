/**
 * `python-shm`: what a Python user reaches for, `multiprocessing.
 * shared_memory.SharedMemory` (a `/dev/shm` file by name), through the same
 * create → size → map → touch one byte → close (and unlink) lifecycle as
 * ours, timed inside Python.
 * @module
 */

import type { Config } from "./config.ts";
import { oursLifecycleNs } from "./lifecycle.ts";
import { alternate } from "./measure.ts";
import { type Row, toRow } from "./row.ts";

const PYTHON = `
import sys, time
from multiprocessing import shared_memory
n, size = int(sys.argv[1]), int(sys.argv[2])
def once():
    shm = shared_memory.SharedMemory(create=True, size=size)
    shm.buf[0] = 1
    shm.close()
    shm.unlink()
for _ in range(min(n, 200)):
    once()
t0 = time.perf_counter_ns()
for _ in range(n):
    once()
print((time.perf_counter_ns() - t0) / n)
`;

/** ns per SharedMemory lifecycle in a fresh python3, timed inside Python. */
async function pythonShmNs(ops: number, size: number): Promise<number> {
  const out = await new Deno.Command("python3", {
    args: ["-c", PYTHON, String(ops), String(size)],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const ns = Number(new TextDecoder().decode(out.stdout).trim());
  if (!out.success || !Number.isFinite(ns)) {
    const err = new TextDecoder().decode(out.stderr);
    throw new Error(`python3 shared_memory lifecycle failed: ${err}`);
  }
  return ns;
}

/** The `python-shm` row. */
export async function pythonShm(config: Config, name: string): Promise<Row> {
  const { pythonOps: ops, lifecycleSize: size } = config;
  const paired = await alternate(
    () => oursLifecycleNs(ops, size),
    () => pythonShmNs(ops, size),
    config.process,
  );
  return toRow(
    name,
    "ns/op",
    "Python 3 multiprocessing.shared_memory",
    paired,
  );
}

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
import { pythonNsPerOp } from "./python.ts";
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

/** The `python-shm` row. */
export async function pythonShm(config: Config, name: string): Promise<Row> {
  const { pythonOps: ops, lifecycleSize: size } = config;
  const paired = await alternate(
    () => oursLifecycleNs(ops, size),
    () => pythonNsPerOp(PYTHON, [ops, size], "shared_memory lifecycle"),
    config.process,
  );
  return toRow(
    name,
    "ns/op",
    "Python 3 multiprocessing.shared_memory",
    paired,
  );
}

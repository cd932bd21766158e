/**
 * `lifecycle` and `python-lifecycle`: create → resize → map → touch one
 * byte → unmap → close, through the public API, against the same syscalls
 * in Rust (same process) and in Python (timed inside Python).
 * @module
 */

import { Memfd } from "../../mod.ts";
import type { Config } from "./config.ts";
import { alternate, median } from "./measure.ts";
import { pythonNsPerOp } from "./python.ts";
import { lifecycleNs } from "./native.ts";
import { rawLifecycleNs } from "./ffi_floor.ts";
import { type Noted, toRow } from "./row.ts";

/** ns per lifecycle through the public API. */
export function oursLifecycleNs(ops: number, size: number): number {
  const t0 = performance.now();
  for (let i = 0; i < ops; i++) {
    const fd = Memfd.create("bench", { size });
    const map = fd.map();
    map.bytes[0] = 1;
    map.unmap();
    fd.close();
  }
  return (performance.now() - t0) * 1e6 / ops;
}

/**
 * The `lifecycle` row. The note adds the floor measured in the same rounds
 * (the library's raw symbols from Deno, no wrapper; see `ffi_floor.ts`) as
 * a ratio to the Rust loop: what no wrapper change can go below.
 */
export async function lifecycle(config: Config, name: string): Promise<Noted> {
  const { lifecycleOps: ops, lifecycleSize: size } = config;
  const floor: number[] = [];
  const paired = await alternate(
    () => {
      floor.push(rawLifecycleNs(ops, size));
      return oursLifecycleNs(ops, size);
    },
    () => lifecycleNs(ops, size),
    config.micro,
  );
  const row = toRow(name, "ns/op", "Rust, raw syscalls (same process)", paired);
  return { ...row, note: floorNote(name, median(floor), paired) };
}

/** "raw Deno FFI, no wrapper (the floor): …" for a row's note. */
export function floorNote(
  name: string,
  raw: number,
  paired: { ours: number; baseline: number },
): string {
  return `${name}: raw Deno FFI, no wrapper (the floor): ` +
    `${raw.toFixed(0)} ns/op, ratio ${(raw / paired.baseline).toFixed(3)}; ` +
    `the wrapper adds ${(paired.ours - raw).toFixed(0)} ns/op`;
}

// Same flags as Memfd.create's defaults; MFD_NOEXEC_SEAL (0x8) is dropped
// on kernels before 6.3, as the library does.
const PYTHON = `
import mmap, os, sys, time
n, size = int(sys.argv[1]), int(sys.argv[2])
flags = os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING | 0x8
def once():
    fd = os.memfd_create("bench", flags)
    os.ftruncate(fd, size)
    m = mmap.mmap(fd, size)
    m[0] = 1
    m.close()
    os.close(fd)
try:
    once()
except OSError:
    flags &= ~0x8
for _ in range(min(n, 200)):
    once()
t0 = time.perf_counter_ns()
for _ in range(n):
    once()
print((time.perf_counter_ns() - t0) / n)
`;

/**
 * The `python-lifecycle` row. The note adds the floor measured in the same
 * rounds: the same work through the library's raw symbols from Deno, with
 * no wrapper (see `ffi_floor.ts`).
 */
export async function pythonLifecycle(
  config: Config,
  name: string,
): Promise<Noted> {
  const { pythonOps: ops, lifecycleSize: size } = config;
  const floor: number[] = [];
  const paired = await alternate(
    () => {
      floor.push(rawLifecycleNs(ops, size));
      return oursLifecycleNs(ops, size);
    },
    () => pythonNsPerOp(PYTHON, [ops, size], "lifecycle"),
    config.process,
  );
  const row = toRow(name, "ns/op", "Python 3 os.memfd_create + mmap", paired);
  return { ...row, note: floorNote(name, median(floor), paired) };
}

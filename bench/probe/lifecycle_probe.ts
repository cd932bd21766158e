/**
 * Where a lifecycle's time goes: the public API against the same work in
 * raw Deno FFI (the library's own symbols, no wrapper), step by step.
 *
 *     deno run --allow-ffi --allow-read bench/probe/lifecycle_probe.ts <variant> [ops]
 *
 * Variants: `api` (Memfd.create/map/unmap/close), `ffi-view` (raw symbols
 * plus an ArrayBuffer over the mapping, touched, detached by `transfer(0)`),
 * `ffi` (raw symbols, no view and no touch), `rust` (the bench crate's
 * loop). Prints ns per lifecycle; run under `strace -c -f`, `valgrind
 * --tool=callgrind` or with `/proc/interrupts` read before and after.
 * @module
 */

import { Memfd } from "../../mod.ts";
import { rawLifecycleNs } from "../compare/ffi_floor.ts";
import { lifecycleNs } from "../compare/native.ts";

const SIZE = 1 << 20;

function api(ops: number): void {
  for (let i = 0; i < ops; i++) {
    const fd = Memfd.create("bench", { size: SIZE });
    const map = fd.map();
    map.bytes[0] = 1;
    map.unmap();
    fd.close();
  }
}

const VARIANTS: Record<string, (ops: number) => void> = {
  api,
  "ffi-view": (ops) => void rawLifecycleNs(ops, SIZE),
  ffi: (ops) => void rawLifecycleNs(ops, SIZE, false),
  rust: (ops) => void lifecycleNs(ops, SIZE),
};

if (import.meta.main) {
  const [variant = "api", count = "20000"] = Deno.args;
  const run = VARIANTS[variant];
  if (run === undefined) throw new TypeError(`unknown variant ${variant}`);
  const ops = Number(count);
  run(500); // warm-up: JIT, first faults (the same for every count)
  const t0 = performance.now();
  run(ops);
  console.log(
    `${variant}: ${((performance.now() - t0) * 1e6 / ops).toFixed(0)} ns/op`,
  );
}

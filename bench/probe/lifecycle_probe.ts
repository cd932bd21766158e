/**
 * Where a lifecycle's time goes: the public API against the same work in
 * raw Deno FFI (the library's own symbols, no wrapper), step by step.
 *
 *     deno run --allow-ffi --allow-read bench/probe/lifecycle_probe.ts <variant> [ops]
 *
 * Variants: `api` (Memfd.create/map/unmap/close), `ffi-view` (raw symbols
 * plus an ArrayBuffer over the mapping, detached by `transfer(0)`),
 * `ffi` (raw symbols, no view: the FFI floor), `rust` (the bench crate's
 * loop). Prints ns per lifecycle; run under `strace -c -f`, `valgrind
 * --tool=callgrind` or with `/proc/interrupts` read before and after.
 * @module
 */

import { Memfd } from "../../mod.ts";
import { lifecycleNs } from "../compare/native.ts";

const LIB = new URL("../../target/release/libdeno_memfd.so", import.meta.url)
  .pathname;
const SIZE = 1 << 20;

const raw = Deno.dlopen(LIB, {
  dm_create: { parameters: ["buffer", "usize", "u32"], result: "i32" },
  dm_resize: { parameters: ["i32", "f64"], result: "i32" },
  dm_map_rest: { parameters: ["i32", "f64", "i32"], result: "f64" },
  dm_unmap: { parameters: ["f64"], result: "i32" },
  dm_close: { parameters: ["i32"], result: "i32" },
}).symbols;

const NAME = new TextEncoder().encode("bench");
// MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL, as Memfd.create.
let flags = 0x1 | 0x2 | 0x8;

function rawCreate(): number {
  let fd = raw.dm_create(NAME, BigInt(NAME.length), flags);
  if (fd === -22 && flags & 0x8) {
    fd = raw.dm_create(NAME, BigInt(NAME.length), flags &= ~0x8);
  }
  if (fd < 0) throw new Error(`dm_create: ${fd}`);
  return fd;
}

function api(ops: number): void {
  for (let i = 0; i < ops; i++) {
    const fd = Memfd.create("bench", { size: SIZE });
    const map = fd.map();
    map.bytes[0] = 1;
    map.unmap();
    fd.close();
  }
}

function ffiView(ops: number): void {
  for (let i = 0; i < ops; i++) {
    const fd = rawCreate();
    raw.dm_resize(fd, SIZE);
    const addr = raw.dm_map_rest(fd, 0, 0);
    const buffer = Deno.UnsafePointerView.getArrayBuffer(
      Deno.UnsafePointer.create(BigInt(addr))!,
      SIZE,
    );
    new Uint8Array(buffer)[0] = 1;
    buffer.transfer(0);
    raw.dm_unmap(addr);
    raw.dm_close(fd);
  }
}

function ffiViewUntouched(ops: number): void {
  for (let i = 0; i < ops; i++) {
    const fd = rawCreate();
    raw.dm_resize(fd, SIZE);
    const addr = raw.dm_map_rest(fd, 0, 0);
    const buffer = Deno.UnsafePointerView.getArrayBuffer(
      Deno.UnsafePointer.create(BigInt(addr))!,
      SIZE,
    );
    buffer.transfer(0);
    raw.dm_unmap(addr);
    raw.dm_close(fd);
  }
}

function ffi(ops: number): void {
  for (let i = 0; i < ops; i++) {
    const fd = rawCreate();
    raw.dm_resize(fd, SIZE);
    const addr = raw.dm_map_rest(fd, 0, 0);
    raw.dm_unmap(addr);
    raw.dm_close(fd);
  }
}

const VARIANTS: Record<string, (ops: number) => void> = {
  api,
  "ffi-view": ffiView,
  "ffi-view-untouched": ffiViewUntouched,
  ffi,
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

/**
 * What each piece of the public lifecycle's JavaScript side costs on its
 * own, with no syscall behind it (except the FFI-call piece, which makes a
 * trivial one). Prints ns per piece; under `valgrind --tool=callgrind`,
 * run with two counts and subtract for instructions per piece.
 *
 *     deno run --allow-ffi --allow-read bench/probe/pieces_probe.ts <piece> [ops]
 * @module
 */

import { Memfd } from "../../mod.ts";

const LIB = new URL("../../target/release/libdeno_memfd.so", import.meta.url)
  .pathname;
const raw = Deno.dlopen(LIB, {
  dm_page_size: { parameters: [], result: "i32" },
  dm_live_mappings: { parameters: [], result: "i32" },
}).symbols;

using fd = Memfd.create("pieces", { size: 1 << 20 });
using map = fd.map();
const addr = Number(
  Deno.UnsafePointer.value(Deno.UnsafePointer.of(map.buffer)),
);
const pointer = Deno.UnsafePointer.create(BigInt(addr))!;

const registry = new FinalizationRegistry<number>(() => {});
const pins = new WeakMap<ArrayBuffer, object>();
const encoder = new TextEncoder();
let sink = 0;

const PIECES: Record<string, (ops: number) => void> = {
  "ffi-call": (ops) => {
    for (let i = 0; i < ops; i++) sink += raw.dm_page_size();
  },
  "pointer": (ops) => {
    for (let i = 0; i < ops; i++) {
      sink += Deno.UnsafePointer.create(BigInt(addr + i)) === null ? 0 : 1;
    }
  },
  "view": (ops) => {
    for (let i = 0; i < ops; i++) {
      const b = Deno.UnsafePointerView.getArrayBuffer(pointer, 1 << 20);
      sink += new Uint8Array(b)[0]!; // a 1 MiB view has a byte 0
    }
  },
  "view-detach": (ops) => {
    for (let i = 0; i < ops; i++) {
      const b = Deno.UnsafePointerView.getArrayBuffer(pointer, 1 << 20);
      sink += new Uint8Array(b)[0]!; // a 1 MiB view has a byte 0
      b.transfer(0);
    }
  },
  "buffer-detach": (ops) => {
    for (let i = 0; i < ops; i++) {
      const b = Deno.UnsafePointerView.getArrayBuffer(pointer, 1 << 20);
      sink += b.byteLength;
      b.transfer(0);
    }
  },
  "view-write-detach": (ops) => {
    for (let i = 0; i < ops; i++) {
      const b = Deno.UnsafePointerView.getArrayBuffer(pointer, 1 << 20);
      new Uint8Array(b)[0] = i;
      b.transfer(0);
    }
  },
  "finalizer": (ops) => {
    for (let i = 0; i < ops; i++) {
      const b = new ArrayBuffer(8);
      registry.register(b, i, b);
      registry.unregister(b);
    }
  },
  "weakmap": (ops) => {
    for (let i = 0; i < ops; i++) {
      const b = new ArrayBuffer(8);
      pins.set(b, b);
    }
  },
  "encode": (ops) => {
    const scratch = new Uint8Array(256);
    for (let i = 0; i < ops; i++) {
      sink += encoder.encodeInto("bench", scratch).written;
    }
  },
  "alloc": (ops) => {
    for (let i = 0; i < ops; i++) sink += new ArrayBuffer(8).byteLength;
  },
};

if (import.meta.main) {
  const [piece = "view", count = "100000"] = Deno.args;
  const run = PIECES[piece];
  if (run === undefined) throw new TypeError(`unknown piece ${piece}`);
  run(2000); // warm-up, the same for every count
  const t0 = performance.now();
  run(Number(count));
  const ns = (performance.now() - t0) * 1e6 / Number(count);
  console.log(`${piece}: ${ns.toFixed(0)} ns/op ${sink > 0 ? "" : " "}`);
}

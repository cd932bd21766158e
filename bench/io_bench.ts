/**
 * `deno bench` suite: positional reads and writes (`pread` / `pwrite`).
 * @module
 */

import { Memfd } from "../mod.ts";

const KiB = 1 << 10;
const MiB = 1 << 20;

for (
  const [label, size] of [["4 KiB", 4 * KiB], ["64 MiB", 64 * MiB]] as const
) {
  const fd = Memfd.create(`io-${label}`, { size });
  const data = new Uint8Array(size).fill(7);
  const into = new Uint8Array(size);
  Deno.bench(`write ${label}`, { group: label }, () => {
    fd.write(data);
  });
  Deno.bench(`read ${label}`, { group: label }, () => {
    fd.read(into);
  });
  Deno.bench(`writeAsync ${label}`, { group: label }, async () => {
    await fd.writeAsync(data);
  });
  Deno.bench(`copy through a mapping ${label}`, { group: label }, (b) => {
    using map = fd.map();
    b.start();
    map.bytes.set(data);
    b.end();
  });
}

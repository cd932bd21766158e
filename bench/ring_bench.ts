/**
 * `deno bench` suite: `RingBuffer` throughput within one process. Skipped,
 * with a line saying so, where `mod.ts` does not export `RingBuffer` yet.
 * @module
 */

import { release, ringClass, UNAVAILABLE } from "./compare/ring_api.ts";

const Ring = ringClass();
const MiB = 1 << 20;

if (Ring === undefined) {
  console.log(`RingBuffer benches: ${UNAVAILABLE}`);
  Deno.bench(`RingBuffer (${UNAVAILABLE})`, { ignore: true }, () => {});
} else {
  for (const chunkSize of [4096, 64 * 1024]) {
    const ring = Ring.create(MiB);
    const chunk = new Uint8Array(chunkSize).fill(7);
    const into = new Uint8Array(chunkSize);
    globalThis.addEventListener("unload", () => release(ring));
    Deno.bench(`write + read ${chunkSize / 1024} KiB`, {
      group: "ring",
    }, () => {
      ring.write(chunk);
      ring.read(into);
    });
  }
}

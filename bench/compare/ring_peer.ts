/**
 * The child side of the `ring` row: consumes a known number of bytes from
 * a ring (opened by path) or from stdin, saying `ready` before the first
 * byte and `done` after the last, so that start-up is not timed.
 *
 *     deno run --allow-ffi --allow-read --allow-write=<path> ring_peer.ts ring <path> <bytes>
 *     deno run --allow-ffi --allow-read ring_peer.ts pipe <bytes>
 *
 * @module
 */

import { Memfd } from "../../mod.ts";
import { release, ringClass } from "./ring_api.ts";

const encoder = new TextEncoder();

function say(line: string): void {
  Deno.stdout.writeSync(encoder.encode(line + "\n"));
}

function fromRing(path: string, total: number): void {
  const Ring = ringClass();
  if (Ring === undefined) throw new Error("RingBuffer is not exported");
  const ring = Ring.open(Memfd.open(path, { write: true }));
  const into = new Uint8Array(Math.min(ring.capacity, 1 << 20));
  say("ready");
  // Spinning is the point: this measures the ring, not a wake-up scheme.
  for (let got = 0; got < total;) got += ring.read(into);
  say("done");
  release(ring);
}

async function fromStdin(total: number): Promise<void> {
  const into = new Uint8Array(1 << 20);
  say("ready");
  for (let got = 0; got < total;) {
    const n = await Deno.stdin.read(into);
    if (n === null) throw new Error(`stdin ended after ${got} bytes`);
    got += n;
  }
  say("done");
}

if (import.meta.main) {
  const [mode, ...rest] = Deno.args;
  if (mode === "ring") fromRing(rest[0], Number(rest[1]));
  else if (mode === "pipe") await fromStdin(Number(rest[0]));
  else throw new Error(`unknown mode ${mode}`);
}

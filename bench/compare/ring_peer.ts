/**
 * The child side of the `ring` row: consumes a known number of bytes from
 * a ring (opened by path) or from stdin, saying `ready` before the first
 * byte and `done` after the last, so that start-up is not timed. On a
 * ring, `waits` sleeps in `waitReadableSync()` while it is empty (the
 * row) and says `done <sleeps>`; `spin` retries `read()` until data comes
 * (the row before the adaptive waits, in its note).
 *
 *     deno run --allow-ffi --allow-read --allow-write=<path> ring_peer.ts ring <path> <bytes> waits|spin
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

function fromRing(path: string, total: number, wait: string): void {
  const Ring = ringClass();
  if (Ring === undefined) throw new Error("RingBuffer is not exported");
  const ring = Ring.open(Memfd.open(path, { write: true }));
  const into = new Uint8Array(Math.min(ring.capacity, 1 << 20));
  say("ready");
  let sleeps = 0;
  for (let got = 0; got < total;) {
    const n = ring.read(into);
    got += n;
    if (n === 0 && wait === "waits") {
      sleeps++;
      ring.waitReadableSync();
    }
  }
  say(`done ${sleeps}`);
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
  // The bench that spawns this peer passes every argument its mode needs.
  if (mode === "ring") fromRing(rest[0]!, Number(rest[1]), rest[2]!);
  else if (mode === "pipe") await fromStdin(Number(rest[0]));
  else throw new Error(`unknown mode ${mode}`);
}

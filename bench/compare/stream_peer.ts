/**
 * The child side of `ring-vs-memcpy`: the consumer of a zero-copy stream.
 * It opens the parent's ring by path, says `ready`, then reads every
 * pending byte in place (`readable()`: one 32-bit load per 64-byte cache
 * line, summed, so every line really comes to this CPU) and releases it
 * (`consume()`), sleeping in `waitReadableSync()` while the ring is empty,
 * until the producer ends the stream. Then it says
 * `done <checksum> <waits>`.
 *
 *     deno run --allow-ffi --allow-read --allow-write=<path> stream_peer.ts <path>
 *
 * @module
 */

import { Memfd, RingBuffer } from "../../mod.ts";
import { say } from "./peer_lines.ts";

/** The sum (mod 2^32) of the first int32 of every 64-byte line of `view`. */
export function lineSum(view: Uint8Array, sum: number): number {
  const words = new Int32Array(view.buffer, view.byteOffset, view.length >> 2);
  for (let i = 0; i < words.length; i += 16) sum = (sum + words[i]!) | 0; // i < length
  return sum;
}

function consume(path: string): void {
  using fd = Memfd.open(path, { write: true });
  using ring = RingBuffer.open(fd);
  say("ready");
  let [sum, waits] = [0, 0];
  while (true) {
    if (ring.available === 0) {
      waits++;
      if (ring.waitReadableSync() === 0) break;
    }
    const view = ring.readable();
    sum = lineSum(view, sum);
    ring.consume(view.length);
  }
  say(`done ${sum} ${waits}`);
}

if (import.meta.main) consume(Deno.args[0]!); // ring_stream.ts passes the path

/**
 * `ring-vs-memcpy`: 1 GiB streamed from this process to a child `deno`
 * through a 1 MiB `RingBuffer` with the zero-copy views, against memcpy
 * bandwidth measured in the same rounds.
 *
 * - The producer (here) fills `writable()` in place, half the ring at
 *   most per `commit()`, so both sides work at once (a quarter made twice
 *   the wake-ups and ran at about half the speed; the whole ring, no
 *   overlap: two thirds). What it writes is
 *   a `set()` from a 1 MiB block made beforehand: the one copy any
 *   producer makes of its data into shared memory.
 * - The consumer (`stream_peer.ts`) reads `readable()` in place, one
 *   32-bit load per 64-byte cache line, summed and checked against the
 *   expected sum, so every line crosses to its CPU, then `consume()`s it.
 * - Both sides sleep in the default synchronous waits
 *   (`waitWritableSync`, `waitReadableSync`) when the ring is full or
 *   empty; the note counts how often each did.
 * - The baseline is memcpy of a 1 MiB block into another, 1 024 times
 *   each way, each copy timed alone, the median copy's bandwidth: Rust's
 *   `copy_nonoverlapping` (`bench/native`) or `Uint8Array.prototype.set`,
 *   whichever was faster in the round. Like the ring's 1 MiB of data,
 *   both blocks stay in the caches. The note
 *   adds a memcpy bound by memory instead (Rust, 256 MiB into 256 MiB, as
 *   the `warm-copy` row copies), measured once after the rounds.
 *
 * - The native floor, in the note: the same stream in Rust between two
 *   spinning threads over a ring of the same layout (`bench/native`),
 *   once per round after ours; the best round.
 *
 * The copy-in, copy-out path (`write()`/`read()`) is the `ring` row.
 * @module
 */

import { RingBuffer } from "../../mod.ts";
import { type Config, size } from "./config.ts";
import { alternate, gbPerSecond, median } from "./measure.ts";
import { machine } from "./machine.ts";
import { memcpyNs, ringStreamGbs } from "./native.ts";
import { lines } from "./peer_lines.ts";
import { type Noted, toRow } from "./row.ts";
import { lineSum } from "./stream_peer.ts";

const PEER = new URL("./stream_peer.ts", import.meta.url).pathname;
const MiB = 1 << 20;
/** A wait in the parent longer than this means the child is lost. */
const STALL_MS = 30_000;

/** The 1 MiB block the producer streams, over and over. */
function block(): Uint8Array {
  const bytes = new Uint8Array(MiB);
  for (let i = 0; i < bytes.length; i++) {
    bytes[i] = (i * 131 + (i >> 12)) & 0xff;
  }
  return bytes;
}

interface Streamed {
  gbs: number;
  commits: number;
  producerWaits: number;
  consumerWaits: number;
}

async function viaRing(config: Config, source: Uint8Array): Promise<Streamed> {
  const total = config.streamBytes;
  using ring = RingBuffer.create(config.streamCapacity);
  const chunk = ring.capacity / 2;
  const path = ring.memfd.path;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--allow-ffi",
      "--allow-read",
      `--allow-write=${path}`,
      PEER,
      path,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const line = lines(child);
  if (await line() !== "ready") throw new Error("stream peer not ready");
  let [producerWaits, commits] = [0, 0];
  const t0 = performance.now();
  for (let sent = 0; sent < total;) {
    let space = ring.writable();
    if (space.length === 0) {
      producerWaits++;
      ring.waitWritableSync({ timeout: STALL_MS });
      space = ring.writable();
    }
    const at = sent % source.length;
    const n = Math.min(space.length, chunk, source.length - at, total - sent);
    space.set(source.subarray(at, at + n));
    ring.commit(n);
    commits++;
    sent += n;
  }
  ring.end();
  const done = (await line()).split(" ");
  const gbs = gbPerSecond(total, performance.now() - t0);
  await child.status;
  const expected = lineSum(source, 0) * (total / source.length) | 0;
  if (done[0] !== "done" || Number(done[1]) !== expected) {
    throw new Error(`stream peer said ${done.join(" ")}, sum ${expected}`);
  }
  return { gbs, commits, producerWaits, consumerWaits: Number(done[2]) };
}

/**
 * 1 GiB of memcpy of `src` into `dst`, each copy timed on its own: GB/s
 * of the median copy, in Rust and with `set()`. The median copy is one
 * that nothing preempted, so on a loaded machine this stays the
 * hardware's bandwidth instead of the share of a CPU the copy got.
 */
function memcpy(total: number, dst: Uint8Array, src: Uint8Array) {
  const copies = total / src.length;
  const rust: number[] = [];
  const set: number[] = [];
  for (let i = 0; i < copies; i++) {
    rust.push(gbPerSecond(src.length, memcpyNs(dst, src, 1) / 1e6));
    const t0 = performance.now();
    dst.set(src);
    set.push(gbPerSecond(src.length, performance.now() - t0));
  }
  return { rust: median(rust), set: median(set) };
}

/** The `ring-vs-memcpy` row (GB/s). */
export async function ringVsMemcpy(
  config: Config,
  name: string,
): Promise<Noted> {
  const source = block();
  const dst = new Uint8Array(MiB);
  const streams: Streamed[] = [];
  const floors: number[] = [];
  const copies: { rust: number; set: number }[] = [];
  const paired = await alternate(
    async () => {
      const s = await viaRing(config, source);
      streams.push(s);
      floors.push(
        ringStreamGbs(source, config.streamBytes, config.streamCapacity),
      );
      return s.gbs;
    },
    () => {
      const c = memcpy(config.streamBytes, dst, source);
      copies.push(c);
      return Math.max(c.rust, c.set);
    },
    config.process,
  );
  const big = config.quick ? 16 * MiB : 256 * MiB;
  const [from, to] = [new Uint8Array(big).fill(0x5a), new Uint8Array(big)];
  memcpyNs(to, from, 1);
  const dram = gbPerSecond(big * 4, memcpyNs(to, from, 4) * 4 / 1e6);
  // A floor is what the hardware does when it gets its CPUs: the best
  // round (spinning threads without a CPU each make no progress at all).
  const floor = Math.max(...floors);
  const rust = median(copies.map((c) => c.rust));
  const set = median(copies.map((c) => c.set));
  const waits = (pick: (s: Streamed) => number) =>
    median(streams.map(pick)).toFixed(0);
  const note = `${name}: ${size(config.streamBytes)} through a ` +
    `${size(config.streamCapacity)} ring in ${waits((s) => s.commits)} ` +
    `commits: ` +
    `${paired.ours.toFixed(2)} GB/s; the producer waited for room ` +
    `${waits((s) => s.producerWaits)} times, the consumer for data ` +
    `${waits((s) => s.consumerWaits)} times (medians); memcpy of 1 MiB ` +
    `blocks: Rust ${rust.toFixed(2)} GB/s, Uint8Array.set ` +
    `${set.toFixed(2)} GB/s; native floor (Rust, two spinning threads, ` +
    `same ring layout and stream; best round) ${floor.toFixed(2)} GB/s, ` +
    `${(floor / paired.baseline).toFixed(2)}x the memcpy; ` +
    `memcpy of ${size(big)} (bound by memory): ` +
    `${dram.toFixed(2)} GB/s, ${(paired.ours / dram).toFixed(2)}x of it; ` +
    `${machine()}`;
  return {
    ...toRow(
      name,
      "GB/s",
      "memcpy of 1 MiB blocks (faster of Rust, set())",
      paired,
    ),
    note,
  };
}

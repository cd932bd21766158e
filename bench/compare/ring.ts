/**
 * `ring`: a child process consuming bytes from a `RingBuffer` the parent
 * fills with `write()` (the copy-in, copy-out path; the zero-copy views are
 * `ring-vs-memcpy`), against the same bytes through a pipe into the
 * child's stdin. The child is the same `deno` program both ways; start-up
 * is not timed.
 *
 * Both ring sides use the default synchronous waits (`waitWritableSync`
 * while full, `waitReadableSync` while empty), whatever the library makes
 * of them. The note adds, in the same rounds, how often each side slept
 * and the row as it was before: both sides retrying without ever sleeping,
 * which under contention spins against a peer that has no CPU.
 * @module
 */

import { type Config, size } from "./config.ts";
import { machine } from "./machine.ts";
import { alternate, gbPerSecond, median } from "./measure.ts";
import {
  release,
  type Ring,
  type RingClass,
  ringClass,
  UNAVAILABLE,
} from "./ring_api.ts";
import { type Noted, type Skipped, toRow } from "./row.ts";

const PEER = new URL("./ring_peer.ts", import.meta.url).pathname;

/** A child `ring_peer.ts` and a way to wait for its next line. */
interface Peer {
  child: Deno.ChildProcess;
  line(): Promise<string>;
  exited: () => boolean;
}

function spawnPeer(args: string[], stdin: "piped" | "null"): Peer {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--allow-ffi",
      "--allow-read",
      // The ring peer opens the ring's memfd for writing by its path.
      ...(args[0] === "ring" ? [`--allow-write=${args[1]}`] : []),
      PEER,
      ...args,
    ],
    stdin,
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  let exited = false;
  child.status.then(() => exited = true);
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  return {
    child,
    exited: () => exited,
    async line() {
      while (!buffered.includes("\n")) {
        const { value, done } = await reader.read();
        if (done) throw new Error("ring peer exited early");
        buffered += value;
      }
      const at = buffered.indexOf("\n");
      const line = buffered.slice(0, at);
      buffered = buffered.slice(at + 1);
      return line;
    },
  };
}

async function expect(peer: Peer, line: string): Promise<void> {
  const got = await peer.line();
  if (got !== line) throw new Error(`ring peer said ${got}, not ${line}`);
}

/** How the two ring sides wait: the default waits, or never sleeping. */
type Wait = "waits" | "spin";

/** A wait in the producer longer than this means the child is lost. */
const STALL_MS = 30_000;

/**
 * Fills `ring` with `total` bytes from `chunk`: sleeping while it is full
 * (`waits`; the count of sleeps), or retrying (`spin`).
 */
async function fill(
  ring: Ring,
  chunk: Uint8Array,
  total: number,
  peer: Peer,
  wait: Wait,
): Promise<number> {
  let [idle, sleeps] = [0, 0];
  for (let sent = 0; sent < total;) {
    const n = ring.write(
      chunk.subarray(0, Math.min(chunk.length, total - sent)),
    );
    sent += n;
    if (n > 0) idle = 0;
    else if (wait === "waits") {
      sleeps++;
      ring.waitWritableSync({ timeout: STALL_MS });
    } else if (++idle % 1_000_000 === 0) {
      // Let the event loop notice a peer that died instead of spinning on.
      await new Promise((resolve) => setTimeout(resolve, 0));
      if (peer.exited()) throw new Error("ring peer exited early");
    }
  }
  return sleeps;
}

interface Filled {
  gbs: number;
  producerSleeps: number;
  consumerSleeps: number;
}

async function viaRing(
  Ring: RingClass,
  config: Config,
  chunk: Uint8Array,
  wait: Wait,
  total: number,
): Promise<Filled> {
  const ring = Ring.create(config.ringCapacity);
  try {
    const peer = spawnPeer(
      ["ring", ring.memfd.path, String(total), wait],
      "null",
    );
    await expect(peer, "ready");
    const t0 = performance.now();
    const producerSleeps = await fill(ring, chunk, total, peer, wait);
    const done = (await peer.line()).split(" ");
    if (done[0] !== "done") throw new Error(`ring peer said ${done}`);
    const gbs = gbPerSecond(total, performance.now() - t0);
    await peer.child.status;
    return { gbs, producerSleeps, consumerSleeps: Number(done[1]) };
  } finally {
    release(ring);
  }
}

async function viaPipe(config: Config, chunk: Uint8Array): Promise<number> {
  const total = config.ringBytes;
  const peer = spawnPeer(["pipe", String(total)], "piped");
  await expect(peer, "ready");
  const t0 = performance.now();
  const writer = peer.child.stdin.getWriter();
  for (let sent = 0; sent < total; sent += chunk.length) {
    await writer.write(chunk.subarray(0, Math.min(chunk.length, total - sent)));
  }
  await writer.close();
  await expect(peer, "done");
  const gbs = gbPerSecond(total, performance.now() - t0);
  await peer.child.status;
  return gbs;
}

/** The `ring` row (GB/s), or why it was skipped. */
export async function ring(
  config: Config,
  name: string,
): Promise<Noted | Skipped> {
  const Ring = ringClass();
  if (Ring === undefined) return { name, skipped: UNAVAILABLE };
  const chunk = new Uint8Array(Math.min(config.ringCapacity, 1 << 20)).fill(7);
  const total = config.ringBytes;
  // An eighth: spinning against a peer without a CPU can be very slow.
  const spinTotal = total / 8;
  const waits: Filled[] = [];
  const spins: number[] = [];
  const paired = await alternate(
    async () => {
      const filled = await viaRing(Ring, config, chunk, "waits", total);
      waits.push(filled);
      const spun = await viaRing(Ring, config, chunk, "spin", spinTotal);
      spins.push(spun.gbs);
      return filled.gbs;
    },
    () => viaPipe(config, chunk),
    config.process,
  );
  const chunks = Math.ceil(config.ringBytes / chunk.length);
  const m = (pick: (f: Filled) => number) => median(waits.map(pick));
  const spin = median(spins);
  const note = `${name}: ${size(config.ringBytes)} in ${chunks} writes of ` +
    `${size(chunk.length)} into a ${size(config.ringCapacity)} ring: ` +
    `${paired.ours.toFixed(2)} GB/s with the default waits (the producer ` +
    `slept ${m((f) => f.producerSleeps).toFixed(0)} times, the consumer ` +
    `${m((f) => f.consumerSleeps).toFixed(0)}; medians), ` +
    `${spin.toFixed(2)} GB/s (${(spin / paired.baseline).toFixed(2)}x the ` +
    `pipe) with both sides retrying and never sleeping (over ` +
    `${size(spinTotal)}), pipe ` +
    `${paired.baseline.toFixed(2)} GB/s; ${machine()}`;
  return {
    ...toRow(name, "GB/s", "pipe into the child's stdin", paired),
    note,
  };
}

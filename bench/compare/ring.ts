/**
 * `ring`: a child process consuming bytes from a `RingBuffer` the parent
 * fills, against the same bytes through a pipe into the child's stdin. The
 * child is the same `deno` program both ways; start-up is not timed.
 * @module
 */

import type { Config } from "./config.ts";
import { alternate, gbPerSecond } from "./measure.ts";
import {
  release,
  type Ring,
  type RingClass,
  ringClass,
  UNAVAILABLE,
} from "./ring_api.ts";
import { type Row, type Skipped, toRow } from "./row.ts";

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

/** Fills `ring` with `total` bytes from `chunk`, spinning while it is full. */
async function fill(ring: Ring, chunk: Uint8Array, total: number, peer: Peer) {
  let idle = 0;
  for (let sent = 0; sent < total;) {
    const n = ring.write(
      chunk.subarray(0, Math.min(chunk.length, total - sent)),
    );
    sent += n;
    if (n > 0) idle = 0;
    else if (++idle % 1_000_000 === 0) {
      // Let the event loop notice a peer that died instead of spinning on.
      await new Promise((resolve) => setTimeout(resolve, 0));
      if (peer.exited()) throw new Error("ring peer exited early");
    }
  }
}

async function viaRing(Ring: RingClass, config: Config, chunk: Uint8Array) {
  const ring = Ring.create(config.ringCapacity);
  try {
    const total = config.ringBytes;
    const peer = spawnPeer(["ring", ring.memfd.path, String(total)], "null");
    await expect(peer, "ready");
    const t0 = performance.now();
    await fill(ring, chunk, total, peer);
    await expect(peer, "done");
    const gbs = gbPerSecond(total, performance.now() - t0);
    await peer.child.status;
    return gbs;
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
): Promise<Row | Skipped> {
  const Ring = ringClass();
  if (Ring === undefined) return { name, skipped: UNAVAILABLE };
  const chunk = new Uint8Array(Math.min(config.ringCapacity, 1 << 20)).fill(7);
  const paired = await alternate(
    () => viaRing(Ring, config, chunk),
    () => viaPipe(config, chunk),
    config.process,
  );
  return toRow(name, "GB/s", "pipe into the child's stdin", paired);
}

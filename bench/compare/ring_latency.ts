/**
 * `ring-latency` and `ring-latency-p99`: the round trip of a 64-byte
 * message between this process and a child `deno` that echoes it, over a
 * `RingBuffer` pair (one ring each way), against a pipe pair (the child's
 * stdin and stdout) and a Unix-socket pair (`Deno.listen` /
 * `Deno.connect`). Each transport gets its own child; start-up is not
 * timed (warm-up round trips absorb it).
 *
 * Ours, in the row: each side sleeps in `waitReadableSync()` (a futex wait
 * on its own thread: both sides are dedicated to the exchange, as a worker
 * or a peer process would be). The note adds the async `waitReadable()`
 * (a futex wait off the event loop: two thread hand-offs per wake-up) and
 * a variant of it that first checks the index `SPIN` times (it wins only
 * while both sides have a CPU of their own).
 * @module
 */

import { RingBuffer } from "../../mod.ts";
import type { Config } from "./config.ts";
import { MESSAGE, readRing, readRingSync, STOP } from "./latency_wire.ts";
import { type Noted, toRow } from "./row.ts";

const PEER = new URL("./latency_peer.ts", import.meta.url).pathname;
/**
 * A synchronous wait's limit in the parent: a child that never answers
 * fails the run with a `TimeoutError` instead of hanging it (one that dies
 * after answering is `ECONNRESET`). Not a measurement.
 */
const STALL_MS = 30_000;

/**
 * Index checks before sleeping on the futex: about a microsecond, long
 * enough to catch a peer that answers while running on the other CPU, too
 * short to starve it when both share one.
 */
const SPIN = 200;

/** One round trip: send `message`, wait for its echo into `into`. */
type RoundTrip = (message: Uint8Array, into: Uint8Array) => Promise<void>;

function peer(args: string[], stdio: "piped" | "null"): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--allow-ffi",
      "--allow-read",
      "--allow-write",
      "--allow-net",
      PEER,
      ...args,
    ],
    stdin: stdio,
    stdout: stdio,
    stderr: "inherit",
  }).spawn();
}

/** Round-trip times in µs: `warmup` untimed, then `count` timed. */
async function sample(
  trip: RoundTrip,
  warmup: number,
  count: number,
): Promise<number[]> {
  const message = new Uint8Array(MESSAGE).fill(1);
  const into = new Uint8Array(MESSAGE);
  for (let i = 0; i < warmup; i++) await trip(message, into);
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    message[1] = i & 0x7f;
    const t0 = performance.now();
    await trip(message, into);
    times.push((performance.now() - t0) * 1000);
    if (into[1] !== message[1]) throw new Error("echo does not match");
  }
  return times;
}

/** Fails instead of hanging when the child dies mid-run. */
function guard(child: Deno.ChildProcess): Promise<never> {
  return child.status.then((s) => {
    throw new Error(`latency peer exited early (${s.code})`);
  });
}

/**
 * Round trips over a ring pair; `wait` is `"sync"` (`waitReadableSync` on
 * both sides) or the index checks before an async `waitReadable()`.
 */
export async function viaRing(
  wait: "sync" | number,
  warmup: number,
  count: number,
) {
  using out = RingBuffer.create(4096);
  using back = RingBuffer.create(4096);
  const child = peer(
    ["ring", out.memfd.path, back.memfd.path, String(wait)],
    "null",
  );
  const died = guard(child);
  died.catch(() => {});
  const trip: RoundTrip = async (message, into) => {
    out.write(message);
    if (wait === "sync") readRingSync(back, into, STALL_MS);
    else await Promise.race([readRing(back, into, wait), died]);
  };
  const times = await sample(trip, warmup, count);
  out.write(new Uint8Array(MESSAGE).fill(STOP));
  await child.status;
  return times;
}

export async function viaPipe(warmup: number, count: number) {
  const child = peer(["pipe"], "piped");
  const writer = child.stdin.getWriter();
  const reader = child.stdout.getReader({ mode: "byob" });
  let buffer = new Uint8Array(MESSAGE);
  const trip: RoundTrip = async (message, into) => {
    await writer.write(message);
    for (let got = 0; got < MESSAGE;) {
      const { value, done } = await reader.read(buffer.subarray(got));
      if (done || value === undefined) throw new Error("pipe peer ended");
      got += value.length;
      buffer = new Uint8Array(value.buffer);
    }
    into.set(buffer);
  };
  const times = await sample(trip, warmup, count);
  await writer.close();
  reader.releaseLock();
  await child.stdout.cancel();
  await child.status;
  return times;
}

export async function viaSocket(warmup: number, count: number) {
  const dir = await Deno.makeTempDir({ prefix: "latency-" });
  const path = `${dir}/peer.sock`;
  try {
    using listener = Deno.listen({ transport: "unix", path });
    const child = peer(["socket", path], "null");
    using conn = await Promise.race([listener.accept(), guard(child)]);
    const trip: RoundTrip = async (message, into) => {
      for (let put = 0; put < MESSAGE;) {
        put += await conn.write(message.subarray(put));
      }
      for (let got = 0; got < MESSAGE;) {
        const n = await conn.read(into.subarray(got));
        if (n === null) throw new Error("socket peer ended");
        got += n;
      }
    };
    const times = await sample(trip, warmup, count);
    await conn.write(new Uint8Array(MESSAGE).fill(STOP));
    await child.status;
    return times;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The `q` quantile (0..1) of `values`. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

interface Latencies {
  ringSync: number[];
  ringAsync: number[];
  ringSpin: number[];
  pipe: number[];
  socket: number[];
}

let measured: { quick: boolean; result: Promise<Latencies> } | undefined;

/** All four runs, once per harness run (both rows come from them). */
function latencies(config: Config): Promise<Latencies> {
  if (measured?.quick !== config.quick) {
    const [warmup, count] = config.quick ? [20, 100] : [500, 5000];
    measured = {
      quick: config.quick,
      result: (async () => ({
        ringSync: await viaRing("sync", warmup, count),
        ringAsync: await viaRing(0, warmup, count),
        ringSpin: await viaRing(SPIN, warmup, count),
        pipe: await viaPipe(warmup, count),
        socket: await viaSocket(warmup, count),
      }))(),
    };
  }
  return measured.result;
}

async function row(config: Config, name: string, q: number): Promise<Noted> {
  const l = await latencies(config);
  const at = (v: number[]) => quantile(v, q);
  const [pipe, socket] = [at(l.pipe), at(l.socket)];
  const best = Math.min(pipe, socket);
  const paired = {
    ours: at(l.ringSync),
    baseline: best,
    oursSamples: l.ringSync,
    baselineSamples: pipe <= socket ? l.pipe : l.socket,
  };
  const baseline = pipe <= socket ? "pipe pair" : "Unix-socket pair";
  const f = (v: number) => v.toFixed(1);
  const note = `${name}: round trip of ${MESSAGE} B in µs: ring ` +
    `(waitReadableSync; the row) ${f(at(l.ringSync))}, ring ` +
    `(waitReadable) ${f(at(l.ringAsync))}, ring (spin ${SPIN}, then ` +
    `waitReadable) ${f(at(l.ringSpin))}, pipe ${f(pipe)}, Unix socket ` +
    `${f(socket)}`;
  return {
    ...toRow(name, "µs", `${baseline} (best alternative)`, paired),
    note,
  };
}

/** The `ring-latency` row: p50 round trip in µs (`waitReadableSync()`). */
export function ringLatency(config: Config, name: string): Promise<Noted> {
  return row(config, name, 0.5);
}

/** The `ring-latency-p99` row: p99 round trip in µs. */
export function ringLatencyP99(config: Config, name: string): Promise<Noted> {
  return row(config, name, 0.99);
}

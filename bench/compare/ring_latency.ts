/**
 * `ring-latency`, `ring-latency-p99`, `ring-latency-p999` and
 * `ring-latency-spin`: the round trip of a 64-byte message between this
 * process and a child `deno` that echoes it, over a `RingBuffer` pair (one
 * ring each way), against a pipe pair (the child's stdin and stdout) and a
 * Unix-socket pair (`Deno.listen` / `Deno.connect`), all in the same run,
 * 100 000 timed round trips each. Each transport gets its own child;
 * start-up is not timed (warm-up round trips absorb it). Nothing is pinned
 * to a CPU (unless the whole run is, with `--same-cpu`).
 *
 * - `ring-latency` (and its p99, p99.9): each side waits with the default
 *   synchronous wait, `waitReadableSync()`, whatever the library makes of
 *   it (both sides are dedicated to the exchange, as a worker or a peer
 *   process would be). The note adds the async `waitReadable()`.
 * - `ring-latency-spin`: a dedicated peer that never sleeps: both sides
 *   poll the index in JavaScript (no FFI call, no syscall) until the
 *   message is there.
 * - The native floor, in the notes: the same ping-pong in Rust between two
 *   spinning threads over two rings of the same layout (`bench/native`),
 *   run in five slices, one before each transport.
 *
 * A transport that has not finished its round trips within `BUDGET_MS`
 * (spinning against a peer that has no CPU costs a time slice a trip)
 * stops there; the note then says how many it timed.
 * @module
 */

import { RingBuffer } from "../../mod.ts";
import type { Config } from "./config.ts";
import {
  MESSAGE,
  readRing,
  readRingSpin,
  readRingSync,
  STOP,
} from "./latency_wire.ts";
import { ringPingPongUs } from "./native.ts";
import { machine } from "./machine.ts";
import { type Noted, toRow } from "./row.ts";

const PEER = new URL("./latency_peer.ts", import.meta.url).pathname;
/**
 * A synchronous wait's limit in the parent: a child that never answers
 * fails the run with a `TimeoutError` instead of hanging it (one that dies
 * after answering is `ECONNRESET`). Not a measurement.
 */
const STALL_MS = 30_000;
/** Longest a transport's timed round trips may take, in ms. */
const BUDGET_MS = 20_000;

/** One round trip: send `message`, wait for its echo into `into`. */
type RoundTrip = (
  message: Uint8Array,
  into: Uint8Array,
) => Promise<void> | void;

/** How a ring side waits: see the module doc. */
type RingWait = "sync" | "async" | "spin";

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

/** How many round trips, and for how long at most. */
interface Trips {
  warmup: number;
  count: number;
  budgetMs: number;
}

/**
 * Round-trip times in µs: `warmup` untimed, then up to `count` timed, fewer
 * when `budgetMs` runs out first. A synchronous `trip` is not awaited (an
 * `await` would add a microtask turn to every round trip).
 */
async function sample(trip: RoundTrip, trips: Trips): Promise<number[]> {
  const message = new Uint8Array(MESSAGE).fill(1);
  const into = new Uint8Array(MESSAGE);
  for (let i = 0; i < trips.warmup; i++) {
    const pending = trip(message, into);
    if (pending) await pending;
  }
  const times: number[] = [];
  const until = performance.now() + trips.budgetMs;
  for (let i = 0; i < trips.count; i++) {
    message[1] = i & 0x7f;
    const t0 = performance.now();
    const pending = trip(message, into);
    if (pending) await pending;
    const t1 = performance.now();
    times.push((t1 - t0) * 1000);
    if (into[1] !== message[1]) throw new Error("echo does not match");
    if (t1 > until) break;
  }
  return times;
}

/** Fails instead of hanging when the child dies mid-run. */
function guard(child: Deno.ChildProcess): Promise<never> {
  return child.status.then((s) => {
    throw new Error(`latency peer exited early (${s.code})`);
  });
}

/** A parent that polls for longer than this has lost its spinning child. */
function polling(): () => boolean {
  const until = performance.now() + STALL_MS;
  return () => performance.now() < until;
}

/** Round trips over a ring pair, both sides waiting as `wait` says. */
export async function viaRing(wait: RingWait, trips: Trips) {
  using out = RingBuffer.create(4096);
  using back = RingBuffer.create(4096);
  const child = peer(
    ["ring", out.memfd.path, back.memfd.path, wait === "async" ? "0" : wait],
    "null",
  );
  const died = guard(child);
  died.catch(() => {});
  const trip: RoundTrip = wait === "async"
    ? (message, into) => {
      out.write(message);
      return Promise.race([readRing(back, into, 0), died]);
    }
    : wait === "sync"
    ? (message, into) => {
      out.write(message);
      readRingSync(back, into, STALL_MS);
    }
    : (message, into) => {
      out.write(message);
      readRingSpin(back, into, polling());
    };
  const times = await sample(trip, trips);
  out.write(new Uint8Array(MESSAGE).fill(STOP));
  await child.status;
  return times;
}

export async function viaPipe(trips: Trips) {
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
  const times = await sample(trip, trips);
  await writer.close();
  reader.releaseLock();
  await child.stdout.cancel();
  await child.status;
  return times;
}

export async function viaSocket(trips: Trips) {
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
    const times = await sample(trip, trips);
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
  // Callers pass a round's samples, never none: the index is in range.
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

interface Latencies {
  trips: Trips;
  ringSync: number[];
  ringAsync: number[];
  ringSpin: number[];
  pipe: number[];
  socket: number[];
  /** The native floor's round trips, in the slices it ran in. */
  native: number[][];
}

let measured: { quick: boolean; result: Promise<Latencies> } | undefined;

/** Every transport, once per harness run (all four rows come from them). */
function latencies(config: Config): Promise<Latencies> {
  if (measured?.quick !== config.quick) {
    const trips: Trips = config.quick
      ? { warmup: 20, count: 200, budgetMs: 2_000 }
      : { warmup: 2_000, count: 100_000, budgetMs: BUDGET_MS };
    measured = {
      quick: config.quick,
      result: (async () => {
        // The floor in five slices, one beside each transport, so that it
        // meets the same conditions they do.
        const slices: number[][] = [];
        const floor = <T>(run: () => Promise<T>) => {
          slices.push([...ringPingPongUs(trips.count / 5, trips.warmup)]);
          return run();
        };
        return {
          trips,
          ringSync: await floor(() => viaRing("sync", trips)),
          ringAsync: await floor(() => viaRing("async", trips)),
          ringSpin: await floor(() => viaRing("spin", trips)),
          pipe: await floor(() => viaPipe(trips)),
          socket: await floor(() => viaSocket(trips)),
          native: slices,
        };
      })(),
    };
  }
  return measured.result;
}

/** Which of the rows: the ring's waits and the quantile. */
interface Variant {
  ours: "ringSync" | "ringSpin";
  q: number;
}

async function row(config: Config, name: string, v: Variant): Promise<Noted> {
  const l = await latencies(config);
  const at = (values: number[]) => quantile(values, v.q);
  const [pipe, socket] = [at(l.pipe), at(l.socket)];
  const pipeWins = pipe <= socket;
  const paired = {
    ours: at(l[v.ours]),
    baseline: Math.min(pipe, socket),
    oursSamples: l[v.ours],
    baselineSamples: pipeWins ? l.pipe : l.socket,
  };
  const baseline = pipeWins ? "pipe pair" : "Unix-socket pair";
  const f = (value: number) => value.toFixed(value < 10 ? 2 : 1);
  const p = v.q === 0.5
    ? "p50"
    : `p${(v.q * 100).toFixed(1).replace(/\.0$/, "")}`;
  const counts = (values: number[]) =>
    values.length < l.trips.count
      ? ` (only ${values.length} round trips in ${l.trips.budgetMs / 1000} s)`
      : "";
  const note = `${name}: ${p} round trip of ${MESSAGE} B in µs, ` +
    `${l.ringSync.length} round trips each: ring (waitReadableSync; ` +
    `ring-latency) ${f(at(l.ringSync))}, ring (waitReadable) ` +
    `${f(at(l.ringAsync))}${counts(l.ringAsync)}, ring (both sides ` +
    `polling, never sleeping; ring-latency-spin) ${f(at(l.ringSpin))}` +
    `${counts(l.ringSpin)}, pipe ${f(pipe)}, Unix socket ${f(socket)}; ` +
    `native floor (Rust, two spinning threads, same layout) ` +
    `${f(at(l.native.flat()))} (its best fifth ` +
    `${f(Math.min(...l.native.map(at)))}); ${machine()}`;
  return {
    ...toRow(name, "µs", `${baseline} (best alternative)`, paired),
    note,
  };
}

/** The `ring-latency` row: p50 round trip in µs (`waitReadableSync()`). */
export function ringLatency(config: Config, name: string): Promise<Noted> {
  return row(config, name, { ours: "ringSync", q: 0.5 });
}

/** The `ring-latency-p99` row: p99 round trip in µs. */
export function ringLatencyP99(config: Config, name: string): Promise<Noted> {
  return row(config, name, { ours: "ringSync", q: 0.99 });
}

/** The `ring-latency-p999` row: p99.9 round trip in µs. */
export function ringLatencyP999(
  config: Config,
  name: string,
): Promise<Noted> {
  return row(config, name, { ours: "ringSync", q: 0.999 });
}

/** The `ring-latency-spin` row: p50 round trip in µs, both sides polling. */
export function ringLatencySpin(
  config: Config,
  name: string,
): Promise<Noted> {
  return row(config, name, { ours: "ringSpin", q: 0.5 });
}

/**
 * `ring-idle-cpu`: what a consumer costs while nothing comes. A child
 * `deno` waits on an empty ring with the default waits (`waitReadableSync`
 * and `waitReadable`, the worse of the two is the row), against a child
 * blocked in a `read()` of an empty pipe. Each is watched for `idleMs`
 * after a 100 ms settle (so the child's own start-up, V8 compiling its
 * code, is not counted), then woken with one byte.
 *
 * CPU time is the sum over the child's threads of the first field of
 * `/proc/<pid>/task/<tid>/schedstat` (nanoseconds on a CPU), over wall
 * time, in percent of one CPU. The target is absolute: at most 2 %.
 * @module
 */

import { RingBuffer } from "../../mod.ts";
import type { Config } from "./config.ts";
import { median } from "./measure.ts";
import { machine } from "./machine.ts";
import { lines } from "./peer_lines.ts";
import type { Noted } from "./row.ts";

const PEER = new URL("./idle_peer.ts", import.meta.url).pathname;
/** Time the child gets to finish starting before the watch begins. */
const SETTLE_MS = 100;
/**
 * The least a reading reports, in percent: 10 µs per second. A blocked
 * process can use no CPU at all in a second, and a ratio needs a non-zero
 * baseline; readings below it are shown as it (the note says so).
 */
const RESOLUTION = 0.001;

/** Nanoseconds the threads of `pid` have spent on a CPU so far. */
function cpuNs(pid: number): number {
  let total = 0;
  for (const task of Deno.readDirSync(`/proc/${pid}/task`)) {
    try {
      const stat = Deno.readTextFileSync(
        `/proc/${pid}/task/${task.name}/schedstat`,
      );
      total += Number(stat.split(" ")[0]);
    } catch (e) {
      // A thread that exited between the listing and the read.
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
  return total;
}

/** Reads the child's first line and checks it. */
async function waiting(child: Deno.ChildProcess): Promise<void> {
  const line = await lines(child)();
  if (line !== "waiting") throw new Error(`idle peer said ${line}`);
}

/** Percent of a CPU the child used over `idleMs` of waiting. */
async function watch(
  child: Deno.ChildProcess,
  idleMs: number,
  wake: () => Promise<void> | void,
): Promise<number> {
  await waiting(child);
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  const [c0, t0] = [cpuNs(child.pid), performance.now()];
  await new Promise((resolve) => setTimeout(resolve, idleMs));
  const [c1, t1] = [cpuNs(child.pid), performance.now()];
  await wake();
  const status = await child.status;
  if (!status.success) throw new Error(`idle peer failed (${status.code})`);
  return Math.max(RESOLUTION, (c1 - c0) / ((t1 - t0) * 1e6) * 100);
}

function spawn(args: string[], stdin: "piped" | "null"): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--allow-ffi", "--allow-read", ...args],
    stdin,
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
}

async function onRing(wait: "sync" | "async", idleMs: number) {
  using ring = RingBuffer.create(4096);
  const path = ring.memfd.path;
  const child = spawn(
    [`--allow-write=${path}`, PEER, "ring", path, wait],
    "null",
  );
  return await watch(child, idleMs, () => {
    ring.write(new Uint8Array(1));
  });
}

async function onPipe(idleMs: number) {
  const child = spawn([PEER, "pipe"], "piped");
  return await watch(child, idleMs, async () => {
    const writer = child.stdin.getWriter();
    await writer.write(new Uint8Array(1));
    await writer.close();
  });
}

/** The `ring-idle-cpu` row: % of a CPU while waiting on an empty ring. */
export async function ringIdleCpu(
  config: Config,
  name: string,
): Promise<Noted> {
  const [idleMs, rounds] = config.quick ? [200, 1] : [1000, 3];
  const sync: number[] = [];
  const async: number[] = [];
  const pipe: number[] = [];
  for (let i = 0; i < rounds; i++) {
    sync.push(await onRing("sync", idleMs));
    async.push(await onRing("async", idleMs));
    pipe.push(await onPipe(idleMs));
  }
  const [s, a, p] = [median(sync), median(async), median(pipe)];
  // Rounded before the ratio, so that the ratio is that of the row's numbers.
  const ours = Number(Math.max(s, a).toFixed(3));
  const baseline = Number(p.toFixed(3));
  const f = (v: number) => v <= RESOLUTION ? `< ${RESOLUTION}` : v.toFixed(3);
  const note = `${name}: % of one CPU used by a consumer waiting ` +
    `${idleMs / 1000} s, median of ${rounds}: waitReadableSync ${f(s)}, ` +
    `waitReadable ${f(a)}, pipe read() ${f(p)} (the row is the worse ` +
    `ring wait; readings below ${RESOLUTION} % are shown as it); ${machine()}`;
  return {
    name,
    unit: "% CPU",
    ours,
    baseline,
    baselineName: "a consumer blocked in a pipe read()",
    ratio: Number((ours / baseline).toFixed(3)),
    note,
  };
}

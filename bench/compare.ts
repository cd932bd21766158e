/**
 * `deno task bench:compare`: deno_memfd side by side with native code,
 * Python, pipes, sockets and `/dev/shm` files. Prints a table and writes `bench/results.json` (an array
 * of `{ name, unit, ours, baseline, baselineName, ratio }`).
 *
 *     deno task bench:compare [--quick] [--out <path>] [--only a,b]
 *                             [--check-targets] [--busy N] [--same-cpu]
 *
 * `--quick` runs every row small and short (a smoke test; row names get a
 * `:quick` suffix), `--only` runs the named stems, `--check-targets` exits
 * with 1 when a ratio misses the target, `--busy N` runs N busy
 * loops beside it (the "under load" run; the table's header says so),
 * `--same-cpu` puts this process and every child it starts on one CPU
 * (`taskset`), so both sides of the ring rows share it (the busy loops
 * stay free). Both of the last two judge rows by the targets under load.
 * @module
 */

import { parseArgs } from "node:util";
import { FULL, QUICK } from "./compare/config.ts";
import type { Config } from "./compare/config.ts";
import { firstTouch, warmCopy } from "./compare/copy.ts";
import { busyLoops } from "./compare/busy.ts";
import { oneCpu } from "./compare/one_cpu.ts";
import { handoff } from "./compare/handoff.ts";
import { lifecycle, pythonLifecycle } from "./compare/lifecycle.ts";
import { mapView } from "./compare/map_view.ts";
import { ring } from "./compare/ring.ts";
import { ringIdleCpu } from "./compare/ring_idle.ts";
import { ringVsMemcpy } from "./compare/ring_stream.ts";
import {
  ringLatency,
  ringLatencyP99,
  ringLatencyP999,
  ringLatencySpin,
} from "./compare/ring_latency.ts";
import { handoffTmpfile } from "./compare/handoff_tmpfile.ts";
import { asyncRead } from "./compare/async_read.ts";
import { pythonShm } from "./compare/python_shm.ts";
import {
  type Noted,
  type Row,
  type Skipped,
  type Stem,
  STEMS,
} from "./compare/row.ts";
import { sealsGet } from "./compare/seals.ts";
import { missed, table } from "./compare/table.ts";

type Runner = (config: Config, name: string) => Promise<Noted | Skipped>;

const RUNNERS: Record<Stem, Runner> = {
  "lifecycle": lifecycle,
  "seals-get": sealsGet,
  "warm-copy": warmCopy,
  "first-touch": firstTouch,
  "map-view-256MiB": mapView,
  "handoff-1GiB": handoff,
  "ring": ring,
  "ring-vs-memcpy": ringVsMemcpy,
  "ring-idle-cpu": ringIdleCpu,
  "ring-latency": ringLatency,
  "ring-latency-p99": ringLatencyP99,
  "ring-latency-p999": ringLatencyP999,
  "ring-latency-spin": ringLatencySpin,
  "handoff-tmpfile": handoffTmpfile,
  "async-read": asyncRead,
  "python-lifecycle": pythonLifecycle,
  "python-shm": pythonShm,
};

const DEFAULT_OUT = new URL("./results.json", import.meta.url).pathname;

function options() {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      "quick": { type: "boolean", default: false },
      "out": { type: "string", default: DEFAULT_OUT },
      "only": { type: "string" },
      "check-targets": { type: "boolean", default: false },
      "busy": { type: "string", default: "0" },
      "same-cpu": { type: "boolean", default: false },
    },
  });
  const only = values.only?.split(",") ?? [...STEMS];
  for (const stem of only) {
    if (!(STEMS as readonly string[]).includes(stem)) {
      throw new TypeError(`unknown row ${stem}; rows: ${STEMS.join(", ")}`);
    }
  }
  const busy = Number(values.busy);
  if (!Number.isInteger(busy) || busy < 0) {
    throw new TypeError(`--busy takes a whole number, got ${values.busy}`);
  }
  return { ...values, only: only as Stem[], busy };
}

async function main(): Promise<number> {
  const opts = options();
  const config = opts.quick ? QUICK : FULL;
  const rows: (Noted | Skipped)[] = [];
  await using _load = busyLoops(opts.busy);
  if (opts.busy > 0) console.log(`under load: ${opts.busy} busy loops`);
  if (opts["same-cpu"]) {
    console.log(`on one CPU: this run and its children on ${await oneCpu()}`);
  }
  const loaded = opts.busy > 0 || opts["same-cpu"];
  for (const stem of STEMS) {
    if (!opts.only.includes(stem)) continue;
    const name = config.quick ? `${stem}:quick` : stem;
    const started = performance.now();
    const row = await RUNNERS[stem](config, name);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.error(
      "skipped" in row
        ? `${name}: ${row.skipped}`
        : `${name}: ratio ${row.ratio} (${seconds} s)`,
    );
    rows.push(row);
  }
  const measured = rows.filter((r): r is Noted => !("skipped" in r));
  const json: Row[] = measured.map(({ note: _, ...row }) => row);
  await Deno.writeTextFile(opts.out, JSON.stringify(json, null, 2) + "\n");
  console.log(table(rows, loaded));
  for (const { note } of measured) if (note) console.log(note);
  console.log(`\nwrote ${opts.out}`);
  const misses = missed(rows, loaded);
  if (misses.length > 0) {
    console.log(`targets missed: ${misses.map((r) => r.name).join(", ")}`);
    if (opts["check-targets"]) return 1;
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main());

/**
 * `warm-copy` (copying into faulted pages) and `first-touch` (writing
 * fresh pages, with and without pre-faulting).
 * @module
 */

import { Memfd } from "../../mod.ts";
import type { Config } from "./config.ts";
import { alternate, gbPerSecond, median } from "./measure.ts";
import { memcpyNs } from "./native.ts";
import { type Noted, type Row, toRow } from "./row.ts";

function source(bytes: number): Uint8Array {
  // Filled so that every page of the source is really there, as it would
  // be for data a program produced.
  return new Uint8Array(bytes).fill(0x5a);
}

/**
 * The `warm-copy` row: `bytes.set(src)` against a native `memcpy` of the
 * same source into the same mapping, in GB/s.
 */
export async function warmCopy(config: Config, name: string): Promise<Row> {
  const { copyBytes: bytes, copiesPerRound: copies } = config;
  const src = source(bytes);
  using fd = Memfd.create("warm-copy", { size: bytes });
  using map = fd.map();
  map.bytes.set(src);
  const paired = await alternate(
    () => {
      const t0 = performance.now();
      for (let i = 0; i < copies; i++) map.bytes.set(src);
      return gbPerSecond(bytes * copies, performance.now() - t0);
    },
    () => gbPerSecond(bytes, memcpyNs(map.bytes, src, copies) / 1e6),
    config.bulk,
  );
  return toRow(name, "GB/s", "Rust memcpy into a faulted mapping", paired);
}

/**
 * GB/s of map + write of a fresh memfd of `src.length` bytes; the GB/s of
 * the write alone goes to `writes`.
 */
function freshWrite(
  src: Uint8Array,
  populate: boolean,
  writes: number[],
): number {
  using fd = Memfd.create("first-touch", { size: src.length });
  const t0 = performance.now();
  using map = fd.map({ populate });
  const t1 = performance.now();
  map.bytes.set(src);
  const t2 = performance.now();
  writes.push(gbPerSecond(src.length, t2 - t1));
  return gbPerSecond(src.length, t2 - t0);
}

/**
 * The `first-touch` row: map + write of fresh pages with
 * `map({ populate: true })` (MAP_POPULATE) against plain `map()`, in GB/s,
 * timed from the map call (pre-faulting moves work into it, it does not
 * remove it). The note gives the write alone.
 */
export async function firstTouch(
  config: Config,
  name: string,
): Promise<Noted> {
  const src = source(config.copyBytes);
  const populated: number[] = [];
  const faulted: number[] = [];
  const paired = await alternate(
    () => freshWrite(src, true, populated),
    () => freshWrite(src, false, faulted),
    config.bulk,
  );
  const row = toRow(
    name,
    "GB/s",
    "map() without populate (page faults)",
    paired,
  );
  const [p, f] = [median(populated), median(faulted)];
  const note = `${name}: map + write timed; the write alone runs at ` +
    `${p.toFixed(2)} GB/s after populate vs ${f.toFixed(2)} GB/s faulting ` +
    `(${(p / f).toFixed(1)}x)`;
  return { ...row, note };
}

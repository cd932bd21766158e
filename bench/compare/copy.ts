/**
 * `warm-copy` (copying into faulted pages) and `first-touch` (writing
 * fresh pages, with and without pre-faulting).
 * @module
 */

import { Memfd } from "../../mod.ts";
import type { Config } from "./config.ts";
import { alternate, gbPerSecond } from "./measure.ts";
import { memcpyNs } from "./native.ts";
import { type Row, toRow } from "./row.ts";

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

/** GB/s of map + write of a fresh memfd of `bytes`. */
function freshWrite(src: Uint8Array, populate: boolean): number {
  using fd = Memfd.create("first-touch", { size: src.length });
  const t0 = performance.now();
  using map = fd.map({ populate });
  map.bytes.set(src);
  return gbPerSecond(src.length, performance.now() - t0);
}

/**
 * The `first-touch` row: map + write of fresh pages with
 * `map({ populate: true })` (MAP_POPULATE) against plain `map()`, in GB/s.
 */
export async function firstTouch(config: Config, name: string): Promise<Row> {
  const src = source(config.copyBytes);
  const paired = await alternate(
    () => freshWrite(src, true),
    () => freshWrite(src, false),
    config.bulk,
  );
  return toRow(name, "GB/s", "map() without populate (page faults)", paired);
}

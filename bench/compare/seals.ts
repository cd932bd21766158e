/**
 * `seals-get`: `memfd.seals` against a native loop of `F_GET_SEALS`.
 * @module
 */

import { Memfd } from "../../mod.ts";
import type { Config } from "./config.ts";
import { alternate } from "./measure.ts";
import { getSealsNs } from "./native.ts";
import { type Row, toRow } from "./row.ts";

/** ns per `memfd.seals` read. */
function oursNs(fd: Memfd, ops: number): number {
  let seals: ReadonlySet<string> | undefined;
  const t0 = performance.now();
  // Only the read itself: touching the set (`.size`) would add its own cost.
  for (let i = 0; i < ops; i++) seals = fd.seals;
  const ns = (performance.now() - t0) * 1e6 / ops;
  if (seals === undefined) throw new Error("no seals read");
  return ns;
}

/** The `seals-get` row. */
export async function sealsGet(config: Config, name: string): Promise<Row> {
  using fd = Memfd.create("seals");
  const paired = await alternate(
    () => oursNs(fd, config.sealsOps),
    () => getSealsNs(config.sealsOps),
    config.micro,
  );
  return toRow(name, "ns/op", "Rust fcntl(F_GET_SEALS) loop", paired);
}

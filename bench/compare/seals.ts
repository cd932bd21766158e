/**
 * `seals-get`: `memfd.seals` against a native loop of `F_GET_SEALS`, with
 * the raw-symbol floor in the note.
 * @module
 */

import { Memfd } from "../../mod.ts";
import type { Config } from "./config.ts";
import { alternate, median } from "./measure.ts";
import { rawGetSealsNs } from "./ffi_floor.ts";
import { floorNote } from "./lifecycle.ts";
import { getSealsNs } from "./native.ts";
import { type Noted, toRow } from "./row.ts";

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
export async function sealsGet(
  config: Config,
  name: string,
): Promise<Noted> {
  using fd = Memfd.create("seals");
  const floor: number[] = [];
  const paired = await alternate(
    () => {
      floor.push(rawGetSealsNs(fd.fd, config.sealsOps));
      return oursNs(fd, config.sealsOps);
    },
    () => getSealsNs(config.sealsOps),
    config.micro,
  );
  const row = toRow(name, "ns/op", "Rust fcntl(F_GET_SEALS) loop", paired);
  return { ...row, note: floorNote(name, median(floor), paired) };
}

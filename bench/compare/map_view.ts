/**
 * `map-view-256MiB`: map + view + unmap of an untouched region against
 * native `mmap` + `munmap`.
 * @module
 */

import { Memfd } from "../../mod.ts";
import type { Config } from "./config.ts";
import { alternate } from "./measure.ts";
import { mapUnmapNs } from "./native.ts";
import { type Row, toRow } from "./row.ts";

/** The `map-view-256MiB` row, in ns per map + view + unmap. */
export async function mapView(config: Config, name: string): Promise<Row> {
  const { mapViewBytes: bytes, mapViewOps: ops } = config;
  using fd = Memfd.create("map-view", { size: bytes });
  const paired = await alternate(
    () => {
      let sink = 0;
      const t0 = performance.now();
      for (let i = 0; i < ops; i++) {
        const map = fd.map();
        sink += map.bytes.length;
        map.unmap();
      }
      const ns = (performance.now() - t0) * 1e6 / ops;
      if (sink < 0) console.log(sink);
      return ns;
    },
    () => mapUnmapNs(ops, bytes),
    config.micro,
  );
  return toRow(name, "ns/op", "Rust mmap + munmap", paired);
}

/**
 * `deno bench` suite: mapping and unmapping (needs the unscoped
 * `--allow-ffi`: mappings use Deno's raw-pointer API).
 * @module
 */

import { Memfd } from "../mod.ts";

const KiB = 1 << 10;
const MiB = 1 << 20;

for (
  const [label, size] of [["4 KiB", 4 * KiB], ["1 MiB", MiB], [
    "256 MiB",
    256 * MiB,
  ]] as const
) {
  const fd = Memfd.create(`map-${label}`, { size });
  Deno.bench(`map + unmap ${label}`, { group: "map" }, () => {
    fd.map().unmap();
  });
}

const touched = Memfd.create("touch", { size: MiB });
Deno.bench("map + touch every page + unmap 1 MiB", () => {
  const map = touched.map();
  const bytes = map.bytes;
  for (let i = 0; i < bytes.length; i += 4096) bytes[i] = 1;
  map.unmap();
});

const ring = Memfd.create("ring", { size: 64 * KiB });
Deno.bench("mapRing + unmap 64 KiB", { group: "ring" }, () => {
  ring.mapRing().unmap();
});

const bigRing = Memfd.create("ring-big", { size: 16 * MiB });
Deno.bench("mapRing + unmap 16 MiB", { group: "ring" }, () => {
  bigRing.mapRing().unmap();
});

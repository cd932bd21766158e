/**
 * `deno bench` suite: creating, resizing and sealing memfds.
 * @module
 */

import { Memfd } from "../mod.ts";

const MiB = 1 << 20;

Deno.bench("create + close", { group: "create" }, () => {
  Memfd.create("bench").close();
});

Deno.bench("create 1 MiB + close", { group: "create" }, () => {
  Memfd.create("bench", { size: MiB }).close();
});

Deno.bench("create + map + touch + unmap + close (1 MiB)", () => {
  const fd = Memfd.create("bench", { size: MiB });
  const map = fd.map();
  map.bytes[0] = 1;
  map.unmap();
  fd.close();
});

const resized = Memfd.create("resize");
let grow = true;
Deno.bench("resize 1 MiB <-> 2 MiB", () => {
  resized.resize(grow ? 2 * MiB : MiB);
  grow = !grow;
});

const sealed = Memfd.create("seals");
Deno.bench("seals (get)", { group: "seals" }, () => {
  sealed.seals;
});

Deno.bench("seal('grow') (already set: idempotent add)", {
  group: "seals",
}, () => {
  sealed.seal("grow");
});

Deno.bench("create + seal('shrink', 'grow') + close", {
  group: "seals",
}, () => {
  const fd = Memfd.create("bench");
  fd.seal("shrink", "grow");
  fd.close();
});

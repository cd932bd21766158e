/**
 * The worker side of `examples/worker.ts`: reopens the memfd by path,
 * checks it cannot change any more, maps it and checksums it.
 * @module
 */

/// <reference lib="deno.worker" />

import { Memfd } from "../mod.ts";
import { checksum } from "./checksum.ts";
import type { WorkerReply } from "./worker.ts";

self.onmessage = (e: MessageEvent<string>) => {
  self.postMessage(inspect(e.data));
};

/**
 * Opens, checks and checksums the memfd at `path`; everything is closed
 * and unmapped before the reply goes out, so the main thread can rely on
 * it being released once it hears back.
 */
function inspect(path: string): WorkerReply {
  using fd = Memfd.open(path); // read-only: this side only reads
  fd.requireSeals("shrink", "grow", "write");
  // A read-only fd maps copy-on-write ("private"): the pages are shared
  // until someone writes, and nobody can.
  using map = fd.map({ access: "private" });
  return {
    name: fd.name,
    size: fd.size,
    sealed: fd.seals.has("write"),
    sum: checksum(map.bytes),
  };
}

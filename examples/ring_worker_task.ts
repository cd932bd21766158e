/**
 * The worker side of `examples/ring_worker.ts`: opens the main thread's
 * ring by path and produces the requested bytes, sleeping in
 * `waitWritableSync()` while the ring is full, then ends the stream.
 * @module
 */

/// <reference lib="deno.worker" />

import { Memfd, RingBuffer } from "../mod.ts";
import { byteAt, type RingWorkerRequest } from "./ring_worker.ts";

self.onmessage = (e: MessageEvent<RingWorkerRequest>) => {
  produce(e.data);
  // Everything of this side is closed by now: the main thread may check
  // that nothing leaked as soon as it hears this.
  self.postMessage("closed");
};

function produce({ path, bytes, spin }: RingWorkerRequest): void {
  using fd = Memfd.open(path, { write: true });
  using ring = RingBuffer.open(fd);
  const options = spin === undefined ? undefined : { spin };
  for (let sent = 0; sent < bytes;) {
    const room = ring.waitWritableSync(options);
    const space = ring.writable();
    const n = Math.min(room, space.length, bytes - sent, 3000);
    for (let i = 0; i < n; i++) space[i] = byteAt(sent + i);
    ring.commit(n);
    sent += n;
  }
  ring.end();
}

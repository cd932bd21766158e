/**
 * Sharing a memfd with a `Worker`: the main thread fills and seals a
 * memfd, then hands the worker its `path` (a string). The worker reopens
 * it with `Memfd.open` and maps it itself: both threads see the same
 * pages, nothing is copied.
 *
 * Do not post the mapping's `ArrayBuffer` instead, and never in the
 * transfer list: transferring detaches it here and leaves the library
 * unable to detach the worker's copy when it unmaps (it swaps the pages
 * for zeros instead), and a structured clone copies every byte. Paths and
 * fds are what cross threads; mappings are made on each side.
 *
 * Run with `deno task example:worker`.
 * @module
 */

import { Memfd } from "../mod.ts";
import { checksum } from "./checksum.ts";

const SIZE = 16 << 20;

/** What the worker sends back. */
export interface WorkerReply {
  name: string;
  size: number;
  sealed: boolean;
  sum: number;
}

/** Fills, seals, hands the path to a worker; resolves with its reply. */
export async function shareWithWorker(): Promise<
  { mine: number; reply: WorkerReply }
> {
  using fd = Memfd.create("worker-frames", { size: SIZE });
  {
    using map = fd.map();
    const words = new Uint32Array(map.buffer);
    for (let i = 0; i < words.length; i++) words[i] = Math.imul(i, 2654435761);
  }
  fd.seal("shrink", "grow", "write");
  let mine: number;
  {
    using map = fd.map({ access: "private" });
    mine = checksum(map.bytes);
  }
  const worker = new Worker(new URL("./worker_task.ts", import.meta.url), {
    type: "module",
  });
  try {
    // The path stays valid while `fd` is open: keep it open until the
    // worker answers (it holds its own fd from then on).
    const reply = new Promise<WorkerReply>((resolve, reject) => {
      worker.onmessage = (e) => resolve(e.data);
      worker.onerror = (e) => {
        e.preventDefault();
        reject(new Error(`worker failed: ${e.message}`));
      };
    });
    worker.postMessage(fd.path);
    return { mine, reply: await reply };
  } finally {
    worker.terminate();
  }
}

if (import.meta.main) {
  const { mine, reply } = await shareWithWorker();
  console.log(
    `main:   checksum ${mine.toString(16)} of ${SIZE >> 20} MiB`,
  );
  console.log(
    `worker: checksum ${reply.sum.toString(16)} of '${reply.name}', ` +
      `${reply.size >> 20} MiB, sealed: ${reply.sealed}`,
  );
  console.log(mine === reply.sum ? "same memory, no copy" : "MISMATCH");
}

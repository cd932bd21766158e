/**
 * The child side of `ring-idle-cpu`: a consumer that says `waiting`, then
 * waits for one byte, on a ring (the parent's, opened by path) with the
 * default waits, or in a blocking `read()` of its stdin (a pipe).
 *
 *     deno run --allow-ffi --allow-read --allow-write=<path> idle_peer.ts ring <path> sync|async
 *     deno run --allow-read idle_peer.ts pipe
 *
 * @module
 */

import { Memfd, RingBuffer } from "../../mod.ts";
import { say } from "./peer_lines.ts";

async function onRing(path: string, wait: string): Promise<void> {
  using fd = Memfd.open(path, { write: true });
  using ring = RingBuffer.open(fd);
  say("waiting");
  if (wait === "sync") ring.waitReadableSync();
  else await ring.waitReadable();
  ring.read(new Uint8Array(1));
}

function onPipe(): void {
  say("waiting");
  if (Deno.stdin.readSync(new Uint8Array(1)) === null) {
    throw new Error("stdin ended before its byte");
  }
}

if (import.meta.main) {
  const [mode, ...rest] = Deno.args;
  // ring_idle.ts passes the ring path and the wait after "ring".
  if (mode === "ring") await onRing(rest[0]!, rest[1]!);
  else if (mode === "pipe") onPipe();
  else throw new Error(`unknown mode ${mode}`);
}

/**
 * The child side of `ring-latency`: echoes 64-byte messages back to the
 * parent until it sees the stop byte (or end of input), over one of three
 * transports.
 *
 *     deno run --allow-ffi --allow-read latency_peer.ts ring <in> <out> <wait>
 *     deno run --allow-read latency_peer.ts pipe
 *     deno run --allow-read --allow-write --allow-net latency_peer.ts socket <path>
 *
 * `ring`: the parent's two `RingBuffer`s opened by path, one each way;
 * `<wait>` is `sync` (`waitReadableSync`, blocking this thread: the row),
 * `spin` (polling the index, never sleeping: `ring-latency-spin`; it
 * stops when its parent is gone), or a number of index checks before an
 * async `waitReadable()`.
 * `pipe`: stdin to stdout. `socket`: a Unix socket the parent listens on.
 * @module
 */

import { Memfd, RingBuffer } from "../../mod.ts";
import {
  MESSAGE,
  readRing,
  readRingSpin,
  readRingSync,
  STOP,
} from "./latency_wire.ts";

async function echoRing(inPath: string, outPath: string, wait: string) {
  using inFd = Memfd.open(inPath, { write: true });
  using outFd = Memfd.open(outPath, { write: true });
  using input = RingBuffer.open(inFd);
  using output = RingBuffer.open(outFd);
  const message = new Uint8Array(MESSAGE);
  const parent = Deno.ppid;
  const alive = () => Deno.ppid === parent;
  while (true) {
    if (wait === "sync") readRingSync(input, message);
    else if (wait === "spin") readRingSpin(input, message, alive);
    else await readRing(input, message, Number(wait));
    if (message[0] === STOP) return;
    output.write(message);
  }
}

/** Reads exactly `into.length` bytes; false at end of input. */
async function readFull(
  reader: { read(p: Uint8Array): Promise<number | null> },
  into: Uint8Array,
): Promise<boolean> {
  for (let got = 0; got < into.length;) {
    const n = await reader.read(into.subarray(got));
    if (n === null) return false;
    got += n;
  }
  return true;
}

async function writeFull(
  writer: { write(p: Uint8Array): Promise<number> },
  data: Uint8Array,
): Promise<void> {
  for (let put = 0; put < data.length;) {
    put += await writer.write(data.subarray(put));
  }
}

async function echoStream(
  reader: { read(p: Uint8Array): Promise<number | null> },
  writer: { write(p: Uint8Array): Promise<number> },
) {
  const message = new Uint8Array(MESSAGE);
  while (await readFull(reader, message)) {
    if (message[0] === STOP) return;
    await writeFull(writer, message);
  }
}

if (import.meta.main) {
  const [mode, ...rest] = Deno.args;
  // The bench that spawns this peer passes every argument its mode needs.
  if (mode === "ring") await echoRing(rest[0]!, rest[1]!, rest[2]!);
  else if (mode === "pipe") await echoStream(Deno.stdin, Deno.stdout);
  else if (mode === "socket") {
    using conn = await Deno.connect({ transport: "unix", path: rest[0]! });
    await echoStream(conn, conn);
  } else throw new Error(`unknown mode ${mode}`);
}

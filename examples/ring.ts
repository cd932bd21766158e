/**
 * A cross-process ring buffer: a producer in a child `deno` writes into a
 * `RingBuffer`, this process consumes; then the same bytes go through a
 * pipe (the child's stdout) for comparison. Prints both throughputs and a
 * checksum of what arrived each way.
 *
 * Run with `deno task example:ring` (optional argument: MiB to move,
 * default 256).
 * @module
 */

import { Memfd, RingBuffer } from "../mod.ts";

const RING_BYTES = 4 << 20;
const CHUNK = 1 << 20;

/** The byte stream both ways carry: a 1 MiB block of noise, repeated. */
function pattern(): Uint8Array {
  const block = new Uint8Array(CHUNK);
  let x = 0x9e3779b9;
  for (let i = 0; i < block.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    block[i] = x;
  }
  return block;
}

/** A cheap checksum of every 64th byte, to show both ways carried the same. */
function sample(bytes: Uint8Array, sum: number, offset: number): number {
  for (let i = (64 - offset % 64) % 64; i < bytes.length; i += 64) {
    sum = (Math.imul(sum, 31) + bytes[i]!) | 0; // i < bytes.length
  }
  return sum;
}

async function produce(path: string, total: number): Promise<void> {
  using fd = Memfd.open(path, { write: true });
  using ring = RingBuffer.open(fd);
  const block = pattern();
  // Tell the consumer to start its clock: from here on only bytes move.
  Deno.stdout.writeSync(new TextEncoder().encode("go\n"));
  let sent = 0;
  while (sent < total) {
    const space = ring.writable();
    if (space.length === 0) {
      await ring.waitWritable(); // sleeps until the consumer makes room
      continue;
    }
    // Copy straight into the ring: one view even across the wrap point.
    let n = 0;
    while (n < space.length && sent + n < total) {
      const at = (sent + n) % CHUNK;
      const piece = Math.min(CHUNK - at, space.length - n, total - sent - n);
      space.set(block.subarray(at, at + piece), n);
      n += piece;
    }
    ring.commit(n);
    sent += n;
  }
  ring.end(); // the consumer drains, then its waitReadable() resolves 0
}

function pipeOut(total: number): void {
  const block = pattern();
  for (let sent = 0; sent < total; sent += CHUNK) {
    let chunk = block.subarray(0, Math.min(CHUNK, total - sent));
    while (chunk.length > 0) {
      chunk = chunk.subarray(Deno.stdout.writeSync(chunk));
    }
  }
}

function child(args: string[]): Deno.ChildProcess {
  // The producer opens the ring's memfd for writing by its /proc path.
  const write = args[0] === "produce" ? [`--allow-write=${args[1]}`] : [];
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-ffi",
      "--allow-read",
      ...write,
      new URL(import.meta.url).pathname,
      ...args,
    ],
    stdout: "piped",
  }).spawn();
}

function report(what: string, bytes: number, ms: number, sum: number) {
  const mib = bytes / (1 << 20);
  console.log(
    `${what.padEnd(5)} ${mib} MiB in ${ms.toFixed(0).padStart(5)} ms: ` +
      `${(mib / (ms / 1000)).toFixed(0).padStart(6)} MiB/s ` +
      `(checksum ${(sum >>> 0).toString(16)})`,
  );
}

async function consume(total: number): Promise<void> {
  // Through the ring: the child maps the same memory.
  {
    using ring = RingBuffer.create(RING_BYTES);
    const producer = child(["produce", ring.memfd.path, String(total)]);
    const signal = producer.stdout.getReader();
    await signal.read(); // "go": the producer has started
    const start = performance.now();
    const into = new Uint8Array(CHUNK);
    let received = 0;
    let sum = 0;
    while (true) {
      const n = ring.read(into); // a copy out, like reading a pipe
      if (n === 0) {
        // Sleeps until the producer commits; 0 once it ended and all is
        // read. A producer that dies instead is an ECONNRESET, not a hang.
        if (await ring.waitReadable() === 0) break;
        continue;
      }
      sum = sample(into.subarray(0, n), sum, received);
      received += n;
    }
    report("ring", received, performance.now() - start, sum);
    await signal.cancel();
    await producer.status;
  }
  // Through a pipe: the same bytes on the child's stdout.
  {
    const producer = child(["pipe", String(total)]);
    let received = 0;
    let sum = 0;
    let start = 0;
    for await (const chunk of producer.stdout) {
      if (received === 0) start = performance.now();
      sum = sample(chunk, sum, received);
      received += chunk.length;
    }
    report("pipe", received, performance.now() - start, sum);
    await producer.status;
  }
}

const [role, ...rest] = Deno.args;
if (role === "produce") {
  await produce(rest[0]!, Number(rest[1])); // main passes the ring path
} else if (role === "pipe") {
  pipeOut(Number(rest[0]));
} else {
  const mib = Number(role ?? 256);
  if (!Number.isInteger(mib) || mib <= 0) {
    throw new RangeError(`MiB to move must be a positive integer: ${role}`);
  }
  console.log(
    `moving ${mib} MiB from a child deno: a ${RING_BYTES >> 20} MiB ` +
      `RingBuffer, then a pipe`,
  );
  await consume(mib << 20);
}

/**
 * Ring waits that spin and waits that sleep, mixed: each wait picks its
 * `spin` (0, a few µs, the adaptive default, a forced long spin), async or
 * sync, and the other side acts at once (the waiter finds it while it
 * spins or on its first look), after the waiter parked on the futex (a
 * macrotask later), or never (the waiting side is closed). Whatever the
 * mix, every wait resolves with what the model says and no sleeper is
 * left recorded in the header. Deterministic by seed: only the timing of
 * the wake-ups varies, never an outcome.
 * @module
 */

import { type Expect, fails, mismatch, OK } from "../expect.ts";
import { later } from "../runner.ts";
import { opCreate } from "./lifecycle.ts";
import { verifyFile } from "./verify.ts";
import type { RingFile, RingWorld, Side } from "./world.ts";

/** Header slots of the sleeper counts (docs/ring.md). */
const WRITER_WAITING = 17;
const READER_WAITING = 33;

function spinOption(w: RingWorld): { spin?: number } | undefined {
  switch (w.rng.int(4)) {
    case 0:
      return undefined; // adaptive
    case 1:
      return { spin: 0 }; // sleep at once
    case 2:
      return { spin: w.rng.range(1, 20) };
    default:
      return { spin: w.rng.range(50, 300) };
  }
}

/**
 * The header's sleeper counts, read through an open memfd of the ring as
 * another process would (none open: `undefined`). The corrupt op writes
 * them too, so a wait is judged by what it changed, not by zero.
 */
function sleepersOf(w: RingWorld, file: RingFile): string | undefined {
  const memfd = w.memfdsOf(file).find((m) => !m.closed);
  if (memfd === undefined) return undefined;
  const words = new Int32Array(48);
  memfd.read(new Uint8Array(words.buffer));
  return `${words[WRITER_WAITING]},${words[READER_WAITING]}`;
}

export async function opSpinWait(w: RingWorld): Promise<void> {
  const r = w.rng;
  const side = w.pickSide();
  if (side === undefined) return opCreate(w);
  const file = side.file;
  const m = file.model;
  if (m.used() === undefined) return; // corrupt header: the corrupt op's
  const readable = r.chance(0.5);
  const amount = () => readable ? m.used()! : m.capacity - m.used()!;
  const options = spinOption(w);
  const label = `${readable ? "waitReadable" : "waitWritable"}(${
    JSON.stringify(options ?? {})
  })`;
  const what = `${label}, side ${side.id} of ring ${file.id}`;
  const before = sleepersOf(w, file);
  if (amount() > 0 || r.chance(0.2)) {
    // Ready already (or made ready first): the sync wait too returns at once.
    if (amount() === 0) act(w, side, readable);
    const sync = r.chance(0.5);
    const out = sync
      ? w.call(
        `${what} (sync)`,
        OK,
        () =>
          readable
            ? side.ring.waitReadableSync(options)
            : side.ring.waitWritableSync(options),
      )
      : await w.callAsync(
        what,
        OK,
        () =>
          readable
            ? side.ring.waitReadable(options)
            : side.ring.waitWritable(options),
      );
    check(out, amount(), what);
  } else {
    const wait = later(
      readable
        ? side.ring.waitReadable(options)
        : side.ring.waitWritable(options),
    );
    // Act while the waiter is still spinning or looking (its spin ran on
    // this thread already: it found nothing), or once it sleeps.
    const when = r.pick(["now", "microtask", "parked"] as const);
    if (when === "microtask") await Promise.resolve();
    if (when === "parked") await new Promise((done) => setTimeout(done, 0));
    let expect: Expect = OK;
    if (r.chance(0.15)) {
      w.note(`${what}: closing the waiting side (${when})`);
      side.ring.close();
      w.forgetSide(side);
      expect = fails("EBADF");
    } else {
      act(w, side, readable, when);
    }
    const out = await w.callAsync(what, expect, () => wait);
    if (out.ok) check(out, amount(), what);
  }
  const after = sleepersOf(w, file);
  if (before !== undefined && after !== undefined && after !== before) {
    mismatch(`${what}: sleepers in the header went from ${before} to ${after}`);
  }
  if (w.files.includes(file)) verifyFile(w, file, `after ${what}`);
}

/** A side of the same ring makes the wait ready: writes or consumes. */
function act(w: RingWorld, side: Side, readable: boolean, when = "first") {
  const m = side.file.model;
  const other = w.rng.pick(side.file.sides);
  if (readable) {
    const n = w.rng.range(1, m.capacity - m.used()!);
    w.note(`side ${other.id} writes ${n} (${when})`);
    const data = w.rng.bytes(n);
    other.ring.write(data);
    m.writeAt(m.freeStart(), data);
    m.commit(n);
  } else {
    const n = w.rng.range(1, m.used()!);
    w.note(`side ${other.id} consumes ${n} (${when})`);
    other.ring.consume(n);
    m.consume(n);
  }
}

function check(
  out: { ok: true; value: number } | { ok: false; error: string },
  want: number,
  what: string,
) {
  if (out.ok && out.value !== want) {
    mismatch(`${what}: resolved with ${out.value}, model says ${want}`);
  }
}

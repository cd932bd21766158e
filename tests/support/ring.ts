/**
 * Ring test helpers: the header's sleeper counts, read as another process
 * would (through the memfd, not the mapping), and the other side of a ring.
 * @module
 */

import { Memfd, RingBuffer } from "../../mod.ts";

/** Slots of the header page (`src/ring/header.ts`, docs/ring.md). */
const HEADER_WORDS = 48;
const SLOT_WRITER_WAITING = 17;
const SLOT_READER_WAITING = 33;

/** The [writers, readers] sleeping counts in the header. */
export function sleepers(ring: RingBuffer): number[] {
  const words = new Int32Array(HEADER_WORDS);
  ring.memfd.read(new Uint8Array(words.buffer));
  // Both slots are below HEADER_WORDS.
  return [words[SLOT_WRITER_WAITING]!, words[SLOT_READER_WAITING]!];
}

/** The other side of `ring`, as another process would open it. */
export function otherSide(ring: RingBuffer): RingBuffer & { fd: Memfd } {
  const fd = Memfd.open(ring.memfd.path, { write: true });
  const side = RingBuffer.open(fd);
  return Object.assign(side, {
    fd,
    [Symbol.dispose]() {
      side.close();
      fd.close();
    },
  });
}

/**
 * The ring suite's model of one ring memfd: its header page (as int32
 * slots) and its data bytes, raw. The byte queue is what lies between the
 * indices, so the model also says what happens once another process
 * rewrote the header: which indices are corrupt, which open() refuses.
 *
 * The header layout is the ring's format on the memfd, shared by every
 * process that opens it (so fixed, like a wire format): magic "RING",
 * version, capacity and page size, then the producer's `head` and the
 * consumer's `tail` on cache lines of their own, each with a count of
 * sleepers waiting for it to move.
 * @module
 */

export const SLOT = {
  magic: 0,
  version: 1,
  capacity: 2,
  page: 3,
  head: 16,
  writerWaiting: 17,
  tail: 32,
  readerWaiting: 33,
} as const;
export type SlotName = keyof typeof SLOT;

export const MAGIC = 0x474e4952;
export const VERSION = 2;
/** The largest capacity `create` makes: indices run below 2^31. */
export const MAX_CAPACITY = 2 ** 30;

/** One ring memfd: header slots, data bytes and the file's size. */
export class RingModel {
  readonly capacity: number;
  readonly page: number;
  /** The header page as int32 slots. */
  readonly header: Int32Array;
  readonly data: Uint8Array;
  size: number;

  constructor(capacity: number, page: number) {
    this.capacity = capacity;
    this.page = page;
    this.header = new Int32Array(page / 4);
    // A ring too large to drive is only ever refused: hold no data for it.
    this.data = new Uint8Array(capacity <= MAX_CAPACITY ? capacity : 0);
    this.size = page + capacity;
    this.header[SLOT.magic] = MAGIC;
    this.header[SLOT.version] = VERSION;
    this.header[SLOT.capacity] = capacity;
    this.header[SLOT.page] = page;
  }

  get head(): number {
    return this.header[SLOT.head]!; // SLOT indexes the header page
  }

  get tail(): number {
    return this.header[SLOT.tail]!;
  }

  /** The modulus of the indices. */
  get wrap(): number {
    return 2 * this.capacity;
  }

  /** Bytes pending, or `undefined` when the indices are corrupt. */
  used(): number | undefined {
    const { head, tail, wrap } = this;
    if (head >>> 0 >= wrap || tail >>> 0 >= wrap) return undefined;
    const used = head - tail < 0 ? head - tail + wrap : head - tail;
    return used > this.capacity ? undefined : used;
  }

  /** Where `index` points in the data. */
  at(index: number): number {
    return index % this.capacity;
  }

  /** `n` data bytes from data position `start`, wrapping. */
  dataAt(start: number, n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      out[i] = this.data[(start + i) % this.capacity]!;
    }
    return out;
  }

  writeAt(start: number, bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++) {
      this.data[(start + i) % this.capacity] = bytes[i]!;
    }
  }

  /** The pending bytes (indices must be sound). */
  pending(): Uint8Array {
    return this.dataAt(this.at(this.tail), this.used()!);
  }

  /** Where free space starts in the data. */
  freeStart(): number {
    return this.at(this.head);
  }

  commit(n: number): void {
    this.header[SLOT.head] = (this.head + n) % this.wrap;
  }

  consume(n: number): void {
    this.header[SLOT.tail] = (this.tail + n) % this.wrap;
  }

  /** Why `RingBuffer.open` refuses this memfd, or `undefined`. */
  openRefusal(): string | undefined {
    const h = this.header;
    if (this.size < 2 * this.page || this.size % this.page !== 0) return "size";
    if (h[SLOT.magic] !== MAGIC) return "magic";
    if (h[SLOT.version] !== VERSION) return "version";
    if (h[SLOT.page] !== this.page) return "page";
    if (h[SLOT.capacity] !== this.size - this.page) return "capacity";
    // Indices run to twice the capacity and must fit an int32.
    if (h[SLOT.capacity]! > MAX_CAPACITY) return "capacity";
    return undefined;
  }
}

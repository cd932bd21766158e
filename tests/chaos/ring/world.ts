/**
 * The ring suite's state: ring memfds (each with its model), the
 * `RingBuffer` sides open over each, the `Memfd`s of it the run holds, and
 * closed sides kept to be used again, wrongly.
 * @module
 */

import type { Memfd, RingBuffer } from "../../../mod.ts";
import { dm_page_size } from "../../../src/native.ts";
import { ensureLoaded } from "../../../src/loader/library.ts";
import { Runner } from "../runner.ts";
import type { RingModel } from "./model.ts";

/** Ring memfds at most, sides of each, and `Memfd`s of each the run holds. */
export const MAX_FILES = 3;
export const MAX_SIDES = 4;
export const MAX_MEMFDS = 3;
const KEEP_CLOSED = 8;

/** One `RingBuffer` object. */
export interface Side {
  id: number;
  ring: RingBuffer;
  file: RingFile;
  /** Made by `RingBuffer.create`: its memfd closes with it. */
  owner: boolean;
  closed: boolean;
  /** Views handed out: they must detach when the side closes. */
  views: Uint8Array[];
  /**
   * The bytes the last writable() / readable() offered, until this side
   * publishes (commit or write / consume or read): a later commit /
   * consume of a count within that offer that the ring no longer holds is
   * EINVAL (another process moved an index: corrupt), not a RangeError.
   */
  writeOffer?: number;
  readOffer?: number;
}

/** `side.ring.writable()`, recording the offer (see {@linkcode Side}). */
export function writableOf(side: Side): Uint8Array {
  const view = side.ring.writable();
  side.writeOffer = view.length;
  return view;
}

/** `side.ring.readable()`, recording the offer (see {@linkcode Side}). */
export function readableOf(side: Side): Uint8Array {
  const view = side.ring.readable();
  side.readOffer = view.length;
  return view;
}

/**
 * What a commit (`offer` = the side's write offer) or a consume (its read
 * offer) of `n` fails with when `n` is past what the ring holds.
 */
export function pastLimit(offer: number | undefined, n: number): string {
  return offer !== undefined && n <= offer ? "EINVAL" : "RangeError";
}

/** One ring memfd. */
export interface RingFile {
  id: number;
  model: RingModel;
  /** Live sides over it. */
  sides: Side[];
  /** `Memfd`s of it that the run opened (and must close). */
  memfds: Memfd[];
  /** The side that made it, while that side is open. */
  creator?: Side;
}

export class RingWorld extends Runner {
  readonly page: number;
  files: RingFile[] = [];
  closedSides: Side[] = [];
  nextId = 1;

  constructor(seed: number, trace: boolean) {
    super(seed, trace);
    ensureLoaded();
    this.page = dm_page_size();
  }

  /** Every open `Memfd` of `file`: the creator's and the run's own. */
  memfdsOf(file: RingFile): Memfd[] {
    const own = file.creator ? [file.creator.ring.memfd] : [];
    return [...own, ...file.memfds];
  }

  pickFile(): RingFile | undefined {
    return this.files.length === 0 ? undefined : this.rng.pick(this.files);
  }

  /** A live side, of `file` or of any file. */
  pickSide(file?: RingFile): Side | undefined {
    const sides = file ? file.sides : this.files.flatMap((f) => f.sides);
    return sides.length === 0 ? undefined : this.rng.pick(sides);
  }

  addSide(file: RingFile, ring: RingBuffer, owner: boolean): Side {
    const side = {
      id: this.nextId++,
      ring,
      file,
      owner,
      closed: false,
      views: [],
    };
    file.sides.push(side);
    if (owner) file.creator = side;
    return side;
  }

  /** After `side.ring.close()`: forget it, and its file once unreachable. */
  forgetSide(side: Side): void {
    const file = side.file;
    side.closed = true;
    file.sides = file.sides.filter((s) => s !== side);
    if (file.creator === side) file.creator = undefined;
    this.closedSides.push(side);
    if (this.closedSides.length > KEEP_CLOSED) this.closedSides.shift();
    this.dropIfUnreachable(file);
  }

  /** After `memfd.close()` of one of the run's own `Memfd`s of `file`. */
  forgetMemfd(file: RingFile, memfd: Memfd): void {
    file.memfds = file.memfds.filter((m) => m !== memfd);
    this.dropIfUnreachable(file);
  }

  dropIfUnreachable(file: RingFile): void {
    if (file.sides.length === 0 && file.memfds.length === 0) {
      this.files = this.files.filter((f) => f !== file);
    }
  }
}

/**
 * The socket suite's state, on top of the memfd suite's: listeners in a
 * temporary directory, what each has been sent and not yet received (in
 * the order the kernel will hand it out), and closed listeners whose paths
 * are gone.
 * @module
 */

import type { MemfdListener } from "../../../mod.ts";
import type { FileModel } from "../memfd/model.ts";
import { MemfdWorld } from "../memfd/world.ts";

/** Listeners open at most, and messages queued on each. */
export const MAX_LISTENERS = 3;
export const MAX_QUEUED = 6;

/** One connection made to a listener, in the order it arrived. */
export type Message =
  | { kind: "memfd"; file: FileModel; writable: boolean; ino: number }
  /** A peer that sent bytes without an fd, or nothing at all. */
  | { kind: "junk" | "empty" };

/** One `MemfdListener` and what the model knows of its socket. */
export interface Listening {
  id: number;
  listener: MemfdListener;
  path: string;
  queue: Message[];
  /** The last receive delivered a memfd: its connection is kept open. */
  holdsConnection: boolean;
}

export class SocketWorld extends MemfdWorld {
  /** Where the sockets live; removed at teardown. */
  readonly dir = Deno.makeTempDirSync({ prefix: "memfd-chaos-" });
  listeners: Listening[] = [];
  closedListeners: Listening[] = [];
  /** Eventfds open before the first listener (Deno's own). */
  baselineEventfds = 0;

  pickListener(): Listening | undefined {
    return this.listeners.length === 0
      ? undefined
      : this.rng.pick(this.listeners);
  }

  forgetListener(l: Listening): void {
    this.listeners = this.listeners.filter((x) => x !== l);
    this.closedListeners.push(l);
    if (this.closedListeners.length > 8) this.closedListeners.shift();
  }
}

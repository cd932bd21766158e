/**
 * The ring suite: `RingBuffer` producers and consumers over shared memfds,
 * checked against a byte-queue model, with misuse, use after close and
 * headers corrupted by a third party.
 * @module
 */

import type { Suite } from "../runner.ts";
import { verifyNothingLeft } from "../system.ts";
import { opCorrupt } from "./corrupt.ts";
import {
  opCommit,
  opConsume,
  opMisuse,
  opRead,
  opWait,
  opWrite,
} from "./flow.ts";
import {
  opCloseFile,
  opCloseMemfd,
  opCloseSide,
  opCreate,
  opHandmade,
  opOpen,
  opOpenBad,
  opUseClosed,
} from "./lifecycle.ts";
import { opSpinWait } from "./spin.ts";
import { verifyAll } from "./verify.ts";
import type { RingWorld } from "./world.ts";

function teardown(w: RingWorld): void {
  for (const file of [...w.files]) {
    for (const side of [...file.sides]) {
      side.ring.close();
      w.forgetSide(side);
    }
    for (const memfd of [...file.memfds]) {
      memfd.close();
      w.forgetMemfd(file, memfd);
    }
  }
  verifyNothingLeft("teardown");
}

export function ringSuite(w: RingWorld): Suite {
  return {
    runner: w,
    ops: {
      create: [3, () => opCreate(w)],
      open: [3, () => opOpen(w)],
      handmade: [1, () => opHandmade(w)],
      openBad: [0.7, () => opOpenBad(w)],
      write: [8, () => opWrite(w)],
      read: [7, () => opRead(w)],
      commit: [5, () => opCommit(w)],
      consume: [5, () => opConsume(w)],
      misuse: [3, () => opMisuse(w)],
      wait: [2, () => opWait(w)],
      spinWait: [2, () => opSpinWait(w)],
      corrupt: [2, () => opCorrupt(w)],
      closeSide: [1.5, () => opCloseSide(w)],
      closeMemfd: [1, () => opCloseMemfd(w)],
      closeFile: [0.4, () => opCloseFile(w)],
      useClosed: [1.5, () => opUseClosed(w)],
    },
    check: (why) => verifyAll(w, why),
    teardown: () => teardown(w),
  };
}

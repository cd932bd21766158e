/**
 * The memfd suite: every public call on `Memfd` and `Mapping` (wrong
 * arguments and races included), each checked against the byte model.
 * @module
 */

import type { Suite } from "../runner.ts";
import { verifyNothingLeft } from "../system.ts";
import { opBadArgs, opCreateBad } from "./bad_args.ts";
import { opResize, opSeal, opTransfer } from "./io.ts";
import {
  opClose,
  opCreate,
  opDup,
  opFromFd,
  opOpen,
  opUseClosed,
} from "./lifecycle.ts";
import {
  opMap,
  opMapRing,
  opPoke,
  opPokeStale,
  opSync,
  opUnmap,
} from "./mapping.ts";
import { opRaceClose, opRaceUnmap } from "./race.ts";
import { verifyAll } from "./verify.ts";
import type { MemfdWorld } from "./world.ts";

type Ops = Suite["ops"];

/** The memfd steps and their weights (their order is part of a seed's meaning). */
export function memfdOps(w: MemfdWorld): Ops {
  return {
    create: [5, () => opCreate(w)],
    createBad: [1.5, () => opCreateBad(w)],
    open: [2, () => opOpen(w)],
    fromFd: [1, () => opFromFd(w)],
    dup: [2, () => opDup(w)],
    close: [3, () => opClose(w)],
    useClosed: [1.5, () => opUseClosed(w)],
    resize: [4, () => opResize(w)],
    badArgs: [3, () => opBadArgs(w)],
    write: [7, () => opTransfer(w, true, false)],
    writeAsync: [2.5, () => opTransfer(w, true, true)],
    read: [6, () => opTransfer(w, false, false)],
    readAsync: [2.5, () => opTransfer(w, false, true)],
    seal: [4, () => opSeal(w)],
    map: [5, () => opMap(w)],
    mapRing: [2, () => opMapRing(w)],
    poke: [8, () => opPoke(w)],
    pokeStale: [1.5, () => opPokeStale(w)],
    unmap: [3, () => opUnmap(w)],
    sync: [1, () => opSync(w)],
    raceClose: [1, () => opRaceClose(w)],
    raceUnmap: [1.5, () => opRaceUnmap(w)],
  };
}

/** Unmaps and closes everything, then checks nothing is left. */
export function memfdTeardown(w: MemfdWorld): void {
  for (const live of [...w.maps]) {
    live.mapping.unmap();
    w.forgetMapping(live);
  }
  for (const h of [...w.handles]) {
    h.memfd.close();
    w.forgetHandle(h);
  }
  verifyNothingLeft("teardown");
}

export function memfdSuite(w: MemfdWorld): Suite {
  return {
    runner: w,
    ops: memfdOps(w),
    check: (why) => verifyAll(w, why),
    teardown: () => memfdTeardown(w),
  };
}

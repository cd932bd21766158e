/**
 * The socket suite: the memfd suite's steps plus `Memfd.sendTo` and
 * `MemfdListener`, so that received memfds join the run as handles of the
 * file that was sent and every later step checks them against its model.
 * @module
 */

import { memfdOps, memfdTeardown } from "../memfd/suite.ts";
import { verifyAll } from "../memfd/verify.ts";
import type { Suite } from "../runner.ts";
import { census, verifyFds } from "./fds.ts";
import {
  opCloseListener,
  opListen,
  opPeer,
  opReceive,
  opSend,
  opSendBad,
} from "./ops.ts";
import type { SocketWorld } from "./world.ts";

export function socketSuite(w: SocketWorld): Suite {
  return {
    runner: w,
    async setup() {
      Deno.writeTextFileSync(`${w.dir}/plain`, "not a socket");
      w.baselineEventfds = (await census(w)).eventfds;
    },
    ops: {
      ...memfdOps(w),
      listen: [2, () => opListen(w)],
      send: [7, () => opSend(w)],
      sendBad: [2, () => opSendBad(w)],
      peer: [1, () => opPeer(w)],
      receive: [6, () => opReceive(w)],
      closeListener: [1.2, () => opCloseListener(w)],
    },
    async check(why) {
      verifyAll(w, why);
      await verifyFds(w, why);
    },
    async teardown() {
      while (w.listeners.length > 0) await opCloseListener(w);
      memfdTeardown(w);
      Deno.removeSync(w.dir, { recursive: true });
      await verifyFds(w, "teardown");
    },
  };
}

/**
 * The socket suite's leak check: this process must hold exactly one
 * socket per live listener, one more for the connection a listener keeps
 * after delivering a memfd, no other socket of its own making, and one
 * eventfd per live listener beyond those it had at the start.
 *
 * Deno opens a socketpair of its own now and then (once a run, at a
 * moment of its choosing: seen with strace, with or without child
 * processes), so sockets are not simply counted. Each is named by what
 * the kernel says of it: a path in the suite's directory (a listener, or
 * a connection it accepted); a pair whose both ends this process holds
 * (Deno's plumbing, left out); anything else is a socket the library left
 * open. Peers come from `ss -x`, run with the shared `run` helper.
 * @module
 */

import { run } from "../../support/run.ts";
import { mismatch } from "../expect.ts";
import { openFdLinks } from "../system.ts";
import type { SocketWorld } from "./world.ts";

/** The sockets of this process by kind, and its eventfds. */
export interface Census {
  /** Bound in the suite's directory: listeners and their connections. */
  listening: number;
  /** Neither: sockets nobody accounts for. */
  loose: string[];
  eventfds: number;
}

/** Socket inode → its path, for every unix socket of the namespace. */
function socketPaths(): Map<number, string> {
  const paths = new Map<number, string>();
  const lines = Deno.readTextFileSync("/proc/net/unix").split("\n").slice(1);
  for (const line of lines) {
    const cols = line.trim().split(/\s+/);
    if (cols.length >= 7) paths.set(Number(cols[6]), cols[7] ?? "");
  }
  return paths;
}

/** Socket inode → the inode of its peer, from `ss -x`. */
async function socketPeers(): Promise<Map<number, number>> {
  const out = await run("ss", ["-xaH"]);
  if (out.code !== 0) throw new Error(`ss -xaH failed: ${out.stderr}`);
  const peers = new Map<number, number>();
  for (const line of out.stdout.split("\n")) {
    const cols = line.trim().split(/\s+/);
    if (cols.length >= 8) peers.set(Number(cols[5]), Number(cols[7]));
  }
  return peers;
}

export async function census(w: SocketWorld): Promise<Census> {
  const links = [...openFdLinks().values()];
  const held = links.flatMap((t) => {
    const m = /^socket:\[(\d+)\]$/.exec(t);
    return m ? [Number(m[1])] : [];
  });
  const mine = new Set(held);
  const paths = socketPaths();
  const peers = held.length > 0 ? await socketPeers() : new Map();
  let listening = 0;
  const loose: string[] = [];
  for (const ino of held) {
    const path = paths.get(ino) ?? "";
    const peer = peers.get(ino) ?? 0;
    if (path.startsWith(`${w.dir}/`)) listening++;
    else if (path === "" && mine.has(peer) && paths.get(peer) === "") {
      // Both ends here and unnamed: a socketpair of Deno's.
    } else loose.push(`socket:[${ino}] ${path || "unnamed"} peer ${peer}`);
  }
  const eventfds = links.filter((t) => t === "anon_inode:[eventfd]").length;
  return { listening, loose, eventfds };
}

/** Looks again this often before calling a socket nobody's a leak. */
const RECOUNTS = 5;

export async function verifyFds(w: SocketWorld, why: string): Promise<void> {
  let listening = 0;
  for (const l of w.listeners) listening += l.holdsConnection ? 2 : 1;
  const eventfds = w.baselineEventfds + w.listeners.length;
  let now = await census(w);
  // Deno's threads open sockets for moments of their own (glibc asking
  // nscd for a name, say): a leak is one still there when looked at again.
  for (let i = 0; i < RECOUNTS && now.loose.length > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    const again = await census(w);
    now = { ...again, loose: again.loose.filter((s) => now.loose.includes(s)) };
  }
  if (
    now.listening !== listening || now.eventfds !== eventfds ||
    now.loose.length > 0
  ) {
    mismatch(
      `${why}: ${now.listening} listening sockets and ${now.eventfds} eventfds open, model says ${listening} and ${eventfds} (${w.listeners.length} listeners); sockets of nobody's: ${
        now.loose.join(", ") || "none"
      }`,
    );
  }
}

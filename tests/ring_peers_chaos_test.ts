/**
 * Chaos between real peers: a ring whose producer and consumer each mix
 * spinning and sleeping waits (`tests/chaos/ring/peers.ts`), as decided
 * by a seed, with the peer in a child deno or in a Worker, and either on
 * either side. The consumer must read exactly the seed's bytes, then the
 * end of stream; no sleeper may stay recorded.
 */
import { test } from "./support/leak_checked.ts";
import { assertEquals } from "@std/assert";
import { RingBuffer } from "../mod.ts";
import { consume, produce } from "./chaos/ring/peers.ts";
import { sleepers } from "./support/ring.ts";

const PEERS = new URL("./chaos/ring/peers.ts", import.meta.url);
const TOTAL = 300_000;
const PAGE = 4096;

async function inChild(role: string, path: string, seed: number) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--no-lock",
      "--allow-ffi",
      "--allow-read",
      `--allow-write=${path}`,
      PEERS.pathname,
      role,
      path,
      `${seed}`,
      `${TOTAL}`,
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const out = await child.output();
  const stderr = new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 0, stderr);
  return Number(new TextDecoder().decode(out.stdout).trim());
}

function inWorker(role: string, path: string, seed: number) {
  const worker = new Worker(PEERS, { type: "module" });
  return new Promise<number>((resolve, reject) => {
    worker.onmessage = (e) => {
      worker.terminate();
      if (e.data.error) reject(new Error(e.data.error));
      else resolve(e.data.n);
    };
    worker.onerror = (e) => {
      e.preventDefault();
      worker.terminate();
      reject(new Error(e.message));
    };
    worker.postMessage([role, path, seed, TOTAL]);
  });
}

for (const [where, seeds] of [["child", [1, 2]], ["worker", [3, 4]]] as const) {
  test(`ring peers in a ${where}, spinning and sleeping at random: seeds ${seeds.join(", ")} read exactly their bytes`, async () => {
    for (const seed of seeds) {
      for (const peerRole of ["produce", "consume"] as const) {
        using ring = RingBuffer.create(PAGE * (1 + (seed % 3)));
        const path = ring.memfd.path;
        const run = where === "child" ? inChild : inWorker;
        const peer = run(peerRole, path, seed);
        // A peer that fails ends its promise: race it with this side.
        const failed = peer.then(
          () => new Promise<never>(() => {}),
          (e) => Promise.reject(e),
        );
        if (peerRole === "produce") {
          const got = await Promise.race([consume(ring, seed), failed]);
          assertEquals(got, TOTAL, `seed ${seed}`);
          assertEquals(await peer, TOTAL);
        } else {
          await Promise.race([produce(ring, seed, TOTAL), failed]);
          assertEquals(await peer, TOTAL, `seed ${seed}`);
        }
        assertEquals(sleepers(ring), [0, 0], `seed ${seed}`);
      }
    }
  });
}

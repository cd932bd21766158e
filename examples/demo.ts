/**
 * deno_memfd in one minute: create, map, fill, seal, hand to a child
 * process by path, compare with a pipe, and a ring mapping.
 *
 * Run with `deno task demo`.
 * @module
 */

import { format } from "@std/fmt/bytes";
import { Memfd } from "../mod.ts";
import { checksum } from "./checksum.ts";

const SIZE = 64 << 20;
const child = new URL("./demo_child.ts", import.meta.url).pathname;

function childCommand(args: string[], stdin: "piped" | "null") {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-ffi", "--allow-read", child, ...args],
    stdin,
    stdout: "piped",
  });
}

using fd = Memfd.create("demo-frames", { size: SIZE });
console.log(
  `created  ${fd.name}: ${format(fd.size, { binary: true })} at ${fd.path}`,
);

const map = fd.map();
const words = new Uint32Array(map.buffer);
for (let i = 0; i < words.length; i++) words[i] = Math.imul(i, 2654435761);
const expected = checksum(map.bytes);
map.unmap(); // a shared writable mapping would block the "write" seal
console.log(
  `filled   ${
    format(SIZE, { binary: true })
  } through a mapping, checksum ${expected}`,
);

const seals = fd.seal("shrink", "grow", "write", "seal");
console.log(`sealed   ${[...seals].join(", ")} (nobody can change it now)`);

let started = performance.now();
const viaPath = await childCommand(["path", fd.path], "null").output();
const pathMs = performance.now() - started;
const received = JSON.parse(new TextDecoder().decode(viaPath.stdout));
console.log(
  `handoff  a child opened the path, checked the seals and got checksum ` +
    `${received.checksum} (${
      received.checksum === expected ? "match" : "MISMATCH"
    })`,
);

started = performance.now();
const piped = childCommand(["pipe", String(SIZE)], "piped").spawn();
const bytes = new Uint8Array(SIZE);
fd.read(bytes);
const writer = piped.stdin.getWriter();
await writer.write(bytes);
await writer.close();
const viaPipe = await piped.output();
const pipeMs = performance.now() - started;
const pipedSum = JSON.parse(new TextDecoder().decode(viaPipe.stdout)).checksum;
console.log(
  `timing   ${format(SIZE, { binary: true })} to a child: by memfd path ${
    pathMs.toFixed(0)
  } ms, ` +
    `through a pipe ${pipeMs.toFixed(0)} ms (${
      (pipeMs / pathMs).toFixed(1)
    }x; ` +
    `checksum ${
      pipedSum === expected ? "match" : "MISMATCH"
    }; both include starting deno)`,
);

using ringFd = Memfd.create("demo-ring", { size: 4096 });
using ring = ringFd.mapRing();
const tail = new TextEncoder().encode("wraps around");
ring.bytes.set(tail, 4096 - 5); // starts 5 bytes before the end of the region
const wrapped = new TextDecoder().decode(
  ring.bytes.subarray(4096 - 5, 4096 - 5 + tail.length),
);
console.log(
  `ring     one 4 KiB region mapped twice: wrote across the end, read "${wrapped}"; ` +
    `byte 2 is "${String.fromCharCode(ring.bytes[2]!)}" (= byte 4098)`,
);

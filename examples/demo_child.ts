/**
 * The receiving side of the demo: gets 64 MiB either as a memfd path (maps
 * it, zero copies) or through its stdin (a pipe), and prints a checksum.
 * @module
 */

import { Memfd } from "../mod.ts";
import { checksum } from "./checksum.ts";

const [mode, arg] = Deno.args;

if (mode === "path") {
  using fd = Memfd.open(arg!); // demo.ts passes the path after "path"
  // A receiver that trusts nothing checks the seals before reading.
  fd.requireSeals("shrink", "grow", "write");
  using map = fd.map({ access: "private" });
  console.log(
    JSON.stringify({ checksum: checksum(map.bytes), seals: [...fd.seals] }),
  );
} else {
  const size = Number(arg);
  const bytes = new Uint8Array(size);
  let filled = 0;
  for await (const chunk of Deno.stdin.readable) {
    bytes.set(chunk, filled);
    filled += chunk.length;
  }
  console.log(
    JSON.stringify({ checksum: checksum(bytes.subarray(0, filled)) }),
  );
}

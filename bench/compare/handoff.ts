/**
 * `handoff-1GiB`: giving a gigabyte that is already in memory to a child
 * `cat > /dev/null`: through a pipe into its stdin, or as `memfd.path` for
 * it to read. Timed from spawn to exit, both ways.
 * @module
 */

import { Memfd } from "../../mod.ts";
import type { Config } from "./config.ts";
import { alternate, gbPerSecond } from "./measure.ts";
import { type Row, toRow } from "./row.ts";

async function expectSuccess(child: Deno.ChildProcess): Promise<void> {
  const status = await child.status;
  if (!status.success) throw new Error(`cat failed: ${status.code}`);
}

/** GB/s of `cat` reading the memfd by path. */
async function viaPath(fd: Memfd): Promise<number> {
  const bytes = fd.size;
  const t0 = performance.now();
  const child = new Deno.Command("cat", {
    args: [fd.path],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  await expectSuccess(child);
  return gbPerSecond(bytes, performance.now() - t0);
}

/** GB/s of the same bytes written into `cat`'s stdin. */
async function viaPipe(data: Uint8Array): Promise<number> {
  const t0 = performance.now();
  const child = new Deno.Command("cat", {
    stdin: "piped",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(data);
  await writer.close();
  await expectSuccess(child);
  return gbPerSecond(data.length, performance.now() - t0);
}

/**
 * The `handoff-1GiB` row, in GB/s: the ratio (memfd / pipe throughput) is
 * the pipe's time over the memfd's.
 */
export async function handoff(config: Config, name: string): Promise<Row> {
  const bytes = config.handoffBytes;
  const data = new Uint8Array(bytes).fill(0x5a);
  using fd = Memfd.create("handoff", { size: bytes });
  fd.write(data);
  const paired = await alternate(
    () => viaPath(fd),
    () => viaPipe(data),
    config.process,
  );
  return toRow(name, "GB/s", "pipe into cat's stdin", paired);
}

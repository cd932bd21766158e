/**
 * `handoff-1GiB`: giving a gigabyte that is already in memory to a child
 * `cat > /dev/null`: through a pipe into its stdin, or as `memfd.path` for
 * it to read. Timed from spawn to exit, both ways.
 * @module
 */

import { Memfd } from "../../mod.ts";
import type { Config } from "./config.ts";
import { alternate, gbPerSecond, median } from "./measure.ts";
import { type Noted, toRow } from "./row.ts";

async function expectSuccess(child: Deno.ChildProcess): Promise<void> {
  const status = await child.status;
  if (!status.success) throw new Error(`cat failed: ${status.code}`);
}

/** GB/s of `cat` reading the memfd by path. */
function viaPath(fd: Memfd): Promise<number> {
  return catPath(fd.path, fd.size);
}

/** GB/s of `cat` reading the `bytes` at `path`. */
async function catPath(path: string, bytes: number): Promise<number> {
  const t0 = performance.now();
  const child = new Deno.Command("cat", {
    args: [path],
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
 * the pipe's time over the memfd's. The note adds the floor measured in
 * the same rounds: `cat` reading the same bytes from a `/dev/shm` file,
 * the same tmpfs read path with no memfd involved, so the most any way of
 * handing `cat` a path can reach.
 */
export async function handoff(config: Config, name: string): Promise<Noted> {
  const bytes = config.handoffBytes;
  const data = new Uint8Array(bytes).fill(0x5a);
  using fd = Memfd.create("handoff", { size: bytes });
  fd.write(data);
  const path = `/dev/shm/deno-memfd-handoff-${Deno.pid}`;
  await Deno.writeFile(path, data);
  try {
    const floor: number[] = [];
    const paired = await alternate(
      async () => {
        floor.push(await catPath(path, bytes));
        return viaPath(fd);
      },
      () => viaPipe(data),
      config.process,
    );
    const row = toRow(name, "GB/s", "pipe into cat's stdin", paired);
    const tmpfs = median(floor);
    const note = `${name}: cat of a /dev/shm file (the floor: the same ` +
      `tmpfs read) ${tmpfs.toFixed(2)} GB/s, ratio ` +
      `${(tmpfs / paired.baseline).toFixed(2)} to the pipe`;
    return { ...row, note };
  } finally {
    await Deno.remove(path);
  }
}

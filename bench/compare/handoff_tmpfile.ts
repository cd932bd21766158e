/**
 * `handoff-tmpfile`: handing a gigabyte that was just produced in memory to
 * a child `cat > /dev/null` by path. The usual way: `Deno.writeFile` it to
 * `/dev/shm` and pass the file's path. Ours: the data was produced straight
 * into a memfd mapping, so only `memfd.path` is passed. Both timed from
 * the data being in memory to the child's exit.
 *
 * Deno 2.9 lets a script write under `/dev` only with `--allow-all`, which
 * is why `bench:compare` runs with it; the memfd side needs no such grant.
 * @module
 */

import { Memfd } from "../../mod.ts";
import type { Config } from "./config.ts";
import { alternate, gbPerSecond } from "./measure.ts";
import { type Row, toRow } from "./row.ts";

async function cat(path: string): Promise<void> {
  const status = await new Deno.Command("cat", {
    args: [path],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn().status;
  if (!status.success) throw new Error(`cat ${path} failed: ${status.code}`);
}

/** GB/s of `cat` reading the memfd the data was produced in. */
async function viaMemfd(fd: Memfd): Promise<number> {
  const t0 = performance.now();
  await cat(fd.path);
  return gbPerSecond(fd.size, performance.now() - t0);
}

/** GB/s of writing `data` to a `/dev/shm` file, then `cat` of its path. */
async function viaTmpfile(data: Uint8Array): Promise<number> {
  const path = `/dev/shm/deno-memfd-bench-${Deno.pid}`;
  try {
    const t0 = performance.now();
    await Deno.writeFile(path, data);
    await cat(path);
    return gbPerSecond(data.length, performance.now() - t0);
  } finally {
    await Deno.remove(path).catch(() => {});
  }
}

/** The `handoff-tmpfile` row, in GB/s (memfd over `/dev/shm` file). */
export async function handoffTmpfile(
  config: Config,
  name: string,
): Promise<Row> {
  const bytes = config.handoffBytes;
  // Ours: produced in place, in the mapping that backs the memfd.
  using fd = Memfd.create("handoff", { size: bytes });
  using map = fd.map();
  map.bytes.fill(0x5a);
  // Theirs: produced in an ordinary buffer.
  const data = new Uint8Array(bytes).fill(0x5a);
  const paired = await alternate(
    () => viaMemfd(fd),
    () => viaTmpfile(data),
    config.process,
  );
  return toRow(name, "GB/s", "Deno.writeFile to /dev/shm, cat by path", paired);
}

/**
 * `async-read`: `memfd.readAsync` of 64 KiB against `Deno.FsFile.read` of
 * the same bytes from a `/dev/shm` file, in ns per 64 KiB read. Both read a
 * file of `asyncReadChunks` chunks front to back, so neither side rereads
 * one chunk that stays hot in cache. The note adds the ways around the
 * thread hop (the synchronous `read`, a copy out of a mapping) and the
 * floor: the library's nonblocking symbol called with nothing around it.
 * @module
 */

import { Memfd } from "../../mod.ts";
import type { Config } from "./config.ts";
import { alternate, median } from "./measure.ts";
import { type Noted, toRow } from "./row.ts";
import { rawReadAsyncNs } from "./ffi_floor.ts";

/** Bytes per read. */
export const CHUNK = 64 * 1024;

async function oursAsyncNs(fd: Memfd, into: Uint8Array, chunks: number) {
  const t0 = performance.now();
  for (let i = 0; i < chunks; i++) {
    const n = await fd.readAsync(into, i * CHUNK);
    if (n !== CHUNK) throw new Error(`readAsync read ${n} bytes`);
  }
  return (performance.now() - t0) * 1e6 / chunks;
}

async function fsFileNs(path: string, into: Uint8Array, chunks: number) {
  using file = await Deno.open(path);
  const t0 = performance.now();
  for (let i = 0; i < chunks; i++) {
    for (let got = 0; got < CHUNK;) {
      const n = await file.read(into.subarray(got));
      if (n === null) throw new Error("the /dev/shm file ended early");
      got += n;
    }
  }
  return (performance.now() - t0) * 1e6 / chunks;
}

function oursSyncNs(fd: Memfd, into: Uint8Array, chunks: number): number {
  const t0 = performance.now();
  for (let i = 0; i < chunks; i++) fd.read(into, i * CHUNK);
  return (performance.now() - t0) * 1e6 / chunks;
}

function mappedNs(bytes: Uint8Array, into: Uint8Array, chunks: number) {
  const t0 = performance.now();
  for (let i = 0; i < chunks; i++) {
    into.set(bytes.subarray(i * CHUNK, (i + 1) * CHUNK));
  }
  return (performance.now() - t0) * 1e6 / chunks;
}

/** The `async-read` row, in ns per 64 KiB read. */
export async function asyncRead(config: Config, name: string): Promise<Noted> {
  const chunks = config.asyncReadChunks;
  const data = new Uint8Array(chunks * CHUNK).fill(0x5a);
  using fd = Memfd.create("async-read", { size: data.length });
  fd.write(data);
  using map = fd.map();
  const path = `/dev/shm/deno-memfd-async-read-${Deno.pid}`;
  await Deno.writeFile(path, data);
  try {
    const into = new Uint8Array(CHUNK);
    const raw: number[] = [];
    const paired = await alternate(
      async () => {
        raw.push(await rawReadAsyncNs(fd.fd, into, chunks));
        return oursAsyncNs(fd, into, chunks);
      },
      () => fsFileNs(path, into, chunks),
      config.micro,
    );
    const sync: number[] = [];
    const mapped: number[] = [];
    for (let i = 0; i < config.micro.rounds; i++) {
      sync.push(oursSyncNs(fd, into, chunks));
      mapped.push(mappedNs(map.bytes, into, chunks));
    }
    const row = toRow(name, "ns/op", "Deno.FsFile.read, /dev/shm file", paired);
    const note = `${name}: per 64 KiB: readAsync ${paired.ours.toFixed(0)} ` +
      `ns, FsFile.read ${paired.baseline.toFixed(0)} ns, read() ` +
      `${median(sync).toFixed(0)} ns, copy from a mapping ` +
      `${median(mapped).toFixed(0)} ns; raw nonblocking FFI, no wrapper ` +
      `(the floor): ${median(raw).toFixed(0)} ns, ratio ` +
      `${(median(raw) / paired.baseline).toFixed(3)}`;
    return { ...row, note };
  } finally {
    await Deno.remove(path);
  }
}

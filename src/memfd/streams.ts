/**
 * Web Streams over a memfd, the way `Deno.FsFile` has them: a byte
 * `ReadableStream` (BYOB-capable) and a `WritableStream`, both moving bytes
 * with `readAsync` / `writeAsync`, off the event loop.
 * @module
 */

import type { Bytes } from "../input/bytes.ts";
import {
  shown,
  toBoolean,
  toIndex,
  toOptions,
  toWhole,
} from "../input/validate.ts";

/**
 * What the streams use of a `Memfd`: its positional async I/O and its size.
 * A `Memfd` is one; naming only this keeps this file below `memfd.ts`.
 */
export interface AsyncFile {
  readonly size: number;
  readAsync(into: Uint8Array, position: number): Promise<number>;
  writeAsync(data: Uint8Array, position: number): Promise<number>;
}

/**
 * Options for {@linkcode Memfd.readableStream}.
 *
 * @example
 * ```ts
 * import { Memfd, type ReadableStreamOptions } from "@memfd/memfd";
 * import { assertEquals } from "@std/assert";
 * using fd = Memfd.create("text");
 * fd.write(new TextEncoder().encode("hello"));
 * const options: ReadableStreamOptions = { position: 1 };
 * const text = await new Response(fd.readableStream(options)).text();
 * assertEquals(text, "ello");
 * ```
 *
 * @throws {TypeError} (from {@linkcode Memfd.readableStream}) when it is
 *   not an object, has an unknown key, or a value is not a number.
 * @throws {RangeError} (from {@linkcode Memfd.readableStream}) when
 *   `position` or `chunkSize` is negative, fractional or above
 *   `Number.MAX_SAFE_INTEGER`, or `chunkSize` is 0.
 */
export interface ReadableStreamOptions {
  /** Where reading starts; default 0. The stream ends at end of file. */
  position?: number;
  /**
   * Bytes per chunk for readers that bring no buffer of their own; default
   * 64 KiB. BYOB readers get exactly what fits their buffer.
   */
  chunkSize?: number;
}

/**
 * Options for {@linkcode Memfd.writableStream}.
 *
 * @example
 * ```ts
 * import { Memfd, type WritableStreamOptions } from "@memfd/memfd";
 * import { assertEquals } from "@std/assert";
 * using fd = Memfd.create("log");
 * fd.write(new TextEncoder().encode("a"));
 * const options: WritableStreamOptions = { append: true };
 * await ReadableStream.from([new TextEncoder().encode("b")])
 *   .pipeTo(fd.writableStream(options));
 * assertEquals(fd.size, 2);
 * ```
 *
 * @throws {TypeError} (from {@linkcode Memfd.writableStream}) when it is
 *   not an object, has an unknown key, `position` is not a number,
 *   `append` is not a boolean, or both `position` and `append: true` are
 *   given.
 * @throws {RangeError} (from {@linkcode Memfd.writableStream}) when
 *   `position` is negative, fractional or above `Number.MAX_SAFE_INTEGER`.
 */
export interface WritableStreamOptions {
  /** Where writing starts; default 0. */
  position?: number;
  /** Start at the end of the file as it is at the first write. */
  append?: boolean;
}

const CHUNK = 64 * 1024;

/** A byte stream of `memfd` from `options.position` to end of file. */
export function readableStreamOf(
  memfd: AsyncFile,
  options: ReadableStreamOptions | undefined,
): ReadableStream<Bytes> {
  const o = toOptions(options, "Memfd.readableStream options", [
    "position",
    "chunkSize",
  ], { offset: "position", start: "position", highWaterMark: "chunkSize" });
  let position = o.position === undefined
    ? 0
    : toIndex(o.position, "Memfd.readableStream: position");
  const chunkSize = o.chunkSize === undefined ? CHUNK : toWhole(
    o.chunkSize,
    "Memfd.readableStream: chunkSize",
    Number.MAX_SAFE_INTEGER,
    "2^53-1",
    1,
  );
  return new ReadableStream({
    type: "bytes",
    autoAllocateChunkSize: chunkSize,
    async pull(controller) {
      // With autoAllocateChunkSize every pull has a request: the reader's
      // own buffer (BYOB), or one the stream allocated.
      const request = controller.byobRequest!;
      const view = request.view!;
      const into = new Uint8Array(
        view.buffer,
        view.byteOffset,
        view.byteLength,
      );
      const n = await memfd.readAsync(into, position);
      position += n;
      if (n === 0) {
        controller.close();
        request.respond(0);
      } else {
        request.respond(n);
      }
    },
  }) as ReadableStream<Bytes>;
}

/** A stream writing each chunk into `memfd`, in order, from a position. */
export function writableStreamOf(
  memfd: AsyncFile,
  options: WritableStreamOptions | undefined,
): WritableStream<Uint8Array> {
  const o = toOptions(options, "Memfd.writableStream options", [
    "position",
    "append",
  ], { offset: "position", start: "position" });
  const append = toBoolean(o.append, false, "Memfd.writableStream: append");
  if (append && o.position !== undefined) {
    throw new TypeError(
      `Memfd.writableStream options: give position or append: true, not ` +
        `both (got position ${shown(o.position)} and append: true)`,
    );
  }
  let position: number | undefined = o.position === undefined
    ? (append ? undefined : 0)
    : toIndex(o.position, "Memfd.writableStream: position");
  return new WritableStream<Uint8Array>({
    async write(chunk) {
      if (!(chunk instanceof Uint8Array)) {
        throw new TypeError(
          `Memfd.writableStream: chunks must be Uint8Array, got ${
            shown(chunk)
          }`,
        );
      }
      position ??= memfd.size;
      let done = 0;
      // writeAsync stops short only when the kernel stopped part way (a
      // "grow" seal); the next call then throws the kernel's reason.
      while (done < chunk.byteLength) {
        done += await memfd.writeAsync(chunk.subarray(done), position + done);
      }
      position += done;
    },
  });
}

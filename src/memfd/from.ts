/**
 * `Memfd.from`: create, fill and seal a memfd in one call, for handing a
 * finished buffer to another process.
 * @module
 */

import { type Seal, sealBits } from "./seals.ts";
import { type AsyncFile, writableStreamOf } from "./streams.ts";
import { shown, toOptions } from "../input/validate.ts";

/**
 * What {@linkcode Memfd.from} copies into the new memfd: bytes, a `Blob`
 * (or `File`), a byte stream (a `Response` body, a file's `readable`) or
 * any async iterable of byte chunks.
 *
 * @example
 * ```ts
 * import { Memfd, type MemfdSource } from "@memfd/memfd";
 * import { assertEquals } from "@std/assert";
 * const source: MemfdSource = new Blob(["hello"]);
 * using fd = await Memfd.from(source);
 * assertEquals(fd.size, 5);
 * ```
 *
 * @throws {TypeError} (as a rejection of {@linkcode Memfd.from}) when the
 *   source is none of these (an `ArrayBuffer` or other view must be wrapped
 *   in a `Uint8Array`), or a stream or iterable yields a chunk that is not
 *   a `Uint8Array`. A stream or iterable source that fails makes
 *   {@linkcode Memfd.from} reject with its error.
 */
export type MemfdSource =
  | Uint8Array
  | Blob
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array>;

/**
 * Options for {@linkcode Memfd.from}.
 *
 * @example
 * ```ts
 * import { type FromOptions, Memfd } from "@memfd/memfd";
 * import { assertEquals } from "@std/assert";
 * const options: FromOptions = { name: "frame", seal: true };
 * using fd = await Memfd.from(new Uint8Array(16), options);
 * assertEquals(fd.name, "frame");
 * assertEquals(fd.seals.has("write"), true);
 * ```
 *
 * @throws {TypeError} (as a rejection of {@linkcode Memfd.from}) when it
 *   is not an object, has an unknown key, `name` is not a string, or
 *   `seal` is neither a boolean nor an array of {@linkcode Seal} names.
 */
export interface FromOptions {
  /** The memfd's name (see {@linkcode Memfd.create}); default `"memfd"`. */
  name?: string;
  /**
   * Seals to add once the contents are in. `true` means
   * {@linkcode SEALED}: `"shrink"`, `"grow"`, `"write"` and `"seal"`, so
   * the contents can never change again and nobody can add or need other
   * seals; a receiver checks them with
   * `requireSeals("shrink", "grow", "write")`. A list adds exactly those.
   * Default: no seals.
   */
  seal?: boolean | readonly Seal[];
}

/**
 * The seals `Memfd.from(…, { seal: true })` adds: the contents and size
 * are final, and the seal set too.
 *
 * @example
 * ```ts
 * import { Memfd, SEALED } from "@memfd/memfd";
 * import { assertEquals } from "@std/assert";
 * using fd = await Memfd.from(new Uint8Array(4), { seal: SEALED });
 * fd.requireSeals(...SEALED);
 * assertEquals(SEALED, ["shrink", "grow", "write", "seal"]);
 * ```
 *
 * Never throws: a frozen array.
 */
export const SEALED: readonly Seal[] = Object.freeze([
  "shrink",
  "grow",
  "write",
  "seal",
]);

/** `Memfd.from`'s options, checked: the name and the seals to add. */
export function planFrom(
  options: FromOptions | undefined,
): { name: string; seals: readonly Seal[] } {
  const o = toOptions(options, "Memfd.from options", ["name", "seal"], {
    seals: "seal",
    sealed: "seal",
  });
  const name = o.name ?? "memfd";
  if (typeof name !== "string") {
    throw new TypeError(
      `Memfd.from: name must be a string, got ${shown(name)}`,
    );
  }
  let seals: readonly Seal[] = [];
  if (o.seal === true) seals = SEALED;
  else if (Array.isArray(o.seal)) {
    sealBits(o.seal, "Memfd.from");
    seals = o.seal;
  } else if (o.seal !== undefined && o.seal !== false) {
    throw new TypeError(
      `Memfd.from: seal must be a boolean or an array of seal names, got ${
        shown(o.seal)
      }`,
    );
  }
  return { name, seals };
}

/**
 * What `Memfd.from` does with the memfd it made: fill it, seal it, and close
 * it on failure. A `Memfd` is one; naming only this keeps this file below
 * `memfd.ts`.
 */
export interface Fillable extends AsyncFile {
  seal(...seals: Seal[]): unknown;
  close(): void;
}

/**
 * `Memfd.from`: a memfd made by `create`, filled from `source`, sealed as
 * `options` say; closed again on any failure.
 */
export async function memfdFrom<M extends Fillable>(
  source: MemfdSource,
  options: FromOptions | undefined,
  create: (name: string) => M,
): Promise<M> {
  const plan = planFrom(options);
  const memfd = create(plan.name);
  try {
    await fill(memfd, source);
    if (plan.seals.length > 0) memfd.seal(...plan.seals);
  } catch (e) {
    memfd.close();
    throw e;
  }
  return memfd;
}

/** Copies `source` into `memfd` from position 0. */
export async function fill(memfd: AsyncFile, source: unknown): Promise<void> {
  if (source instanceof Uint8Array) {
    let done = 0;
    while (done < source.byteLength) {
      done += await memfd.writeAsync(source.subarray(done), done);
    }
    return;
  }
  await streamOf(source).pipeTo(writableStreamOf(memfd, undefined));
}

function streamOf(source: unknown): ReadableStream<Uint8Array> {
  if (source instanceof ReadableStream) return source;
  if (source instanceof Blob) return source.stream();
  if (
    typeof source === "object" && source !== null &&
    Symbol.asyncIterator in source
  ) {
    return ReadableStream.from(source as AsyncIterable<Uint8Array>);
  }
  throw new TypeError(
    "Memfd.from: source must be a Uint8Array, a Blob, a ReadableStream or " +
      `an async iterable of Uint8Array, got ${shown(source)}${
        source instanceof ArrayBuffer || ArrayBuffer.isView(source)
          ? " (wrap it: new Uint8Array(buffer))"
          : ""
      }`,
  );
}

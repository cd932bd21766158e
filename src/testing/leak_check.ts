/**
 * The leak checks `testing.ts` exports: a tracker registered for the
 * duration of a checked function hears of every `Memfd` and `Mapping`
 * acquired and released (`src/leaks/tracking.ts`), and the native library's
 * own count of mappings catches any no `Mapping` object accounts for.
 * @module
 */

import type { Mapping } from "../mapping/mapping.ts";
import type { Memfd } from "../memfd/memfd.ts";
import { liveMappings } from "../mapping/live_mappings.ts";
import { addTracker, type ResourceKind } from "../leaks/tracking.ts";
import { toBoolean, toOptions } from "../input/validate.ts";

/**
 * One resource a checked function left behind.
 *
 * @example What a leaking function left behind
 * ```ts
 * import { Memfd } from "@memfd/memfd";
 * import {
 *   assertNoMemfdLeaks,
 *   type MemfdLeak,
 *   MemfdLeakError,
 * } from "@memfd/memfd/testing";
 * import { assertEquals, assertRejects } from "@std/assert";
 *
 * const error = await assertRejects(
 *   () =>
 *     assertNoMemfdLeaks(() => {
 *       Memfd.create("forgotten", { size: 4096 }).map();
 *     }),
 *   MemfdLeakError,
 * );
 * const leaks: readonly MemfdLeak[] = error.leaks;
 * assertEquals(leaks.map((leak) => leak.kind), ["memfd", "mapping"]);
 * ```
 */
export interface MemfdLeak {
  /** `"memfd"` (an fd left open) or `"mapping"` (pages left mapped). */
  kind: "memfd" | "mapping";
  /** What leaked, e.g. `memfd 'frames' (fd 7)`. */
  description: string;
  /** Where it was created: the stack frames outside deno_memfd. */
  createdAt: string;
}

/**
 * Thrown by {@linkcode assertNoMemfdLeaks} when resources were left open;
 * `leaks` lists them, the message names each and where it was created.
 *
 * @example
 * ```ts
 * import { Memfd } from "@memfd/memfd";
 * import { assertNoMemfdLeaks, MemfdLeakError } from "@memfd/memfd/testing";
 * import { assertRejects, assertStringIncludes } from "@std/assert";
 *
 * const error = await assertRejects(
 *   () =>
 *     assertNoMemfdLeaks(() => {
 *       Memfd.create("forgotten");
 *     }),
 *   MemfdLeakError,
 * );
 * assertStringIncludes(error.leaks[0].description, "memfd 'forgotten'");
 * assertStringIncludes(error.message, "created at");
 * ```
 */
export class MemfdLeakError extends Error {
  /** Everything that leaked, in creation order. */
  readonly leaks: readonly MemfdLeak[];

  /**
   * Lists `leaks`, and `nativeOnly` native mappings no `Mapping` object
   * accounts for, in the message.
   *
   * Never throws.
   *
   * @param leaks what was left open or mapped
   * @param nativeOnly native mappings no `Mapping` accounts for
   */
  constructor(leaks: MemfdLeak[], nativeOnly: number) {
    const lines = leaks.map((l) =>
      `- ${l.description}, created at:\n${l.createdAt}`
    );
    if (nativeOnly > 0) {
      lines.push(
        `- ${nativeOnly} native mapping(s) with no Mapping object (a bug in deno_memfd)`,
      );
    }
    const count = leaks.length + nativeOnly;
    super(`${count} deno_memfd resource(s) leaked:\n${lines.join("\n")}`);
    this.name = "MemfdLeakError";
    this.leaks = leaks;
  }
}

/**
 * Options for {@linkcode assertNoMemfdLeaks}.
 *
 * @example Keep leaked resources open to inspect them
 * ```ts
 * import { Memfd } from "@memfd/memfd";
 * import {
 *   assertNoMemfdLeaks,
 *   type LeakCheckOptions,
 *   MemfdLeakError,
 * } from "@memfd/memfd/testing";
 * import { assertEquals, assertRejects } from "@std/assert";
 *
 * const kept: Memfd[] = [];
 * const options: LeakCheckOptions = { cleanup: false };
 * await assertRejects(
 *   () => assertNoMemfdLeaks(() => kept.push(Memfd.create("kept")), options),
 *   MemfdLeakError,
 * );
 * using fd = kept[0]!; // the one memfd the callback leaked
 * assertEquals(fd.closed, false); // left open to inspect
 * ```
 */
export interface LeakCheckOptions {
  /**
   * Close leaked memfds and unmap leaked mappings after recording them, so
   * that one leaking test does not disturb the next. Default `true`.
   */
  cleanup?: boolean;
}

const LIBRARY = new URL("../../", import.meta.url).href;
/** A frame in one of Deno's built-in modules, e.g. `(ext:cli/40_test.js:…)`. */
const DENO_INTERNAL = /[( ]ext:/;
const INTERNAL = [`${LIBRARY}src/`, `${LIBRARY}testing.ts`, `${LIBRARY}ffi/`];

/**
 * The caller's stack, captured now and formatted only when a leak is
 * reported: formatting it (source maps) can need files, and fails badly at
 * the very moment a test has run out of fds.
 */
function captureStack(): Error {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 24;
  const capture = new Error("created here");
  Error.stackTraceLimit = limit;
  return capture;
}

/**
 * A captured stack as text, without the frames inside deno_memfd and
 * Deno's own (`ext:` modules: the test runner's `innerWrapped`,
 * `exitSanitizer`, …), which say nothing about the user's code.
 */
function formatStack(capture: Error): string {
  const frames = (capture.stack ?? "").split("\n").slice(1).filter((line) =>
    !INTERNAL.some((prefix) => line.includes(prefix)) &&
    !DENO_INTERNAL.test(line)
  );
  return frames.slice(0, 10).join("\n") || "    (no stack)";
}

interface Entry {
  kind: ResourceKind;
  name: string;
  createdAt: Error;
}

function describe(resource: object, entry: Entry): string {
  if (entry.kind === "memfd") {
    const memfd = resource as Memfd;
    return memfd.closed
      ? `memfd '${entry.name}': close() was called but a readAsync/writeAsync still holds its fd`
      : `memfd '${entry.name}' (fd ${memfd.fd}), never closed`;
  }
  const mapping = resource as Mapping;
  return mapping.unmapped
    ? `mapping of '${entry.name}': unmap() was called but a readAsync/writeAsync still uses its pages`
    : `mapping of '${entry.name}' (${mapping.byteLength} bytes at offset ${mapping.offset}, ${mapping.access}), never unmapped`;
}

/**
 * Runs `fn` and throws {@linkcode MemfdLeakError} if any `Memfd` it created
 * is still open, or any `Mapping` still mapped, when it settles. Memfds
 * adopted with `Memfd.fromFd(fd, { owned: false })` own no fd and are not
 * counted. Returns what `fn` returned; when `fn` throws, that error wins
 * (leaks are still cleaned up).
 *
 * Leaked resources are closed and unmapped afterwards unless
 * `options.cleanup` is `false`.
 *
 * @example
 * ```ts
 * import { Memfd } from "@memfd/memfd";
 * import { assertNoMemfdLeaks } from "@memfd/memfd/testing";
 * import { assertEquals } from "@std/assert";
 *
 * Deno.test("the helper closes what it opens", async () => {
 *   const written = await assertNoMemfdLeaks(() => {
 *     using fd = Memfd.create("scratch", { size: 16 });
 *     return fd.write(new Uint8Array([1, 2, 3]));
 *   });
 *   assertEquals(written, 3); // what fn returned
 * });
 * ```
 *
 * @throws {MemfdLeakError} (as a rejection) when `fn` left a memfd open or
 *   a mapping mapped.
 * @throws {unknown} (as a rejection) whatever `fn` threw, which wins over
 *   leaks.
 */
export async function assertNoMemfdLeaks<T>(
  fn: () => T | Promise<T>,
  options?: LeakCheckOptions,
): Promise<T> {
  const o = toOptions(options, "assertNoMemfdLeaks options", ["cleanup"]);
  const cleanup = toBoolean(o.cleanup, true, "assertNoMemfdLeaks: cleanup");
  const live = new Map<object, Entry>();
  const nativeBefore = liveMappings();
  const stop = addTracker({
    acquired(resource, kind, name) {
      live.set(resource, { kind, name, createdAt: captureStack() });
    },
    released(resource) {
      live.delete(resource);
    },
  });
  let outcome: { ok: true; value: T } | { ok: false; error: unknown };
  try {
    outcome = { ok: true, value: await fn() };
  } catch (error) {
    outcome = { ok: false, error };
  } finally {
    stop();
  }
  const leaks: MemfdLeak[] = [];
  let leakedMappings = 0;
  for (const [resource, entry] of live) {
    leaks.push({
      kind: entry.kind,
      description: describe(resource, entry),
      createdAt: formatStack(entry.createdAt),
    });
    if (entry.kind === "mapping") leakedMappings++;
  }
  const nativeOnly = liveMappings() - nativeBefore - leakedMappings;
  if (cleanup) {
    for (const [resource, entry] of live) {
      if (entry.kind === "mapping") (resource as Mapping).unmap();
      else (resource as Memfd).close();
    }
  }
  if (!outcome.ok) throw outcome.error;
  if (leaks.length > 0 || nativeOnly > 0) {
    throw new MemfdLeakError(leaks, nativeOnly);
  }
  return outcome.value;
}

/**
 * Wraps a `Deno.test` function so that the test fails when it leaves a
 * `Memfd` open or a `Mapping` mapped (see {@linkcode assertNoMemfdLeaks}).
 *
 * Never throws; the returned test function rejects as
 * {@linkcode assertNoMemfdLeaks} does.
 *
 * @example
 * ```ts
 * import { Memfd } from "@memfd/memfd";
 * import { noMemfdLeaks } from "@memfd/memfd/testing";
 * import { assertEquals } from "@std/assert";
 *
 * Deno.test("writes and reads back", noMemfdLeaks(() => {
 *   using fd = Memfd.create("scratch", { size: 4 });
 *   fd.write(new Uint8Array([1, 2, 3, 4]));
 *   const back = new Uint8Array(4);
 *   fd.read(back);
 *   assertEquals(back, new Uint8Array([1, 2, 3, 4]));
 * }));
 * ```
 */
export function noMemfdLeaks(
  fn: (t: Deno.TestContext) => void | Promise<void>,
  options?: LeakCheckOptions,
): (t: Deno.TestContext) => Promise<void> {
  // Checked now, where the test is declared, not when it runs.
  const o = toOptions(options, "noMemfdLeaks options", ["cleanup"]);
  toBoolean(o.cleanup, true, "noMemfdLeaks: cleanup");
  return (t) => assertNoMemfdLeaks(() => fn(t), o);
}

/**
 * Assertions shared by the suites: errors by errno, seal sets, and "nothing
 * changed" after a refused call.
 * @module
 */

import {
  assert,
  assertEquals,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import { type Memfd, MemfdError, type Seal } from "../../mod.ts";
import { mappingsOf, openFds } from "./proc.ts";

/** Asserts `fn` throws `MemfdError` `code` whose message has every word. */
export function assertMemfdError(
  fn: () => unknown,
  code: string,
  ...words: string[]
): MemfdError {
  const error = assertThrows(fn, MemfdError);
  assertEquals(error.code, code, error.message);
  for (const word of words) assertStringIncludes(error.message, word);
  return error;
}

/**
 * A check for {@linkcode assertRefusedWithoutEffect}: the error is
 * `MemfdError` `code` with every word in its message.
 */
export function memfdError(
  code: string,
  ...words: string[]
): (error: unknown) => void {
  return (error) => {
    assertMemfdError(
      () => {
        throw error;
      },
      code,
      ...words,
    );
  };
}

/** A check for {@linkcode assertRefusedWithoutEffect}: a `TypeError`. */
export function typeError(includes?: string): (error: unknown) => void {
  return (error) => {
    assertThrows(
      () => {
        throw error;
      },
      TypeError,
      includes,
    );
  };
}

/** A check for {@linkcode assertRefusedWithoutEffect}: a `RangeError`. */
export function rangeError(includes?: string): (error: unknown) => void {
  return (error) => {
    assertThrows(
      () => {
        throw error;
      },
      RangeError,
      includes,
    );
  };
}

/** {@linkcode assertMemfdError} for a promise-returning `fn`. */
export async function assertMemfdRejects(
  fn: () => Promise<unknown>,
  code: string,
  ...words: string[]
): Promise<MemfdError> {
  const error = await assertRejects(fn, MemfdError);
  assertEquals(error.code, code, error.message);
  for (const word of words) assertStringIncludes(error.message, word);
  return error;
}

/**
 * Asserts the seal set is `expected`, allowing one extra: `"exec"`, which
 * every memfd created non-executable (the default, `MFD_NOEXEC_SEAL`)
 * carries from birth.
 */
export function assertSeals(
  actual: ReadonlySet<Seal>,
  expected: readonly Seal[],
): void {
  const extra = [...actual].filter((s) => !expected.includes(s));
  const missing = expected.filter((s) => !actual.has(s));
  assertEquals(missing, [], `seals ${[...actual]} lack ${missing}`);
  assert(
    extra.every((s) => s === "exec"),
    `seals ${[...actual]} have unexpected ${extra}`,
  );
}

/** Asserts the seal set is exactly `expected`. */
export function assertSealsExactly(
  actual: ReadonlySet<Seal>,
  expected: readonly Seal[],
): void {
  assertEquals([...actual].sort(), [...expected].sort());
}

/** What a caller can observe of a memfd's state. */
export interface MemfdState {
  size: number;
  seals: Seal[];
  content: Uint8Array;
}

/** Size, seals and every byte of `fd`: all a refused call could have changed. */
export function stateOf(fd: Memfd): MemfdState {
  const content = new Uint8Array(fd.size);
  fd.read(content);
  return { size: fd.size, seals: [...fd.seals].sort(), content };
}

/**
 * Runs `fn` (which must throw or reject; `check` asserts what) and asserts
 * that afterwards `fd` is unchanged and the process holds the same fds and
 * the same mappings of `fd` as before.
 */
export async function assertRefusedWithoutEffect(
  fd: Memfd,
  fn: () => unknown,
  check: (error: unknown) => void,
): Promise<void> {
  const before = stateOf(fd);
  const fdsBefore = await openFds();
  const mapsBefore = await mappingsOf(fd.name);
  let threw = false;
  try {
    await fn();
  } catch (error) {
    threw = true;
    check(error);
  }
  assert(threw, "expected the call to be refused");
  assertEquals(stateOf(fd), before, "the memfd changed");
  assertEquals(await openFds(), fdsBefore, "the set of open fds changed");
  assertEquals(await mappingsOf(fd.name), mapsBefore, "mappings changed");
}

/** Runs `fn` and asserts the process's open fds are the same afterwards. */
export async function assertNoFdLeak(fn: () => unknown): Promise<void> {
  const before = await openFds();
  await fn();
  assertEquals(await openFds(), before, "the set of open fds changed");
}

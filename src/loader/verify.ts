/**
 * Checking library bytes before they are trusted: against the pin for a
 * release artifact, against the ELF layout for any library.
 * @module
 */

import type { Artifact } from "./artifacts.ts";
import { sha256Hex } from "./checksum.ts";
import { elfProblem } from "./elf.ts";

/** Why `bytes` are not the pinned `artifact`, or `undefined` if they are. */
export function pinProblem(
  bytes: Uint8Array,
  artifact: Artifact,
): string | undefined {
  if (bytes.byteLength !== artifact.size) {
    return `size mismatch: ${bytes.byteLength} bytes, but the pinned ` +
      `${artifact.file} has ${artifact.size}`;
  }
  const sha256 = sha256Hex(bytes);
  if (sha256 !== artifact.sha256) {
    return `checksum mismatch: SHA-256 ${sha256}, but the pinned ` +
      `${artifact.file} has ${artifact.sha256}`;
  }
  return undefined;
}

/** Throws unless `bytes` could be a library for this machine. */
export function requireElf(bytes: Uint8Array, path: string): void {
  const problem = elfProblem(bytes, Deno.build.arch);
  if (problem !== undefined) {
    throw new Error(`deno_memfd cannot use the library ${path}: ${problem}`);
  }
}

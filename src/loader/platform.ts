/**
 * Which systems deno_memfd can run on, decided from plain values so that
 * the decision is testable on any system.
 * @module
 */

/** Why deno_memfd cannot work on `os`, or `undefined` when it can. */
export function unsupportedReason(os: string): string | undefined {
  if (os === "linux") return undefined;
  return `deno_memfd needs Linux (memfd_create and file sealing are ` +
    `Linux system calls); this is ${os}`;
}

/** Throws `Deno.errors.NotSupported` unless `os` is Linux. */
export function requireLinux(os: string = Deno.build.os): void {
  const reason = unsupportedReason(os);
  if (reason !== undefined) throw new Deno.errors.NotSupported(reason);
}

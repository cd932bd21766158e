import { errnoName } from "./errno.ts";

/**
 * A system call on a memfd failed, or was refused before it was made because
 * the kernel would have refused it (or silently done something else).
 *
 * `code` is the errno name (`"EPERM"`), `errno` its number and `syscall`
 * the call that failed (`"ftruncate"`). The message says what was attempted
 * and why it was refused.
 *
 * @example Telling a sealed memfd from other failures
 * ```ts
 * import { Memfd, MemfdError } from "@memfd/memfd";
 * import { assertEquals, assertThrows } from "@std/assert";
 *
 * using fd = Memfd.create("frozen", { size: 4096 });
 * fd.seal("shrink");
 * const error = assertThrows(() => fd.resize(0), MemfdError);
 * assertEquals(error.code, "EPERM");
 * assertEquals(error.syscall, "ftruncate");
 * assertEquals(fd.size, 4096); // a refused call changes nothing
 * ```
 */
export class MemfdError extends Error {
  /** The errno name, e.g. `"EPERM"`. */
  readonly code: string;
  /** The errno number, e.g. `1`. */
  readonly errno: number;
  /** The system call that failed (or would have), e.g. `"ftruncate"`. */
  readonly syscall: string;

  /**
   * Makes the error for `errno` from `syscall`; `message` gets the errno
   * name and the system call appended.
   *
   * Never throws.
   *
   * @param errno the Linux errno number
   * @param syscall the system call, e.g. `"mmap"`
   * @param message what was attempted and why it was refused
   */
  constructor(errno: number, syscall: string, message: string) {
    const code = errnoName(errno);
    super(`${message} (${code}, ${syscall})`);
    this.name = "MemfdError";
    this.code = code;
    this.errno = errno;
    this.syscall = syscall;
  }
}

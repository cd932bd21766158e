import { errnoName } from "./errno.ts";

/**
 * A system call on a memfd failed, or was refused before it was made because
 * the kernel would have refused it (or silently done something else).
 *
 * `code` is the errno name (`"EPERM"`), `errno` its number, `syscall` the
 * system call that failed (`"ftruncate"`) and `operation` the public call
 * that made it (`"Memfd.resize"`). The message begins with the public call,
 * says what was attempted and why it was refused, and ends with the errno
 * name and the system call.
 *
 * `syscall` is only ever a real system call (`fcntl` carries its command:
 * `"fcntl(F_ADD_SEALS)"`). A call refused before it reached the kernel
 * (a closed `Memfd`, a name too long) names the system call it would have
 * made. A failure no system call reported, one the library detected
 * itself (a ring buffer whose indices another process corrupted, a ring
 * peer that exited, a ring the producer ended), has `syscall` `""`: none.
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
 * assertEquals(error.operation, "Memfd.resize");
 * assertEquals(fd.size, 4096); // a refused call changes nothing
 * ```
 */
export class MemfdError extends Error {
  /** The errno name, e.g. `"EPERM"`. */
  readonly code: string;
  /** The errno number, e.g. `1`. */
  readonly errno: number;
  /**
   * The system call that failed (or would have), e.g. `"ftruncate"`; `""`
   * when no system call is involved (the library detected the failure).
   */
  readonly syscall: string;
  /**
   * The public call that failed, e.g. `"Memfd.resize"`,
   * `"RingBuffer.write"` or `"MemfdListener.receive"`; `""` for an error
   * made without one (the three-argument constructor).
   *
   * @example
   * ```ts
   * import { Memfd, MemfdError } from "@memfd/memfd";
   * import { assertEquals, assertThrows } from "@std/assert";
   *
   * const fd = Memfd.create("gone");
   * fd.close();
   * const error = assertThrows(() => fd.size, MemfdError);
   * assertEquals(error.operation, "Memfd.size");
   * assertEquals(error.syscall, "fstat");
   * assertEquals(new MemfdError(9, "close", "x").operation, "");
   * ```
   */
  readonly operation: string;

  /**
   * Makes the error for `errno` from `syscall`; `message` gets the errno
   * name and the system call appended, and the public call `operation`,
   * when given, prepended (`"Memfd.resize: cannot resize 'x': … (EPERM,
   * ftruncate)"`).
   *
   * Never throws.
   *
   * @param errno the Linux errno number
   * @param syscall the system call, e.g. `"mmap"`, or `""` for none
   * @param message what was attempted and why it was refused
   * @param operation the public call, e.g. `"Memfd.map"`
   */
  constructor(
    errno: number,
    syscall: string,
    message: string,
    operation = "",
  ) {
    const code = errnoName(errno);
    const call = operation === "" ? "" : `${operation}: `;
    const tail = syscall === "" ? code : `${code}, ${syscall}`;
    super(`${call}${message} (${tail})`);
    this.name = "MemfdError";
    this.code = code;
    this.errno = errno;
    this.syscall = syscall;
    this.operation = operation;
  }
}

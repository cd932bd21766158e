/**
 * A buffer that holds a `readAsync`/`writeAsync` in flight until the test
 * lets it go: its page is registered with `userfaultfd`, so the kernel's
 * copy into (or out of) it blocks the worker thread on the missing page
 * until {@linkcode StalledBuffer.release} closes the userfaultfd, after
 * which the fault is served as an ordinary zero page. No timing involved.
 *
 * Never touch {@linkcode StalledBuffer.bytes} from JavaScript before
 * release: the main thread would block on the page forever.
 * @module
 */

import { skipWhenEmulated } from "./emulation.ts";

/** `userfaultfd`'s number: each architecture numbers its syscalls itself. */
const SYS_USERFAULTFD = ({ x86_64: 323, aarch64: 282 } as const)[
  Deno.build.arch as "x86_64" | "aarch64"
] ?? -1;
const UFFDIO_API = 0xc018aa3f; // _IOWR(0xAA, 0x3F, struct uffdio_api)
const UFFDIO_REGISTER = 0xc020aa00; // _IOWR(0xAA, 0x00, struct uffdio_register)
const UFFD_API = 0xaa;
const UFFDIO_REGISTER_MODE_MISSING = 1;
const O_CLOEXEC = 0o2000000;
const O_NONBLOCK = 0o4000;
const PROT_READ_WRITE = 3;
const MAP_PRIVATE_ANONYMOUS = 0x02 | 0x20;
const PAGE = 4096;

const libc = Deno.dlopen("libc.so.6", {
  syscall: { parameters: ["i64", "i64"], result: "i64" },
  ioctl: { parameters: ["i32", "u64", "buffer"], result: "i32" },
  mmap: {
    parameters: ["pointer", "usize", "i32", "i32", "i32", "i64"],
    result: "pointer",
  },
  munmap: { parameters: ["pointer", "usize"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
});

/** One page whose first access (by anyone) waits for `release()`. */
export interface StalledBuffer extends Disposable {
  /** The page: hand it to the call to hold; do not touch it yourself. */
  readonly bytes: Uint8Array;
  /** Lets every access waiting on the page go on (it reads as zeros). */
  release(): void;
}

/**
 * Why a stalled buffer cannot be made here (`undefined` when it can):
 * `userfaultfd` missing or not allowed for kernel-mode faults.
 */
export const stallUnavailable: string | undefined = (() => {
  try {
    using _ = stalledBuffer();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
})();

if (stallUnavailable !== undefined) {
  // Skipped wherever userfaultfd is missing; under emulation, say why.
  skipWhenEmulated(
    `qemu-user does not implement userfaultfd (${stallUnavailable}), ` +
      "so no call can be held in flight",
  );
}

/** A page registered with a fresh userfaultfd (see the module docs). */
export function stalledBuffer(): StalledBuffer {
  if (SYS_USERFAULTFD < 0) {
    throw new Error(
      `no userfaultfd syscall number known for ${Deno.build.arch}`,
    );
  }
  const uffd = Number(
    libc.symbols.syscall(
      BigInt(SYS_USERFAULTFD),
      BigInt(O_CLOEXEC | O_NONBLOCK),
    ),
  );
  if (uffd < 0) throw new Error("userfaultfd() failed: not available here");
  let open = true;
  const closeUffd = () => {
    if (open) libc.symbols.close(uffd);
    open = false;
  };
  const api = new BigUint64Array([BigInt(UFFD_API), 0n, 0n]);
  if (libc.symbols.ioctl(uffd, BigInt(UFFDIO_API), api) !== 0) {
    closeUffd();
    throw new Error("ioctl(UFFDIO_API) failed");
  }
  const addr = libc.symbols.mmap(
    null,
    BigInt(PAGE),
    PROT_READ_WRITE,
    MAP_PRIVATE_ANONYMOUS,
    -1,
    0n,
  );
  if (addr === null || Deno.UnsafePointer.value(addr) === 2n ** 64n - 1n) {
    closeUffd();
    throw new Error("mmap failed");
  }
  const register = new BigUint64Array([
    BigInt(Deno.UnsafePointer.value(addr)),
    BigInt(PAGE),
    BigInt(UFFDIO_REGISTER_MODE_MISSING),
    0n,
  ]);
  if (libc.symbols.ioctl(uffd, BigInt(UFFDIO_REGISTER), register) !== 0) {
    closeUffd();
    libc.symbols.munmap(addr, BigInt(PAGE));
    throw new Error("ioctl(UFFDIO_REGISTER) failed: no userfaultfd here");
  }
  const bytes = new Uint8Array(
    Deno.UnsafePointerView.getArrayBuffer(addr, PAGE),
  );
  let mapped = true;
  return {
    bytes,
    release: closeUffd,
    [Symbol.dispose]() {
      closeUffd();
      if (mapped) libc.symbols.munmap(addr, BigInt(PAGE));
      mapped = false;
    },
  };
}

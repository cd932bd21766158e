/**
 * The floors under the public API: the same work through the library's
 * own symbols, opened with `Deno.dlopen` and called directly (no `Memfd`
 * or `Mapping` objects, no checks, no registries on this side). What a
 * row's ratio cannot go below however thin the TypeScript wrapper gets.
 * @module
 */

const LIBRARY = new URL(
  "../../target/release/libdeno_memfd.so",
  import.meta.url,
).pathname;

const SYMBOLS = {
  dm_create: { parameters: ["buffer", "usize", "u32"], result: "i32" },
  dm_resize: { parameters: ["i32", "f64"], result: "i32" },
  dm_map_rest: { parameters: ["i32", "f64", "i32"], result: "f64" },
  dm_unmap: { parameters: ["f64"], result: "i32" },
  dm_close: { parameters: ["i32"], result: "i32" },
  dm_get_seals: { parameters: ["i32"], result: "i32" },
  dm_pread_async: {
    parameters: ["i32", "buffer", "usize", "f64"],
    result: "f64",
    nonblocking: true,
  },
} as const;

let raw: Deno.DynamicLibrary<typeof SYMBOLS>["symbols"] | undefined;

const NAME = new TextEncoder().encode("bench");
// MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL, as Memfd.create; the
// last is dropped when a kernel before 6.3 refuses it, as the library does.
let flags = 0x1 | 0x2 | 0x8;

function symbols() {
  return raw ??= Deno.dlopen(LIBRARY, SYMBOLS).symbols;
}

function create(): number {
  const s = symbols();
  let fd = s.dm_create(NAME, BigInt(NAME.length), flags);
  if (fd === -22 && flags & 0x8) {
    flags &= ~0x8;
    fd = s.dm_create(NAME, BigInt(NAME.length), flags);
  }
  if (fd < 0) throw new Error(`dm_create failed: errno ${-fd}`);
  return fd;
}

function ok(result: number, what: string): number {
  if (result < 0) throw new Error(`${what} failed: errno ${-result}`);
  return result;
}

/**
 * ns per create → resize → map → (view → touch → detach) → unmap → close
 * through raw symbols; `view: false` skips the `ArrayBuffer` and the touch.
 */
export function rawLifecycleNs(
  ops: number,
  size: number,
  view = true,
): number {
  const s = symbols();
  const t0 = performance.now();
  for (let i = 0; i < ops; i++) {
    const fd = create();
    ok(s.dm_resize(fd, size), "dm_resize");
    const addr = ok(s.dm_map_rest(fd, 0, 0), "dm_map_rest");
    if (view) {
      const buffer = Deno.UnsafePointerView.getArrayBuffer(
        Deno.UnsafePointer.create(BigInt(addr))!,
        size,
      );
      new Uint8Array(buffer)[0] = 1;
      buffer.transfer(0);
    }
    ok(s.dm_unmap(addr), "dm_unmap");
    ok(s.dm_close(fd), "dm_close");
  }
  return (performance.now() - t0) * 1e6 / ops;
}

/**
 * ns per `dm_get_seals` of the library's memfd `fd` (take it from a
 * `Memfd`: the library only answers for fds it owns).
 */
export function rawGetSealsNs(fd: number, ops: number): number {
  const s = symbols();
  let seals = 0;
  const t0 = performance.now();
  for (let i = 0; i < ops; i++) seals |= s.dm_get_seals(fd);
  const ns = (performance.now() - t0) * 1e6 / ops;
  ok(seals, "dm_get_seals");
  return ns;
}

/**
 * ns per nonblocking `dm_pread_async` of `into.length` bytes of the
 * library's memfd `fd`, `chunks` reads front to back: one thread hop each,
 * as `readAsync`, with nothing around it.
 */
export async function rawReadAsyncNs(
  fd: number,
  into: Uint8Array<ArrayBuffer>,
  chunks: number,
): Promise<number> {
  const s = symbols();
  const length = BigInt(into.length); // once: the library's own call passes a number
  const t0 = performance.now();
  for (let i = 0; i < chunks; i++) {
    const n = await s.dm_pread_async(
      fd,
      into,
      length,
      i * into.length,
    );
    if (n !== into.length) throw new Error(`dm_pread_async read ${n}`);
  }
  return (performance.now() - t0) * 1e6 / chunks;
}

/**
 * The native baselines: `bench/native`, a cdylib of its own (never part of
 * the shipped library), each export timing its own loop of raw syscalls in
 * Rust. Built by `deno task bench:compare`; opened here on first use.
 * @module
 */

const LIBRARY = new URL(
  "../native/target/release/libdeno_memfd_bench.so",
  import.meta.url,
).pathname;

const SYMBOLS = {
  dmb_lifecycle: { parameters: ["i32", "i64"], result: "i64" },
  dmb_get_seals: { parameters: ["i32"], result: "i64" },
  dmb_map_unmap: { parameters: ["i32", "i64"], result: "i64" },
  dmb_memcpy: {
    parameters: ["buffer", "usize", "buffer", "usize", "i32"],
    result: "i64",
  },
  dmb_ring_stream: {
    parameters: ["buffer", "usize", "u64", "usize"],
    result: "i64",
  },
  dmb_ring_ping_pong: {
    parameters: ["buffer", "usize", "u32"],
    result: "i64",
  },
} as const;

let opened: Deno.DynamicLibrary<typeof SYMBOLS>["symbols"] | undefined;

function native(): Deno.DynamicLibrary<typeof SYMBOLS>["symbols"] {
  if (opened === undefined) {
    try {
      opened = Deno.dlopen(LIBRARY, SYMBOLS).symbols;
    } catch (e) {
      throw new Error(
        `cannot open the bench baselines at ${LIBRARY} (build them: cargo ` +
          `build --release --manifest-path bench/native/Cargo.toml)`,
        { cause: e },
      );
    }
  }
  return opened;
}

/** Elapsed nanoseconds from a baseline, or an error for `-errno`. */
function elapsed(result: number | bigint, what: string): number {
  const ns = Number(result);
  if (ns < 0) throw new Error(`native ${what} failed: errno ${-ns}`);
  return ns;
}

/** memfd_create → ftruncate → mmap → touch → munmap → close, per op. */
export function lifecycleNs(ops: number, size: number): number {
  return elapsed(native().dmb_lifecycle(ops, BigInt(size)), "lifecycle") /
    ops;
}

/** fcntl(F_GET_SEALS), per call. */
export function getSealsNs(ops: number): number {
  return elapsed(native().dmb_get_seals(ops), "get_seals") / ops;
}

/** mmap + munmap of `length` bytes (untouched), per op. */
export function mapUnmapNs(ops: number, length: number): number {
  return elapsed(native().dmb_map_unmap(ops, BigInt(length)), "map_unmap") /
    ops;
}

/** `memcpy` of all of `src` into `dst` (same length, not empty), per copy. */
export function memcpyNs(dst: Uint8Array, src: Uint8Array, copies: number) {
  if (dst.length !== src.length || src.length === 0) {
    throw new RangeError("memcpy needs two non-empty buffers of one length");
  }
  const result = native().dmb_memcpy(
    dst as Uint8Array<ArrayBuffer>,
    BigInt(dst.length),
    src as Uint8Array<ArrayBuffer>,
    BigInt(src.length),
    copies,
  );
  return elapsed(result, "memcpy") / copies;
}

/**
 * The native floor of `ring-latency`: 64-byte round trips between two
 * spinning threads over two rings of the library's layout; `count` round
 * trip times in µs after `warmup` untimed ones.
 */
export function ringPingPongUs(count: number, warmup: number): Float64Array {
  const times = new Float64Array(count);
  elapsed(
    native().dmb_ring_ping_pong(times, BigInt(count), warmup),
    "ring ping-pong",
  );
  return times.map((ns) => ns / 1000);
}

/**
 * The native floor of `ring-vs-memcpy`: GB/s of `total` bytes of
 * `source`, repeated, streamed between two spinning threads through a
 * ring of `capacity` bytes of the library's layout.
 */
export function ringStreamGbs(
  source: Uint8Array,
  total: number,
  capacity: number,
): number {
  const ns = elapsed(
    native().dmb_ring_stream(
      source as Uint8Array<ArrayBuffer>,
      BigInt(source.length),
      BigInt(total),
      BigInt(capacity),
    ),
    "ring stream",
  );
  return total / ns;
}

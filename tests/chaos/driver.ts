/**
 * Chaos driver: a seeded, reproducible random sequence of public API calls
 * (create with every option mix, resize, read/write sync and async, seal,
 * map shared/private/ring, poke live and stale views, unmap, dup, close,
 * open by path, adopt fds, wrong arguments of every kind, close and unmap
 * racing in-flight async calls), each checked against the byte model in
 * `model.ts`: predicted success or failure, the error class and code, and
 * every memfd's bytes, size and seals afterwards.
 *
 * Runs in a child process (see `tests/chaos_test.ts`) so that a SIGSEGV or
 * SIGBUS is a failed test rather than a dead runner. Needs `--allow-all`
 * only to list `/proc/self/fd`, which Deno 2 guards behind it.
 *
 * ```sh
 * deno run --allow-all tests/chaos/driver.ts --seed=7 --steps=3000 [--trace]
 * ```
 *
 * Prints one JSON summary line and exits 0, or prints the failing step, the
 * calls before it and the replay command, and exits 1.
 * @module
 */

import { type Mapping, Memfd, MemfdError } from "../../mod.ts";
import { dm_cloexec, dm_live_mappings } from "../../ffi/mod.ts";
import { assertNoMemfdLeaks } from "../../testing.ts";
import { replayCommand } from "./harness.ts";
import { Rng } from "./rng.ts";
import {
  EXEC,
  FileModel,
  FUTURE_WRITE,
  GROW,
  HUGE,
  MappingModel,
  MAX_SAFE,
  PAGE,
  SEAL,
  SEAL_BITS,
  sealNames,
  SHRINK,
  WRITE,
} from "./model.ts";

/** The model and the library disagree. */
class Mismatch extends Error {
  override name = "Mismatch";
}

function mismatch(message: string): never {
  throw new Mismatch(message);
}

/** What a call may do: succeed (`ok`), or fail with one of `errors`. */
interface Expect {
  ok: boolean;
  /** "TypeError", "RangeError", "MemfdError" (any code) or an errno name. */
  errors: readonly string[];
}

const OK: Expect = { ok: true, errors: [] };
const fails = (...errors: string[]): Expect => ({ ok: false, errors });
const okOr = (...errors: string[]): Expect => ({ ok: true, errors });

type Outcome<T> = { ok: true; value: T } | { ok: false; error: string };

const MAX_HANDLES = 10;
const MAX_MAPPINGS = 12;
const FULL_CHECK_EVERY = 50;
/**
 * Mappings longer than this may meet ENOMEM: shared ones for want of address
 * space, private writable ones from overcommit accounting (a 24 GiB machine
 * refuses a 64 GiB private mapping).
 */
const BIG_SHARED = 2 ** 36;
const BIG_PRIVATE = 2 ** 30;

interface Handle {
  id: number;
  memfd: Memfd;
  file: FileModel;
  writable: boolean;
  fd: number;
}

interface Live {
  model: MappingModel;
  mapping: Mapping;
  /** Views taken while mapped: they must all detach on unmap. */
  views: Uint8Array[];
}

/** An I/O buffer and, when it is a mapping's memory, where it lies. */
interface Buffer {
  bytes: Uint8Array;
  kind: string;
  source?: { live: Live; start: number };
}

/** A memfd name for messages: quoted, long ones cut short. */
function q(name: string): string {
  return name.length > 24
    ? `'${name.slice(0, 20)}…(${name.length})'`
    : `'${name}'`;
}

function fmt(v: unknown): string {
  if (typeof v === "string") {
    return v.length > 40
      ? `${JSON.stringify(v.slice(0, 40))}…`
      : JSON.stringify(v);
  }
  if (typeof v === "bigint") return `${v}n`;
  if (typeof v === "symbol") return v.toString();
  if (v instanceof Uint8Array) return `Uint8Array(${v.length})`;
  if (Array.isArray(v)) return `[${v.map(fmt).join(", ")}]`;
  if (v !== null && typeof v === "object") {
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) {
      return proto.constructor?.name ?? "object";
    }
    return `{${
      Object.entries(v).map(([k, x]) => `${k}: ${fmt(x)}`).join(", ")
    }}`;
  }
  return String(v);
}

/** Values no numeric argument accepts, with the error each must raise. */
const BAD_NUMBERS: readonly [unknown, string][] = [
  [NaN, "RangeError"],
  [-1, "RangeError"],
  [-4096, "RangeError"],
  [1.5, "RangeError"],
  [4096.25, "RangeError"],
  [Infinity, "RangeError"],
  [-Infinity, "RangeError"],
  [2 ** 53, "RangeError"],
  [2 ** 64, "RangeError"],
  [-(2 ** 63), "RangeError"],
  ["5", "TypeError"],
  ["", "TypeError"],
  [null, "TypeError"],
  [{}, "TypeError"],
  [[], "TypeError"],
  [true, "TypeError"],
  [5n, "TypeError"],
  [Symbol("s"), "TypeError"],
  [new Number(5), "TypeError"],
];

/** Values that are not a `Uint8Array`. */
const BAD_BUFFERS: readonly unknown[] = [
  null,
  undefined,
  "bytes",
  [1, 2, 3],
  new ArrayBuffer(8),
  new Int8Array(8),
  new Uint8ClampedArray(8),
  new Uint16Array(4),
  new DataView(new ArrayBuffer(8)),
  { length: 8, byteLength: 8 },
  42,
];

const BAD_OPTIONS: readonly unknown[] = [null, "x", 5, true, Symbol("o")];

const BAD_SEALS: readonly unknown[] = [
  "bogus",
  "SEAL",
  "Write",
  "toString",
  "__proto__",
  "constructor",
  "",
  1,
  0x8,
  null,
  undefined,
  {},
];

const NAMES: readonly string[] = [
  "chaos",
  "",
  "a b/c",
  "é中文🙂",
  "x (deleted)",
  "tab\tand\nnewline",
  "x".repeat(249),
  "é".repeat(124),
  "/memfd:fake",
  "..",
];

const NON_MEMFD_PATHS: readonly string[] = [
  "/proc/self/status",
  "/dev/null",
  "/tmp",
  "/nonexistent/chaos",
  "",
  "relative/path",
  "/proc/self/fd/999999",
];

const encoder = new TextEncoder();

/** Which hugetlb page sizes this kernel has a pool directory for. */
function hugeSizes(): Set<string> {
  const sizes = new Set<string>();
  try {
    for (const e of Deno.readDirSync("/sys/kernel/mm/hugepages")) {
      const kb = Number(/hugepages-(\d+)kB/.exec(e.name)?.[1]);
      if (kb === 2048) sizes.add("2MB");
      if (kb === 1048576) sizes.add("1GB");
      if (kb === 64) sizes.add("64KB");
    }
  } catch {
    // No hugetlb at all: every hugetlb create is ENODEV.
  }
  return sizes;
}

/** The memfds this process has open, from `/proc/self/fd`: fd → link. */
function openMemfds(): Map<number, string> {
  const out = new Map<number, string>();
  for (const e of Deno.readDirSync("/proc/self/fd")) {
    try {
      const link = Deno.readLinkSync(`/proc/self/fd/${e.name}`);
      if (link.startsWith("/memfd:")) out.set(Number(e.name), link);
    } catch {
      // The directory's own fd, gone by now.
    }
  }
  return out;
}

/** One reproducible run. */
export class Chaos {
  readonly rng: Rng;
  readonly seed: number;
  readonly trace: boolean;
  readonly huge = hugeSizes();
  step = 0;
  op = "";
  readonly log: string[] = [];
  readonly counts: Record<string, number> = {};
  readonly errors: Record<string, number> = {};
  readonly successes: Record<string, number> = {};
  /** What the last refused call threw. */
  lastError: unknown;
  handles: Handle[] = [];
  closed: Handle[] = [];
  maps: Live[] = [];
  unmapped: Mapping[] = [];
  stale: Uint8Array[] = [];
  stalePaths: string[] = [];
  nextId = 1;

  /** How often a create asks for huge pages (`--huge=<percent>`). */
  hugeChance = 0.05;

  constructor(seed: number, trace: boolean) {
    this.seed = seed;
    this.rng = new Rng(seed);
    this.trace = trace;
  }

  note(line: string): void {
    const entry = `#${this.step} ${line}`;
    this.log.push(entry);
    if (this.log.length > 40) this.log.shift();
    if (this.trace) console.error(entry);
  }

  // --- outcomes ----------------------------------------------------------

  #classify(e: unknown, what: string): string {
    if (e instanceof MemfdError) {
      if (
        typeof e.code !== "string" || !/^E[A-Z0-9]+$/.test(e.code) ||
        !Number.isInteger(e.errno) || e.errno <= 0 ||
        typeof e.syscall !== "string" || !e.message.includes(e.code)
      ) {
        mismatch(`${what}: malformed MemfdError ${e.stack}`);
      }
      return e.code;
    }
    if (e instanceof TypeError) return "TypeError";
    if (e instanceof RangeError) return "RangeError";
    mismatch(
      `${what}: threw something other than TypeError, RangeError or MemfdError: ${
        e instanceof Error ? e.stack : String(e)
      }`,
    );
  }

  #judge<T>(what: string, expect: Expect, outcome: Outcome<T>): Outcome<T> {
    if (outcome.ok) {
      const call = /^[\w.]+/.exec(what)?.[0] ?? what;
      this.successes[call] = (this.successes[call] ?? 0) + 1;
      if (!expect.ok) {
        mismatch(
          `${what}: succeeded (${fmt(outcome.value)}), expected ${
            expect.errors.join(" or ")
          }`,
        );
      }
    } else {
      const allowed = expect.errors.some((e) =>
        e === outcome.error ||
        (e === "MemfdError" && outcome.error.startsWith("E"))
      );
      if (!allowed) {
        mismatch(
          `${what}: failed with ${outcome.error}, expected ${
            [expect.ok ? "success" : "", ...expect.errors].filter(Boolean)
              .join(" or ")
          }`,
        );
      }
      this.errors[outcome.error] = (this.errors[outcome.error] ?? 0) + 1;
    }
    return outcome;
  }

  /** Runs `f`, checks its outcome against `expect`. */
  call<T>(what: string, expect: Expect, f: () => T, log = true): Outcome<T> {
    if (log) this.note(what);
    let outcome: Outcome<T>;
    try {
      outcome = { ok: true, value: f() };
    } catch (e) {
      this.lastError = e;
      outcome = { ok: false, error: this.#classify(e, what) };
    }
    return this.#judge(what, expect, outcome);
  }

  /** {@linkcode Chaos.call} for a call returning a promise. */
  async callAsync<T>(
    what: string,
    expect: Expect,
    f: () => Promise<T>,
  ): Promise<Outcome<T>> {
    this.note(what);
    let outcome: Outcome<T>;
    let promise: Promise<T>;
    try {
      promise = f();
    } catch (e) {
      mismatch(`${what}: threw synchronously instead of rejecting: ${e}`);
    }
    try {
      outcome = { ok: true, value: await promise };
    } catch (e) {
      this.lastError = e;
      outcome = { ok: false, error: this.#classify(e, what) };
    }
    return this.#judge(what, expect, outcome);
  }

  // --- random values -----------------------------------------------------

  genName(): string {
    const r = this.rng;
    if (r.chance(0.3)) return r.pick(NAMES);
    let s = "c";
    const n = r.int(24);
    for (let i = 0; i < n; i++) s += String.fromCharCode(r.range(0x20, 0x7e));
    return s;
  }

  genSize(file?: FileModel): number {
    const r = this.rng;
    if (file?.hugetlb) {
      return r.chance(0.1)
        ? r.pick([PAGE, HUGE - 1, HUGE + PAGE])
        : r.pick([0, HUGE, HUGE, 2 * HUGE]);
    }
    switch (
      r.weighted({
        zero: 1,
        tiny: 4,
        small: 6,
        pages: 4,
        medium: 2,
        big: 0.4,
        huge: 0.3,
        extreme: 0.15,
      })
    ) {
      case "zero":
        return 0;
      case "tiny":
        return r.int(300);
      case "small":
        return r.int(20000);
      case "pages":
        return PAGE * r.range(1, 16);
      case "medium":
        return r.int(300_000);
      case "big":
        return r.int(4 << 20);
      case "huge":
        return r.chance(0.5) ? 2 ** r.range(30, 44) : r.int(2 ** 44);
      default:
        return MAX_SAFE - r.int(10000);
    }
  }

  /** A valid position (0 to 2^53-1), mostly near the file's data. */
  genPos(size: number): number {
    return Math.min(MAX_SAFE, this.#genPos(size));
  }

  #genPos(size: number): number {
    const r = this.rng;
    switch (
      r.weighted({
        inside: 8,
        end: 2,
        near: 3,
        beyond: 2,
        aligned: 2,
        huge: 0.3,
        extreme: 0.3,
        negzero: 0.1,
      })
    ) {
      case "inside":
        return r.int(size + 1);
      case "end":
        return size;
      case "near":
        return Math.max(0, size - 64 + r.int(128));
      case "beyond":
        return size + r.int(20000);
      case "aligned":
        return PAGE * r.int(Math.floor(size / PAGE) + 2);
      case "huge":
        return r.int(2 ** 44);
      case "extreme":
        return MAX_SAFE - r.int(100);
      default:
        return -0;
    }
  }

  genLength(): number {
    const r = this.rng;
    switch (r.weighted({ zero: 0.5, tiny: 5, small: 4, large: 0.7 })) {
      case "zero":
        return 0;
      case "tiny":
        return r.range(1, 16);
      case "small":
        return r.range(17, 5000);
      default:
        return r.range(5000, 70000);
    }
  }

  // --- state helpers -----------------------------------------------------

  files(): Set<FileModel> {
    const out = new Set<FileModel>();
    for (const h of this.handles) out.add(h.file);
    for (const m of this.maps) out.add(m.model.file);
    return out;
  }

  handleOf(file: FileModel): Handle | undefined {
    return this.handles.find((h) => h.file === file);
  }

  pickHandle(): Handle | undefined {
    return this.handles.length === 0 ? undefined : this.rng.pick(this.handles);
  }

  pickLive(): Live | undefined {
    return this.maps.length === 0 ? undefined : this.rng.pick(this.maps);
  }

  adopt(memfd: Memfd, file: FileModel, writable: boolean): Handle {
    const h = { id: this.nextId++, memfd, file, writable, fd: memfd.fd };
    this.handles.push(h);
    return h;
  }

  forgetHandle(h: Handle): void {
    this.handles = this.handles.filter((x) => x !== h);
    this.closed.push(h);
    if (this.closed.length > 16) this.closed.shift();
    this.stalePaths.push(`/proc/${Deno.pid}/fd/${h.fd}`);
    if (this.stalePaths.length > 16) this.stalePaths.shift();
  }

  forgetMapping(live: Live): void {
    live.model.live = false;
    live.model.file.mappings.delete(live.model);
    this.maps = this.maps.filter((x) => x !== live);
    this.unmapped.push(live.mapping);
    if (this.unmapped.length > 16) this.unmapped.shift();
    this.stale.push(...live.views);
    if (this.stale.length > 32) this.stale.splice(0, this.stale.length - 32);
  }

  /**
   * A buffer of about `n` bytes for I/O on `file` at `pos`: plain memory of
   * several kinds, or a live mapping's memory (never one whose file range
   * overlaps the transfer: the kernel's copy order would decide the result).
   */
  genBuffer(n: number, file: FileModel, pos: number): Buffer {
    const r = this.rng;
    const kind = r.weighted({
      plain: 6,
      offset: 2,
      shared: 1,
      resizable: 1,
      mapping: this.maps.length > 0 ? 3 : 0,
      stale: this.stale.length > 0 ? 0.5 : 0,
    });
    const content = r.bytes(n);
    switch (kind) {
      case "offset": {
        const backing = new Uint8Array(n + 16);
        const bytes = backing.subarray(7, 7 + n);
        bytes.set(content);
        return { bytes, kind };
      }
      case "shared": {
        const bytes = new Uint8Array(new SharedArrayBuffer(n));
        bytes.set(content);
        return { bytes, kind };
      }
      case "resizable": {
        const bytes = new Uint8Array(
          new ArrayBuffer(n, { maxByteLength: n + 64 }),
        );
        bytes.set(content);
        return { bytes, kind };
      }
      case "mapping": {
        const live = r.pick(this.maps);
        const m = live.model;
        const limit = m.ring ? m.length : m.viewLength;
        const len = Math.min(n, limit, 8192);
        const start = r.int(m.viewLength - len + 1);
        const lo = m.filePos(start);
        const overlaps = m.file === file && (
          m.ring || (lo < pos + len && pos < lo + len)
        );
        if (!overlaps && len > 0) {
          return {
            bytes: live.mapping.bytes.subarray(start, start + len),
            kind,
            source: { live, start },
          };
        }
        break;
      }
      case "stale":
        return { bytes: r.pick(this.stale), kind };
    }
    return { bytes: content, kind: "plain" };
  }

  /** What the kernel holds in `buf` now, by the model. */
  bufferContent(buf: Buffer): Uint8Array {
    if (buf.bytes.length === 0) return new Uint8Array(0);
    if (buf.source === undefined) return buf.bytes.slice();
    return buf.source.live.model.read(buf.source.start, buf.bytes.length);
  }

  // --- predictions -------------------------------------------------------

  predictWrite(h: Handle, pos: number, n: number): Expect & { count: number } {
    const f = h.file;
    if (n === 0) return { ...OK, count: 0 };
    if (pos + n > MAX_SAFE) return { ...fails("RangeError"), count: 0 };
    if (!h.writable) return { ...fails("EBADF"), count: 0 };
    if (f.hugetlb) return { ...fails("EINVAL"), count: 0 };
    if (f.seals & (WRITE | FUTURE_WRITE)) {
      return { ...fails("EPERM"), count: 0 };
    }
    if (!(f.seals & GROW)) return { ...OK, count: n };
    // With "grow" the kernel copies page by page and stops at the first
    // page-sized chunk that would pass the end of the file.
    let count = 0;
    for (let p = pos; p < pos + n;) {
      const chunkEnd = Math.min(pos + n, (Math.floor(p / PAGE) + 1) * PAGE);
      if (chunkEnd > f.size) break;
      count += chunkEnd - p;
      p = chunkEnd;
    }
    return count === 0 ? { ...fails("EPERM"), count } : { ...OK, count };
  }

  predictRead(h: Handle, pos: number, n: number): number {
    const size = h.file.size;
    return n === 0 || pos >= size ? 0 : Math.min(n, size - pos);
  }

  /** Seals `bits` added through `h`: the resulting set, or the error. */
  predictSeal(h: Handle, bits: number): Expect & { seals: number } {
    const f = h.file;
    if (bits === 0) return { ...OK, seals: f.seals };
    if (!h.writable) return { ...fails("EPERM"), seals: f.seals };
    if (f.seals & SEAL) return { ...fails("EPERM"), seals: f.seals };
    // "exec" on a file with execute bits implies W^X: every write seal.
    const implied = bits & EXEC && f.execMode
      ? bits | SHRINK | GROW | WRITE | FUTURE_WRITE
      : bits;
    if (implied & WRITE && !(f.seals & WRITE) && f.sharedMappings > 0) {
      return { ...fails("EBUSY"), seals: f.seals };
    }
    return { ...OK, seals: f.seals | implied };
  }

  predictResize(h: Handle, size: number): Expect {
    const f = h.file;
    if (f.mappedEnd > size) return fails("EBUSY");
    if (!h.writable) return fails("EINVAL");
    if (f.hugetlb && size % f.granule !== 0) return fails("EINVAL");
    if (size < f.size && f.seals & SHRINK) return fails("EPERM");
    if (size > f.size && f.seals & GROW) return fails("EPERM");
    return OK;
  }

  /** The mmap part of a map or ring of `length` bytes at `offset`. */
  predictMmap(
    h: Handle,
    offset: number,
    length: number,
    shared: boolean,
  ): Expect {
    const f = h.file;
    const big = length > (shared ? BIG_SHARED : BIG_PRIVATE);
    // The kernel finds no room for a huge range before it checks the rest.
    const refused = (e: string) => big ? fails(e, "ENOMEM") : fails(e);
    if (offset % f.granule !== 0) return refused("EINVAL");
    if (shared && !h.writable) return refused("EACCES");
    if (shared && f.seals & (WRITE | FUTURE_WRITE)) return refused("EPERM");
    if (f.hugetlb || big) return okOr("ENOMEM");
    return OK;
  }

  // --- checks --------------------------------------------------------------

  verifyRange(file: FileModel, pos: number, n: number, why: string): void {
    const h = this.handleOf(file);
    if (h === undefined || n <= 0) return;
    const buf = new Uint8Array(n);
    const got = h.memfd.read(buf, pos);
    const want = pos >= file.size ? 0 : Math.min(n, file.size - pos);
    if (got !== want) {
      mismatch(
        `${why}: read(${n} @${pos}) of ${
          q(file.name)
        } returned ${got}, model says ${want} (size ${file.size})`,
      );
    }
    const expected = file.read(pos, want);
    for (let i = 0; i < want; i++) {
      if (buf[i] !== expected[i]) {
        mismatch(
          `${why}: ${q(file.name)} byte ${pos + i} is ${buf[i]}, model says ${
            expected[i]
          }`,
        );
      }
    }
  }

  verifyFile(file: FileModel, why: string, focus?: [number, number]): void {
    const h = this.handleOf(file);
    if (h !== undefined) {
      const size = h.memfd.size;
      if (size !== file.size) {
        mismatch(
          `${why}: ${q(file.name)} size is ${size}, model says ${file.size}`,
        );
      }
      const seals = [...h.memfd.seals].sort().join(",");
      const want = sealNames(file.seals).sort().join(",");
      if (seals !== want) {
        mismatch(
          `${why}: ${q(file.name)} seals are {${seals}}, model says {${want}}`,
        );
      }
      if (file.size <= 256 * 1024) {
        this.verifyRange(file, 0, file.size, why);
      } else {
        if (focus) {
          this.verifyRange(
            file,
            Math.max(0, focus[0] - 64),
            focus[1] + 128,
            why,
          );
        }
        const pages = [...file.pages.keys()];
        for (let i = 0; i < Math.min(8, pages.length); i++) {
          this.verifyRange(file, this.rng.pick(pages) * PAGE, PAGE, why);
        }
        for (let i = 0; i < 4; i++) {
          this.verifyRange(file, this.rng.int(file.size), 64, why);
        }
        this.verifyRange(file, Math.max(0, file.size - 64), 128, why);
      }
    }
    for (const live of this.maps) {
      if (live.model.file === file) this.verifyMapping(live, why);
    }
  }

  verifyMapping(live: Live, why: string): void {
    const m = live.model;
    const bytes = live.mapping.bytes;
    if (
      bytes.length !== m.viewLength || live.mapping.byteLength !== m.viewLength
    ) {
      mismatch(
        `${why}: mapping ${m.id} is ${bytes.length} bytes, model says ${m.viewLength}`,
      );
    }
    const check = (i: number) => {
      const want = m.get(i);
      if (bytes[i] !== want) {
        mismatch(
          `${why}: mapping ${m.id} (${m.access}${
            m.ring ? " ring" : ""
          } @${m.offset} of ${q(m.file.name)}) byte ${i} is ${
            bytes[i]
          }, model says ${want}`,
        );
      }
    };
    if (m.viewLength <= 64 * 1024) {
      for (let i = 0; i < m.viewLength; i++) check(i);
      return;
    }
    const spots: number[] = [0, m.viewLength - 1];
    for (let i = 0; i < 16; i++) spots.push(this.rng.int(m.viewLength));
    for (const index of [...m.file.pages.keys()].slice(0, 16)) {
      const at = index * PAGE - m.offset;
      if (at >= 0 && at < m.length) spots.push(at + this.rng.int(PAGE));
    }
    for (const s of spots) {
      for (let i = s; i < Math.min(s + 32, m.viewLength); i++) check(i);
    }
  }

  verifyAll(why: string): void {
    for (const file of this.files()) this.verifyFile(file, why);
    const native = dm_live_mappings();
    if (native !== this.maps.length) {
      mismatch(
        `${why}: the native registry holds ${native} mappings, model says ${this.maps.length}`,
      );
    }
    const open = openMemfds();
    for (const h of this.handles) {
      const link = open.get(h.fd);
      if (link === undefined) {
        mismatch(`${why}: fd ${h.fd} of ${q(h.file.name)} is not open`);
      }
      open.delete(h.fd);
    }
    if (open.size > 0) {
      mismatch(
        `${why}: memfds open that no Memfd owns: ${[...open].join("; ")}`,
      );
    }
  }

  // --- operations ----------------------------------------------------------

  opCreate(): void {
    const r = this.rng;
    if (this.handles.length >= MAX_HANDLES) return this.opClose();
    const name = this.genName();
    const o: Record<string, unknown> = {};
    const hugetlb = r.chance(this.hugeChance)
      ? r.pick<boolean | string>([true, "2MB", "2MB", "1GB", "64KB", "16GB"])
      : r.pick([undefined, undefined, false]);
    if (hugetlb !== undefined) o.hugetlb = hugetlb;
    const allowSealing = r.pick([undefined, true, false]);
    if (allowSealing !== undefined || r.chance(0.2)) {
      o.allowSealing = allowSealing;
    }
    const executable = r.pick([undefined, true, false]);
    if (executable !== undefined) o.executable = executable;
    const cloexec = r.pick([undefined, true, false]);
    if (cloexec !== undefined) o.cloexec = cloexec;
    const pageSize = hugetlb === true ? "2MB" : hugetlb;
    const isHuge = typeof pageSize === "string";
    const granule = pageSize === "1GB"
      ? 2 ** 30
      : pageSize === "2MB"
      ? HUGE
      : PAGE;
    let size: number | undefined;
    if (r.chance(0.8)) {
      size = isHuge ? r.pick([0, granule, granule, PAGE]) : this.genSize();
      o.size = size;
    }
    let expect: Expect = OK;
    if (encoder.encode(name).length > 249) expect = fails("EINVAL");
    else if (isHuge && !this.huge.has(pageSize)) expect = fails("ENODEV");
    else if (isHuge && size !== undefined && size % granule !== 0) {
      expect = fails("EINVAL");
    }
    const args = r.chance(0.1) && Object.keys(o).length === 0 ? [] : [o];
    const out = this.call(
      `Memfd.create(${fmt(name)}, ${args.length ? fmt(o) : ""})`,
      expect,
      () => Memfd.create(name, ...(args as [object])),
    );
    if (!out.ok) return;
    const memfd = out.value;
    if (pageSize === "1GB") {
      // No pool of gigantic pages to map from: just check and let it go.
      this.checkNew(memfd, name, size ?? 0);
      memfd.close();
      return;
    }
    const file = new FileModel(this.nextId++, name, {
      hugetlb: isHuge,
      execMode: executable === true,
      seals: (executable === true ? 0 : EXEC) |
        (allowSealing === false ? SEAL : 0),
    });
    file.size = size ?? 0;
    const h = this.adopt(memfd, file, true);
    this.checkNew(memfd, name, file.size);
    const want = cloexec === false ? 0 : 1;
    if (dm_cloexec(h.fd) !== want) {
      mismatch(`create: FD_CLOEXEC of fd ${h.fd} is not ${want}`);
    }
    this.verifyFile(file, "after create");
  }

  checkNew(memfd: Memfd, name: string, size: number): void {
    if (memfd.name !== name) {
      mismatch(`name is ${fmt(memfd.name)}, not ${fmt(name)}`);
    }
    if (memfd.closed || memfd.fd < 0) mismatch(`new memfd is closed`);
    if (memfd.path !== `/proc/${Deno.pid}/fd/${memfd.fd}`) {
      mismatch(`path is ${memfd.path}`);
    }
    if (memfd.size !== size) {
      mismatch(`new memfd size ${memfd.size}, want ${size}`);
    }
  }

  opCreateBad(): void {
    const r = this.rng;
    const [value, error] = r.pick(BAD_NUMBERS);
    switch (r.int(6)) {
      case 0:
        this.call(
          `Memfd.create("bad", {size: ${fmt(value)}})`,
          fails(error),
          () => Memfd.create("bad", { size: value as number }),
        );
        break;
      case 1: {
        const name = r.pick<unknown>([42, null, undefined, {}, ["a"], 5n]);
        this.call(
          `Memfd.create(${fmt(name)})`,
          fails("TypeError"),
          () => Memfd.create(name as string),
        );
        break;
      }
      case 2:
        this.call(
          `Memfd.create("a\\0b")`,
          fails("TypeError"),
          () => Memfd.create("a\0b"),
        );
        break;
      case 3: {
        const options = r.pick(BAD_OPTIONS);
        this.call(
          `Memfd.create("bad", ${fmt(options)})`,
          fails("TypeError"),
          () => Memfd.create("bad", options as object),
        );
        break;
      }
      case 4: {
        const key = r.pick([
          "cloexec",
          "allowSealing",
          "executable",
          "hugetlb",
        ]);
        const bad = r.pick<unknown>([1, "yes", null, "3MB", "2mb", "toString"]);
        this.call(
          `Memfd.create("bad", {${key}: ${fmt(bad)}})`,
          fails("TypeError"),
          () => Memfd.create("bad", { [key]: bad }),
        );
        break;
      }
      default:
        this.call(
          `Memfd.create(250 bytes)`,
          fails("EINVAL"),
          () => Memfd.create("é".repeat(125)),
        );
    }
  }

  opOpen(): void {
    const r = this.rng;
    if (this.handles.length >= MAX_HANDLES) return this.opClose();
    const write = r.chance(0.5);
    const options = r.chance(0.2) ? undefined : { write };
    const w = options?.write ?? false;
    const choice = r.weighted({
      live: this.handles.length > 0 ? 6 : 0,
      stale: this.stalePaths.length > 0 ? 2 : 0,
      other: 1,
      bad: 1,
    });
    if (choice === "bad") {
      const path = r.pick<unknown>([42, null, undefined, "a\0b"]);
      const badOptions = r.chance(0.5) ? r.pick(BAD_OPTIONS) : { write: "yes" };
      const useBadOptions = typeof path === "string" && path.includes("\0")
        ? false
        : r.chance(0.3);
      this.call(
        `Memfd.open(${fmt(path)}, ${useBadOptions ? fmt(badOptions) : ""})`,
        fails("TypeError"),
        () =>
          useBadOptions
            ? Memfd.open("/dev/null", badOptions as { write: boolean })
            : Memfd.open(path as string),
      );
      return;
    }
    if (choice === "other") {
      const path = r.pick(NON_MEMFD_PATHS);
      this.call(
        `Memfd.open(${fmt(path)}, ${fmt(options)})`,
        fails("MemfdError"),
        () => Memfd.open(path, options),
      );
      return;
    }
    let path: string;
    let target: Handle | undefined;
    if (choice === "live") {
      target = r.pick(this.handles);
      path = target.memfd.path;
    } else {
      path = r.pick(this.stalePaths);
      const n = Number(path.split("/").pop());
      target = this.handles.find((h) => h.fd === n);
    }
    const out = this.call(
      `Memfd.open(${path}${target ? ` ${q(target.file.name)}` : " stale"}, ${
        fmt(options)
      })`,
      target ? OK : fails("MemfdError"),
      () => Memfd.open(path, options),
    );
    if (!out.ok || target === undefined) return;
    const h = this.adopt(out.value, target.file, w);
    if (h.memfd.name !== target.file.name) {
      mismatch(
        `open: name ${fmt(h.memfd.name)}, want ${fmt(target.file.name)}`,
      );
    }
    this.verifyFile(target.file, "after open");
  }

  opFromFd(): void {
    const r = this.rng;
    const choice = r.weighted({
      live: this.handles.length > 0 ? 3 : 0,
      std: 1,
      bad: 1,
    });
    if (choice === "bad") {
      const [value, error] = r.pick<[unknown, string]>([
        ...BAD_NUMBERS,
        [2 ** 31, "EBADF"],
        [2 ** 40, "EBADF"],
        [0x7fffff00, "EBADF"],
      ]);
      this.call(
        `Memfd.fromFd(${fmt(value)})`,
        fails(error),
        () => Memfd.fromFd(value as number, { owned: false }),
      );
      return;
    }
    if (choice === "std") {
      const fd = r.int(3);
      this.call(
        `Memfd.fromFd(${fd}, {owned: false})`,
        fails("EINVAL", "EBADF"),
        () => Memfd.fromFd(fd, { owned: false }),
      );
      return;
    }
    const h = r.pick(this.handles);
    if (r.chance(0.2)) {
      const bad = r.pick<unknown>([null, "x", { owned: 1 }]);
      this.call(
        `Memfd.fromFd(${h.fd}, ${fmt(bad)})`,
        fails("TypeError"),
        () => Memfd.fromFd(h.fd, bad as { owned: boolean }),
      );
      return;
    }
    const out = this.call(
      `Memfd.fromFd(${h.fd}, {owned: false})`,
      OK,
      () => Memfd.fromFd(h.fd, { owned: false }),
    );
    if (!out.ok) return;
    const adopted = out.value;
    if (adopted.name !== h.file.name || adopted.size !== h.file.size) {
      mismatch(
        `fromFd: ${q(adopted.name)} size ${adopted.size} is not the original`,
      );
    }
    adopted.close();
    if (dm_cloexec(h.fd) < 0) {
      mismatch(`closing an unowned Memfd closed fd ${h.fd}`);
    }
    this.call(`unowned.size after close`, fails("EBADF"), () => adopted.size);
  }

  opDup(): void {
    if (this.handles.length >= MAX_HANDLES) return this.opClose();
    const h = this.pickHandle();
    if (h === undefined) return this.opCreate();
    const out = this.call(
      `dup(fd ${h.fd} ${q(h.file.name)})`,
      OK,
      () => h.memfd.dup(),
    );
    if (!out.ok) return;
    const d = this.adopt(out.value, h.file, h.writable);
    if (dm_cloexec(d.fd) !== 1) {
      mismatch(`dup: fd ${d.fd} is not close-on-exec`);
    }
    if (d.memfd.name !== h.file.name) mismatch(`dup: name ${d.memfd.name}`);
  }

  opClose(): void {
    const h = this.pickHandle();
    if (h === undefined) return;
    this.call(`close(fd ${h.fd} ${q(h.file.name)})`, OK, () => h.memfd.close());
    if (!h.memfd.closed || h.memfd.fd !== -1) mismatch(`close: still open`);
    this.call(`close() again`, OK, () => h.memfd.close());
    this.forgetHandle(h);
  }

  async opUseClosed(): Promise<void> {
    const r = this.rng;
    if (this.closed.length === 0) return this.opClose();
    const h = r.pick(this.closed);
    const m = h.memfd;
    const E = fails("EBADF");
    const what = `closed ${q(h.file.name)}`;
    switch (r.int(12)) {
      case 0:
        this.call(`${what}.size`, E, () => m.size);
        break;
      case 1:
        this.call(`${what}.resize(0)`, E, () => m.resize(0));
        break;
      case 2:
        this.call(`${what}.write`, E, () => m.write(new Uint8Array(4)));
        break;
      case 3:
        this.call(`${what}.read`, E, () => m.read(new Uint8Array(4)));
        break;
      case 4:
        this.call(`${what}.seal("grow")`, E, () => m.seal("grow"));
        break;
      case 5:
        this.call(`${what}.seals`, E, () => m.seals);
        break;
      case 6:
        this.call(`${what}.map()`, E, () => m.map());
        break;
      case 7:
        this.call(`${what}.mapRing()`, E, () => m.mapRing());
        break;
      case 8:
        this.call(`${what}.dup()`, E, () => m.dup());
        break;
      case 9:
        this.call(`${what}.path`, E, () => m.path);
        break;
      case 10:
        await this.callAsync(
          `${what}.readAsync`,
          E,
          () => m.readAsync(new Uint8Array(4)),
        );
        break;
      default:
        await this.callAsync(
          `${what}.writeAsync`,
          E,
          () => m.writeAsync(new Uint8Array(4)),
        );
    }
    // The message must say why: the memfd is closed (not "read-only").
    const message = (this.lastError as Error).message;
    if (!/ is closed/.test(message)) {
      mismatch(
        `${what}: the EBADF message does not say it is closed: ${message}`,
      );
    }
    if (m.fd !== -1 || !m.closed) {
      mismatch(`${what}: fd ${m.fd}, closed ${m.closed}`);
    }
  }

  opResize(): void {
    const h = this.pickHandle();
    if (h === undefined) return this.opCreate();
    const size = this.rng.chance(0.15)
      ? h.file.mappedEnd
      : this.genSize(h.file);
    const expect = this.predictResize(h, size);
    const out = this.call(
      `resize(fd ${h.fd} ${q(h.file.name)} ${h.file.size} -> ${size})`,
      expect,
      () => h.memfd.resize(size),
    );
    if (out.ok) h.file.resize(size);
    this.verifyFile(h.file, "after resize", [Math.min(size, h.file.size), 64]);
  }

  async opBadArgs(): Promise<void> {
    const r = this.rng;
    const h = this.pickHandle();
    if (h === undefined) return this.opCreateBad();
    const m = h.memfd;
    const [value, error] = r.pick(BAD_NUMBERS);
    const bad = r.pick(BAD_BUFFERS);
    const what = `${q(h.file.name)}`;
    switch (r.int(14)) {
      case 0:
        this.call(
          `${what}.resize(${fmt(value)})`,
          fails(error),
          () => m.resize(value as number),
        );
        break;
      case 1:
        this.call(
          `${what}.write(${fmt(bad)})`,
          fails("TypeError"),
          () => m.write(bad as Uint8Array),
        );
        break;
      case 2:
        this.call(
          `${what}.write(bytes, ${fmt(value)})`,
          fails(error),
          () => m.write(new Uint8Array(3), value as number),
        );
        break;
      case 3:
        this.call(
          `${what}.read(${fmt(bad)})`,
          fails("TypeError"),
          () => m.read(bad as Uint8Array),
        );
        break;
      case 4:
        this.call(
          `${what}.read(bytes, ${fmt(value)})`,
          fails(error),
          () => m.read(new Uint8Array(3), value as number),
        );
        break;
      case 5:
        await this.callAsync(
          `${what}.writeAsync(${fmt(bad)})`,
          fails("TypeError"),
          () => m.writeAsync(bad as Uint8Array),
        );
        break;
      case 6:
        await this.callAsync(
          `${what}.readAsync(bytes, ${fmt(value)})`,
          fails(error),
          () => m.readAsync(new Uint8Array(3), value as number),
        );
        break;
      case 7: {
        const seal = r.pick(BAD_SEALS);
        const seals = r.chance(0.5) ? [seal] : ["shrink", seal];
        this.call(
          `${what}.seal(${fmt(seals)})`,
          fails("TypeError"),
          () => m.seal(...(seals as ["seal"])),
        );
        this.call(
          `${what}.requireSeals(${fmt(seals)})`,
          fails("TypeError"),
          () => m.requireSeals(...(seals as ["seal"])),
        );
        break;
      }
      case 8: {
        const key = r.pick(["offset", "length"]);
        this.call(
          `${what}.map({${key}: ${fmt(value)}})`,
          fails(error),
          () => m.map({ [key]: value }),
        );
        break;
      }
      case 9: {
        const access = r.pick<unknown>([
          "Shared",
          "readonly",
          1,
          null,
          "toString",
        ]);
        this.call(
          `${what}.map({access: ${fmt(access)}})`,
          fails("TypeError"),
          () => m.map({ access: access as "shared" }),
        );
        break;
      }
      case 10: {
        const options = r.pick(BAD_OPTIONS);
        this.call(
          `${what}.map(${fmt(options)})`,
          fails("TypeError"),
          () => m.map(options as object),
        );
        break;
      }
      case 11: {
        const key = r.pick(["offset", "length"]);
        this.call(
          `${what}.mapRing({${key}: ${fmt(value)}})`,
          fails(error),
          () => m.mapRing({ [key]: value }),
        );
        break;
      }
      case 12:
        this.call(
          `${what}.map({populate: "yes"})`,
          fails("TypeError"),
          () => m.map({ populate: "yes" as unknown as boolean }),
        );
        break;
      default: {
        const options = r.pick(BAD_OPTIONS);
        this.call(
          `${what}.mapRing(${fmt(options)})`,
          fails("TypeError"),
          () => m.mapRing(options as object),
        );
      }
    }
    this.verifyFile(h.file, "after a refused call");
  }

  async opWrite(async: boolean): Promise<void> {
    const r = this.rng;
    const h = this.pickHandle();
    if (h === undefined) return this.opCreate();
    const pos = this.genPos(h.file.size);
    const buf = this.genBuffer(this.genLength(), h.file, pos);
    const n = buf.bytes.length;
    const content = this.bufferContent(buf);
    const omit = pos === 0 && r.chance(0.5);
    let expect: Expect & { count: number } = this.predictWrite(h, pos, n);
    if (async && buf.kind === "resizable" && n > 0) {
      expect = { ...fails("TypeError"), count: 0 };
      if (pos + n > MAX_SAFE) expect = { ...fails("RangeError"), count: 0 };
    }
    const what = `${async ? "writeAsync" : "write"}(fd ${h.fd} ${
      q(h.file.name)
    }, ${buf.kind} ${n}, @${pos})`;
    const f = () =>
      omit ? h.memfd.write(buf.bytes) : h.memfd.write(buf.bytes, pos);
    const out = async
      ? await this.callAsync(
        what,
        expect,
        () =>
          omit
            ? h.memfd.writeAsync(buf.bytes)
            : h.memfd.writeAsync(buf.bytes, pos),
      )
      : this.call(what, expect, f);
    if (out.ok) {
      if (out.value !== expect.count) {
        mismatch(`${what}: wrote ${out.value}, model says ${expect.count}`);
      }
      h.file.write(pos, content.subarray(0, out.value));
    }
    this.verifyFile(h.file, `after ${what}`, [pos, n]);
  }

  async opRead(async: boolean): Promise<void> {
    const r = this.rng;
    const h = this.pickHandle();
    if (h === undefined) return this.opCreate();
    const pos = this.genPos(h.file.size);
    const buf = this.genBuffer(this.genLength(), h.file, pos);
    const n = buf.bytes.length;
    const before = this.bufferContent(buf);
    const count = this.predictRead(h, pos, n);
    let expect: Expect = OK;
    if (async && buf.kind === "resizable" && n > 0) expect = fails("TypeError");
    const omit = pos === 0 && r.chance(0.5);
    const what = `${async ? "readAsync" : "read"}(fd ${h.fd} ${
      q(h.file.name)
    }, ${buf.kind} ${n}, @${pos})`;
    const out = async
      ? await this.callAsync(
        what,
        expect,
        () =>
          omit
            ? h.memfd.readAsync(buf.bytes)
            : h.memfd.readAsync(buf.bytes, pos),
      )
      : this.call(
        what,
        expect,
        () => omit ? h.memfd.read(buf.bytes) : h.memfd.read(buf.bytes, pos),
      );
    const want = h.file.read(pos, count);
    if (out.ok) {
      if (out.value !== count) {
        mismatch(
          `${what}: read ${out.value}, model says ${count} (size ${h.file.size})`,
        );
      }
      if (buf.source) buf.source.live.model.write(buf.source.start, want);
    }
    const got = buf.bytes;
    for (let i = 0; i < n; i++) {
      const expected = out.ok && i < count ? want[i] : before[i];
      if (got[i] !== expected) {
        mismatch(
          `${what}: buffer byte ${i} is ${got[i]}, model says ${expected}`,
        );
      }
    }
    if (buf.source) {
      this.verifyFile(buf.source.live.model.file, `after ${what}`);
    }
  }

  opSeal(): void {
    const r = this.rng;
    const h = this.pickHandle();
    if (h === undefined) return this.opCreate();
    const names = Object.keys(SEAL_BITS);
    const chosen: string[] = [];
    const k = r.weighted({ none: 0.3, one: 6, two: 2, three: 1 });
    const count = { none: 0, one: 1, two: 2, three: 3 }[k];
    for (let i = 0; i < count; i++) {
      chosen.push(r.weighted({
        "seal": 0.6,
        "shrink": 1,
        "grow": 1,
        "write": 1.5,
        "future-write": 1,
        "exec": 1,
      }));
    }
    let bits = 0;
    for (const n of chosen) bits |= SEAL_BITS[n];
    const p = this.predictSeal(h, bits);
    const what = `seal(fd ${h.fd} ${q(h.file.name)} {${
      sealNames(h.file.seals)
    }} + ${fmt(chosen)})`;
    const out = this.call(what, p, () => h.memfd.seal(...(chosen as ["seal"])));
    if (out.ok) {
      h.file.seals = p.seals;
      const got = [...out.value].sort().join(",");
      const want = sealNames(p.seals).sort().join(",");
      if (got !== want) {
        mismatch(`${what}: returned {${got}}, model says {${want}}`);
      }
    }
    // requireSeals agrees with the set.
    const ask = r.pick(names);
    this.call(
      `requireSeals(${ask})`,
      h.file.seals & SEAL_BITS[ask] ? OK : fails("EPERM"),
      () => h.memfd.requireSeals(ask as "seal"),
    );
    this.verifyFile(h.file, `after ${what}`);
  }

  opMap(): void {
    const r = this.rng;
    if (this.maps.length >= MAX_MAPPINGS) return this.opUnmap();
    const h = this.pickHandle();
    if (h === undefined) return this.opCreate();
    const f = h.file;
    const size = f.size;
    let offset: number;
    switch (r.weighted({ zero: 4, aligned: 4, unaligned: 1, beyond: 0.5 })) {
      case "zero":
        offset = 0;
        break;
      case "aligned":
        offset = f.granule * r.int(Math.floor(size / f.granule) + 1);
        break;
      case "unaligned":
        offset = r.int(size + 1);
        break;
      default:
        offset = size + PAGE * r.int(4);
    }
    let length: number | undefined;
    switch (r.weighted({ rest: 3, inside: 5, past: 1, zero: 0.3, huge: 0.2 })) {
      case "rest":
        length = undefined;
        break;
      case "inside":
        length = r.range(1, Math.max(1, Math.min(size - offset, 3 * PAGE)));
        break;
      case "past":
        length = Math.max(0, size - offset) + r.range(1, 2 * PAGE);
        break;
      case "zero":
        length = 0;
        break;
      default:
        length = MAX_SAFE - r.int(PAGE);
    }
    const access = r.pick<"shared" | "private" | undefined>([
      undefined,
      "shared",
      "private",
    ]);
    const shared = access !== "private";
    const resolved = length ?? size - offset;
    const populate = resolved <= 1 << 20 && r.chance(0.2);
    const options: Record<string, unknown> = {};
    if (r.chance(0.8) || offset !== 0) options.offset = offset;
    if (length !== undefined) options.length = length;
    if (access !== undefined) options.access = access;
    if (populate) options.populate = true;
    let expect: Expect;
    if (length === 0) expect = fails("RangeError");
    else if (length === undefined && offset >= size) {
      expect = fails("RangeError");
    } else if (offset + resolved > size) expect = fails("RangeError");
    else expect = this.predictMmap(h, offset, resolved, shared);
    const what = `map(fd ${h.fd} ${q(f.name)} size ${size}, ${fmt(options)})`;
    const out = this.call(
      what,
      expect,
      () =>
        Object.keys(options).length === 0 && r.chance(0.5)
          ? h.memfd.map()
          : h.memfd.map(options),
    );
    if (!out.ok) return;
    const mapping = out.value;
    const model = new MappingModel(
      this.nextId++,
      f,
      offset,
      resolved,
      shared ? "shared" : "private",
      false,
    );
    if (!shared && populate) model.populate();
    if (
      mapping.byteLength !== resolved || mapping.offset !== offset ||
      mapping.access !== model.access || mapping.unmapped
    ) {
      mismatch(
        `${what}: got ${mapping.byteLength} bytes @${mapping.offset} ${mapping.access}`,
      );
    }
    this.track(model, mapping);
  }

  track(model: MappingModel, mapping: Mapping): void {
    model.file.mappings.add(model);
    const views = [mapping.bytes];
    const len = model.viewLength;
    if (len > 2) {
      const s = this.rng.int(len - 1);
      views.push(
        mapping.bytes.subarray(s, s + 1 + this.rng.int(Math.min(64, len - s))),
      );
      views.push(new Uint8Array(mapping.buffer, 0, Math.min(len, 16)));
    }
    const live = { model, mapping, views };
    this.maps.push(live);
    this.verifyMapping(live, "after map");
  }

  opMapRing(): void {
    const r = this.rng;
    if (this.maps.length >= MAX_MAPPINGS) return this.opUnmap();
    const h = this.pickHandle();
    if (h === undefined) return this.opCreate();
    const f = h.file;
    const size = f.size;
    const offset = r.chance(0.85)
      ? PAGE * r.int(Math.floor(size / PAGE) + 1)
      : r.int(size + 1);
    let length: number | undefined;
    switch (r.weighted({ rest: 1, pages: 5, odd: 1, past: 1 })) {
      case "rest":
        length = size <= 1 << 20 ? undefined : PAGE;
        break;
      case "pages":
        length = PAGE *
          r.range(
            1,
            Math.max(1, Math.min(8, Math.floor((size - offset) / PAGE))),
          );
        break;
      case "odd":
        length = r.range(1, 3 * PAGE);
        break;
      default:
        length = PAGE * (Math.floor(Math.max(0, size - offset) / PAGE) + 1);
    }
    const resolved = length ?? size - offset;
    let expect: Expect;
    if (length === 0) expect = fails("RangeError");
    else if (length === undefined && offset >= size) {
      expect = fails("RangeError");
    } else if (resolved % PAGE !== 0) expect = fails("RangeError");
    else if (offset + resolved > size) expect = fails("RangeError");
    else if (resolved % f.granule !== 0) expect = fails("EINVAL");
    else expect = this.predictMmap(h, offset, resolved, true);
    const options = length === undefined ? { offset } : { offset, length };
    const what = `mapRing(fd ${h.fd} ${q(f.name)} size ${size}, ${
      fmt(options)
    })`;
    const out = this.call(what, expect, () => h.memfd.mapRing(options));
    if (!out.ok) return;
    const mapping = out.value;
    const model = new MappingModel(
      this.nextId++,
      f,
      offset,
      resolved,
      "shared",
      true,
    );
    if (mapping.byteLength !== 2 * resolved || mapping.access !== "shared") {
      mismatch(`${what}: got ${mapping.byteLength} bytes ${mapping.access}`);
    }
    this.track(model, mapping);
  }

  opPoke(): void {
    const r = this.rng;
    const live = this.pickLive();
    if (live === undefined) return this.opMap();
    const m = live.model;
    const len = m.viewLength;
    const n = Math.min(len, r.range(1, 256));
    const start = r.int(len - n + 1);
    const data = r.bytes(n);
    const bytes = live.mapping.bytes;
    this.note(
      `poke mapping ${m.id} (${m.access}${m.ring ? " ring" : ""} ${
        q(m.file.name)
      }) [${start}, +${n})`,
    );
    switch (r.int(4)) {
      case 0:
        bytes.set(data, start);
        m.write(start, data);
        break;
      case 1:
        for (let i = 0; i < n; i++) bytes[start + i] = data[i];
        m.write(start, data);
        break;
      case 2:
        bytes.fill(data[0], start, start + n);
        m.write(start, new Uint8Array(n).fill(data[0]));
        break;
      default: {
        // Through a view taken at map time, when it covers the range.
        const view = live.views[0];
        view.set(data, start);
        m.write(start, data);
      }
    }
    const s = Math.max(0, start - 8);
    for (let i = s; i < Math.min(len, start + n + 8); i++) {
      if (bytes[i] !== m.get(i)) {
        mismatch(
          `poke: mapping ${m.id} byte ${i} reads ${bytes[i]}, model says ${
            m.get(i)
          }`,
        );
      }
    }
    if (m.ring) {
      const i = start % m.length;
      if (bytes[i] !== bytes[i + m.length]) {
        mismatch(`ring ${m.id}: ${i} and ${i + m.length} differ`);
      }
    }
    this.verifyFile(m.file, "after poke", [m.filePos(start), n]);
  }

  opPokeStale(): void {
    const r = this.rng;
    if (this.stale.length === 0 && this.unmapped.length === 0) {
      return this.opUnmap();
    }
    this.note(
      `poke stale views (${this.stale.length}) and unmapped mappings (${this.unmapped.length})`,
    );
    for (const view of this.stale) {
      if (
        view.length !== 0 || view.byteLength !== 0 ||
        view.buffer.byteLength !== 0
      ) {
        mismatch(
          `a view of an unmapped mapping still has ${view.length} bytes`,
        );
      }
      view[r.int(4096)] = 1;
      if (view[0] !== undefined) mismatch(`a stale view reads ${view[0]}`);
      // Detached views refuse or ignore everything; none may reach memory.
      const refused = okOr("TypeError", "RangeError");
      this.call(`staleView.fill(7)`, refused, () => view.fill(7), false);
      this.call(`staleView.set([1])`, refused, () => view.set([1]), false);
      this.call(`staleView.subarray(0, 10)`, refused, () => {
        if (view.subarray(0, 10).length !== 0) {
          mismatch(`a stale subarray has bytes`);
        }
      }, false);
      this.call(
        `new DataView(staleBuffer)`,
        fails("TypeError"),
        () => new DataView(view.buffer),
        false,
      );
    }
    for (const mapping of this.unmapped) {
      if (
        !mapping.unmapped || mapping.byteLength !== 0 ||
        mapping.bytes.length !== 0
      ) {
        mismatch(`an unmapped Mapping still shows ${mapping.byteLength} bytes`);
      }
      this.call(`unmapped.sync()`, OK, () => mapping.sync(), false);
      this.call(`unmapped.unmap()`, OK, () => mapping.unmap(), false);
      mapping.bytes[0] = 9;
    }
  }

  opUnmap(): void {
    const live = this.pickLive();
    if (live === undefined) return;
    const m = live.model;
    this.call(
      `unmap(mapping ${m.id} ${q(m.file.name)})`,
      OK,
      () => live.mapping.unmap(),
    );
    this.forgetMapping(live);
    for (const v of live.views) {
      if (v.length !== 0) mismatch(`unmap: a view still has ${v.length} bytes`);
    }
    if (!live.mapping.unmapped || live.mapping.byteLength !== 0) {
      mismatch(`unmap: not unmapped`);
    }
    this.call(`unmap() again`, OK, () => live.mapping.unmap());
    this.verifyFile(m.file, "after unmap");
  }

  opSync(): void {
    const live = this.pickLive();
    if (live === undefined) return this.opMap();
    this.call(`sync(mapping ${live.model.id})`, OK, () => live.mapping.sync());
  }

  /** close() while a readAsync/writeAsync is in flight: deferred. */
  async opRaceClose(): Promise<void> {
    const r = this.rng;
    const h = this.pickHandle();
    if (h === undefined) return this.opCreate();
    const write = r.chance(0.5);
    const n = r.range(1, 5000);
    // A call refused before it starts (RangeError) races nothing.
    const pos = Math.min(this.genPos(h.file.size), MAX_SAFE - n);
    const data = r.bytes(n);
    let expect: Expect = OK;
    let count = 0;
    if (write) {
      const p = this.predictWrite(h, pos, n);
      expect = p;
      count = p.count;
    } else {
      count = this.predictRead(h, pos, n);
    }
    const what = `${write ? "writeAsync" : "readAsync"}(fd ${h.fd} ${
      q(h.file.name)
    }, ${n}, @${pos}) racing close()`;
    this.note(what);
    const fd = h.fd;
    const promise = write
      ? h.memfd.writeAsync(data, pos)
      : h.memfd.readAsync(data, pos);
    h.memfd.close();
    if (!h.memfd.closed || h.memfd.fd !== -1) {
      mismatch(`${what}: close() did not mark it closed`);
    }
    if (!openMemfds().has(fd)) {
      mismatch(`${what}: fd ${fd} was closed while a call used it`);
    }
    this.call(`size while closing`, fails("EBADF"), () => h.memfd.size);
    const out = await this.callAsync(what, expect, () => promise);
    if (openMemfds().has(fd)) {
      mismatch(`${what}: fd ${fd} is still open after the call completed`);
    }
    this.forgetHandle(h);
    if (out.ok) {
      if (out.value !== count) {
        mismatch(`${what}: transferred ${out.value}, model says ${count}`);
      }
      if (write) h.file.write(pos, data.subarray(0, count));
      else {
        const want = h.file.read(pos, count);
        for (let i = 0; i < count; i++) {
          if (data[i] !== want[i]) {
            mismatch(`${what}: byte ${i} is ${data[i]}, want ${want[i]}`);
          }
        }
      }
    }
    this.verifyFile(h.file, `after ${what}`);
  }

  /** unmap() while a readAsync/writeAsync uses the mapping's memory. */
  async opRaceUnmap(): Promise<void> {
    const r = this.rng;
    const live = this.pickLive();
    const h = this.pickHandle();
    if (live === undefined || h === undefined) return this.opMap();
    const m = live.model;
    const limit = m.ring ? m.length : m.viewLength;
    const n = Math.min(limit, r.range(1, 8192));
    const start = r.int(m.viewLength - n + 1);
    const pos = Math.min(this.genPos(h.file.size), MAX_SAFE - n);
    const lo = m.filePos(start);
    if (m.file === h.file && (m.ring || (lo < pos + n && pos < lo + n))) return;
    const write = r.chance(0.5);
    const view = live.mapping.bytes.subarray(start, start + n);
    const content = m.read(start, n);
    let expect: Expect = OK;
    let count: number;
    if (write) {
      const p = this.predictWrite(h, pos, n);
      expect = p;
      count = p.count;
    } else {
      count = this.predictRead(h, pos, n);
    }
    const what = `${write ? "writeAsync" : "readAsync"}(fd ${h.fd} ${
      q(h.file.name)
    }, mapping ${m.id} [${start}, +${n}), @${pos}) racing unmap()`;
    this.note(what);
    const before = dm_live_mappings();
    const promise = write
      ? h.memfd.writeAsync(view, pos)
      : h.memfd.readAsync(view, pos);
    live.mapping.unmap();
    for (const v of [view, ...live.views]) {
      if (v.length !== 0) {
        mismatch(`${what}: a view kept ${v.length} bytes after unmap()`);
      }
    }
    if (dm_live_mappings() !== before) {
      mismatch(`${what}: pages were unmapped while a call still used them`);
    }
    // The mapping is still there for the kernel: "write" stays EBUSY.
    if (m.access === "shared" && this.handleOf(m.file)) {
      const owner = this.handleOf(m.file)!;
      const p = this.predictSeal(owner, WRITE);
      const out = this.call(
        `seal("write") of ${q(m.file.name)} while pinned`,
        p,
        () => owner.memfd.seal("write"),
      );
      if (out.ok) owner.file.seals = p.seals;
    }
    const out = await this.callAsync(what, expect, () => promise);
    this.forgetMapping(live);
    if (dm_live_mappings() !== before - 1) {
      mismatch(`${what}: the mapping was not unmapped when the call completed`);
    }
    if (out.ok) {
      if (out.value !== count) {
        mismatch(`${what}: transferred ${out.value}, model says ${count}`);
      }
      if (write) h.file.write(pos, content.subarray(0, count));
      else m.write(start, h.file.read(pos, count));
    }
    this.verifyFile(h.file, `after ${what}`);
    this.verifyFile(m.file, `after ${what}`);
  }

  async stepOnce(): Promise<void> {
    const op = this.rng.weighted({
      create: 5,
      createBad: 1.5,
      open: 2,
      fromFd: 1,
      dup: 2,
      close: 3,
      useClosed: 1.5,
      resize: 4,
      badArgs: 3,
      write: 7,
      writeAsync: 2.5,
      read: 6,
      readAsync: 2.5,
      seal: 4,
      map: 5,
      mapRing: 2,
      poke: 8,
      pokeStale: 1.5,
      unmap: 3,
      sync: 1,
      raceClose: 1,
      raceUnmap: 1.5,
    });
    this.op = op;
    this.counts[op] = (this.counts[op] ?? 0) + 1;
    switch (op) {
      case "create":
        return this.opCreate();
      case "createBad":
        return this.opCreateBad();
      case "open":
        return this.opOpen();
      case "fromFd":
        return this.opFromFd();
      case "dup":
        return this.opDup();
      case "close":
        return this.opClose();
      case "useClosed":
        return await this.opUseClosed();
      case "resize":
        return this.opResize();
      case "badArgs":
        return await this.opBadArgs();
      case "write":
        return await this.opWrite(false);
      case "writeAsync":
        return await this.opWrite(true);
      case "read":
        return await this.opRead(false);
      case "readAsync":
        return await this.opRead(true);
      case "seal":
        return this.opSeal();
      case "map":
        return this.opMap();
      case "mapRing":
        return this.opMapRing();
      case "poke":
        return this.opPoke();
      case "pokeStale":
        return this.opPokeStale();
      case "unmap":
        return this.opUnmap();
      case "sync":
        return this.opSync();
      case "raceClose":
        return await this.opRaceClose();
      default:
        return await this.opRaceUnmap();
    }
  }

  async run(steps: number): Promise<void> {
    for (this.step = 1; this.step <= steps; this.step++) {
      await this.stepOnce();
      if (this.step % FULL_CHECK_EVERY === 0) this.verifyAll("periodic check");
    }
    this.step = steps + 1;
    this.op = "teardown";
    this.verifyAll("final check");
    for (const live of [...this.maps]) {
      live.mapping.unmap();
      this.forgetMapping(live);
    }
    for (const h of [...this.handles]) {
      h.memfd.close();
      this.forgetHandle(h);
    }
    if (dm_live_mappings() !== 0) {
      mismatch(`teardown: ${dm_live_mappings()} mappings still registered`);
    }
    const open = openMemfds();
    if (open.size > 0) {
      mismatch(`teardown: memfds still open: ${[...open].join("; ")}`);
    }
  }
}

function arg(name: string, fallback: number): number {
  const found = Deno.args.find((a) => a.startsWith(`--${name}=`));
  if (found === undefined) return fallback;
  const value = Number(found.slice(name.length + 3));
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new TypeError(`--${name} must be a whole number`);
  }
  return value;
}

if (import.meta.main) {
  const seed = arg("seed", 1);
  const steps = arg("steps", 2000);
  const chaos = new Chaos(seed, Deno.args.includes("--trace"));
  chaos.hugeChance = arg("huge", 5) / 100;
  try {
    await assertNoMemfdLeaks(() => chaos.run(steps));
    console.log(JSON.stringify({
      seed,
      steps,
      ops: chaos.counts,
      errors: chaos.errors,
      successes: chaos.successes,
    }));
  } catch (e) {
    console.error(
      `chaos seed ${seed} failed at step ${chaos.step} (${chaos.op}):`,
    );
    console.error(e instanceof Error ? e.stack : String(e));
    console.error(`last calls:\n  ${chaos.log.join("\n  ")}`);
    const extra = Deno.args.filter((a) => a.startsWith("--huge="));
    console.error(`replay: ${replayCommand(seed, steps, extra)} --trace`);
    Deno.exit(1);
  }
}

/**
 * The chaos driver's model of memfds: what the kernel and the library should
 * make of each call, written from the kernel's rules (CONFORMANCE.md), not
 * from the library's code. Files are sparse, so sizes up to 2^53-1 fit.
 * @module
 */

export const PAGE = 4096;
export const HUGE = 2 * 1024 * 1024;
export const MAX_SAFE = Number.MAX_SAFE_INTEGER;

export const SEAL = 0x1;
export const SHRINK = 0x2;
export const GROW = 0x4;
export const WRITE = 0x8;
export const FUTURE_WRITE = 0x10;
export const EXEC = 0x20;

export const SEAL_BITS: Readonly<Record<string, number>> = {
  "seal": SEAL,
  "shrink": SHRINK,
  "grow": GROW,
  "write": WRITE,
  "future-write": FUTURE_WRITE,
  "exec": EXEC,
};

/** The seal names in `bits`, in kernel bit order. */
export function sealNames(bits: number): string[] {
  return Object.keys(SEAL_BITS).filter((n) => bits & SEAL_BITS[n]!);
}

/** One memfd inode: its bytes (sparse, in pages), size and seals. */
export class FileModel {
  readonly id: number;
  readonly name: string;
  /** Bytes per page of this file: 4 KiB, or 2 MiB for hugetlb. */
  readonly granule: number;
  readonly hugetlb: boolean;
  /** Mode has execute bits (`MFD_EXEC`): sealing "exec" implies W^X. */
  readonly execMode: boolean;
  size = 0;
  seals: number;
  /** Non-zero pages, by index (PAGE-sized, whatever the granule). */
  readonly pages = new Map<number, Uint8Array>();
  /** Live mappings (in the native registry) of this inode. */
  readonly mappings = new Set<MappingModel>();
  /**
   * Huge pages in the page cache, by granule index (hugetlb only; shmem
   * pages behave the same whether there or not). A shared mapping's fault
   * puts one there; read() and a private mapping's faults do not.
   */
  readonly present = new Set<number>();

  constructor(
    id: number,
    name: string,
    opts: { hugetlb: boolean; execMode: boolean; seals: number },
  ) {
    this.id = id;
    this.name = name;
    this.hugetlb = opts.hugetlb;
    this.granule = opts.hugetlb ? HUGE : PAGE;
    this.execMode = opts.execMode;
    this.seals = opts.seals;
  }

  /** Live shared (or ring) mappings: they make adding "write" `EBUSY`. */
  get sharedMappings(): number {
    let n = 0;
    for (const m of this.mappings) if (m.access === "shared") n++;
    return n;
  }

  /** The furthest byte a live mapping can touch: resizes below it are `EBUSY`. */
  get mappedEnd(): number {
    let end = 0;
    for (const m of this.mappings) end = Math.max(end, m.offset + m.length);
    return end;
  }

  /** A shared mapping faulted the page behind `pos` in. */
  touch(pos: number): void {
    if (this.hugetlb) this.present.add(Math.floor(pos / this.granule));
  }

  get(pos: number): number {
    const page = this.pages.get(Math.floor(pos / PAGE));
    return page === undefined ? 0 : page[pos % PAGE]!; // a PAGE-byte page
  }

  set(pos: number, value: number): void {
    const index = Math.floor(pos / PAGE);
    let page = this.pages.get(index);
    if (page === undefined) {
      if (value === 0) return;
      page = new Uint8Array(PAGE);
      this.pages.set(index, page);
    }
    page[pos % PAGE] = value;
  }

  /** `n` bytes from `pos`, ignoring the size (past it the model holds zeros). */
  read(pos: number, n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n;) {
      const at = pos + i;
      const index = Math.floor(at / PAGE);
      const within = at % PAGE;
      const take = Math.min(PAGE - within, n - i);
      const page = this.pages.get(index);
      if (page !== undefined) out.set(page.subarray(within, within + take), i);
      i += take;
    }
    return out;
  }

  write(pos: number, data: Uint8Array): void {
    if (data.length === 0) return;
    for (let i = 0; i < data.length; i++) this.set(pos + i, data[i]!);
    this.size = Math.max(this.size, pos + data.length);
  }

  resize(size: number): void {
    if (size < this.size) {
      for (const index of [...this.pages.keys()]) {
        if (index * PAGE >= size) this.pages.delete(index);
      }
      const tail = this.pages.get(Math.floor(size / PAGE));
      if (tail !== undefined) tail.fill(0, size % PAGE);
      for (const index of [...this.present]) {
        if (index * this.granule >= size) this.present.delete(index);
      }
    }
    this.size = size;
  }
}

/** One live or unmapped mapping. */
export class MappingModel {
  readonly id: number;
  readonly file: FileModel;
  readonly offset: number;
  /** File bytes covered (a ring's view is twice this). */
  readonly length: number;
  readonly access: "shared" | "private";
  readonly ring: boolean;
  /** Copy-on-write pages of a private mapping, by file page index. */
  readonly cow = new Map<number, Uint8Array>();
  /** Whether the native registry still holds it. */
  live = true;

  constructor(
    id: number,
    file: FileModel,
    offset: number,
    length: number,
    access: "shared" | "private",
    ring: boolean,
  ) {
    this.id = id;
    this.file = file;
    this.offset = offset;
    this.length = length;
    this.access = access;
    this.ring = ring;
  }

  get viewLength(): number {
    return this.ring ? 2 * this.length : this.length;
  }

  /** The file position behind view index `i`. */
  filePos(i: number): number {
    return this.offset + (this.ring ? i % this.length : i);
  }

  /** Byte `i` of the view, as reading it (a fault) leaves the model. */
  get(i: number): number {
    const pos = this.filePos(i);
    const f = this.file;
    if (this.access === "shared") {
      f.touch(pos);
      return f.get(pos);
    }
    const index = Math.floor(pos / f.granule);
    const page = this.cow.get(index);
    if (page !== undefined) return page[pos % f.granule]!; // granule bytes
    // hugetlb gives a private read fault on a page the file does not have
    // a private page of zeros: later writes to the file do not show.
    if (f.hugetlb && !f.present.has(index)) {
      this.cow.set(index, new Uint8Array(f.granule));
      return 0;
    }
    return f.get(pos);
  }

  /** Copies the file's page behind `pos` into the mapping (a write fault). */
  #cowPage(pos: number): Uint8Array {
    const g = this.file.granule;
    const index = Math.floor(pos / g);
    let page = this.cow.get(index);
    if (page === undefined) {
      page = this.file.read(index * g, g);
      this.cow.set(index, page);
    }
    return page;
  }

  set(i: number, value: number): void {
    const pos = this.filePos(i);
    if (this.access === "private") {
      this.#cowPage(pos)[pos % this.file.granule] = value;
    } else {
      this.file.touch(pos);
      this.file.set(pos, value);
    }
  }

  /**
   * `MAP_POPULATE`: a private writable mapping write-faults every page, a
   * shared one read-faults them into the file.
   */
  populate(): void {
    const g = this.file.granule;
    const end = Math.ceil((this.offset + this.length) / g) * g;
    for (let pos = this.offset; pos < end; pos += g) {
      if (this.access === "private") this.#cowPage(pos);
      else this.file.touch(pos);
    }
  }

  read(start: number, n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.get(start + i);
    return out;
  }

  write(start: number, data: Uint8Array): void {
    for (let i = 0; i < data.length; i++) this.set(start + i, data[i]!);
  }
}

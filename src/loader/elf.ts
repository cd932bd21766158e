/**
 * A sanity check of a shared library before `dlopen` sees it. The dynamic
 * loader maps segments without checking they lie inside the file, so a
 * truncated library kills the process with SIGBUS instead of failing; a
 * library for another machine fails with a misleading "No such file".
 * @module
 */

const MACHINES: Readonly<Record<number, string>> = {
  3: "x86 (32-bit)",
  8: "mips",
  20: "powerpc",
  21: "powerpc64",
  22: "s390",
  40: "arm (32-bit)",
  62: "x86_64",
  183: "aarch64",
  243: "riscv64",
  258: "loongarch64",
};

const ET_DYN = 3;
const PT_LOAD = 1;

/**
 * What is wrong with `bytes` as a 64-bit little-endian shared library for
 * `arch` (`Deno.build.arch`), or `undefined` when nothing is.
 */
export function elfProblem(
  bytes: Uint8Array,
  arch: string,
): string | undefined {
  const size = bytes.byteLength;
  if (size < 64) {
    return `it is ${size} bytes long, too short to be a shared library`;
  }
  if (
    bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c ||
    bytes[3] !== 0x46
  ) {
    return "it is not an ELF shared library (no ELF header)";
  }
  if (bytes[4] !== 2) return "it is a 32-bit library; Deno is 64-bit";
  if (bytes[5] !== 1) return "it is a big-endian library";
  const view = new DataView(bytes.buffer, bytes.byteOffset, size);
  const u16 = (at: number) => view.getUint16(at, true);
  const u64 = (at: number) => Number(view.getBigUint64(at, true));
  const machine = u16(18);
  const built = MACHINES[machine] ?? `ELF machine ${machine}`;
  if (built !== arch) return `it is built for ${built}, but this is ${arch}`;
  if (u16(16) !== ET_DYN) return "it is not a shared library (not ET_DYN)";

  const truncated = (needed: number) =>
    `it is truncated: ${size} bytes, but its headers describe ${needed}`;
  const phoff = u64(32), phentsize = u16(54), phnum = u16(56);
  const phEnd = phoff + phnum * phentsize;
  if (phnum === 0 || phentsize < 56) return "it has no program headers";
  if (phEnd > size) return truncated(phEnd);
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (view.getUint32(at, true) !== PT_LOAD) continue;
    const end = u64(at + 8) + u64(at + 32);
    if (end > size) return truncated(end);
  }
  const shoff = u64(40), shentsize = u16(58), shnum = u16(60);
  const shEnd = shoff + shnum * shentsize;
  if (shnum > 0 && shEnd > size) return truncated(shEnd);
  return undefined;
}

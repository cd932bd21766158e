/**
 * Whether this deno runs on a CPU of another architecture under a user-mode
 * emulator (qemu-user through binfmt_misc, as `deno task test:arch` runs the
 * suite), and how a test that cannot work there skips itself there and only
 * there, printing why.
 *
 * The CPU is read from `/proc/cpuinfo`, which qemu-user 7 passes through
 * from the host kernel: an x86 CPU lists `vendor_id`, an arm64 one
 * `CPU implementer`. When the file says neither (an emulator that fakes it),
 * the `DENO_MEMFD_EMULATED` variable the task sets decides.
 * @module
 */

type Arch = typeof Deno.build.arch;

/** The architecture of the CPU the kernel reports, if recognisable. */
function cpuArch(): Arch | undefined {
  const path = "/proc/cpuinfo";
  if (Deno.permissions.querySync({ name: "read", path }).state !== "granted") {
    return undefined;
  }
  let info: string;
  try {
    info = Deno.readTextFileSync(path);
  } catch {
    return undefined;
  }
  if (/^vendor_id\s*:/m.test(info)) return "x86_64";
  if (/^CPU implementer\s*:/m.test(info)) return "aarch64";
  return undefined;
}

function detect(): string | undefined {
  const cpu = cpuArch();
  if (cpu !== undefined) {
    return cpu === Deno.build.arch
      ? undefined
      : `${Deno.build.arch} deno on an ${cpu} CPU`;
  }
  const name = "DENO_MEMFD_EMULATED";
  const granted =
    Deno.permissions.querySync({ name: "env", variable: name }).state ===
      "granted";
  const value = granted ? Deno.env.get(name) : undefined;
  return value ? `${Deno.build.arch} deno under ${value}` : undefined;
}

/**
 * How this process is emulated (`"aarch64 deno on an x86_64 CPU"`), or
 * `undefined` when it runs natively.
 */
export const emulated: string | undefined = detect();

/**
 * `true`, after printing `why`, when emulated: for a test's `ignore` option,
 * given what the emulator does differently from a kernel on real hardware.
 * `false` (and silent) when native.
 */
export function skipWhenEmulated(why: string): boolean {
  if (emulated === undefined) return false;
  console.log(`skipped under emulation (${emulated}): ${why}`);
  return true;
}

/** Prints `what` a suite does differently when emulated; silent when native. */
export function noteWhenEmulated(what: string): void {
  if (emulated !== undefined) {
    console.log(`narrowed under emulation (${emulated}): ${what}`);
  }
}

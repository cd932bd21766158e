/**
 * Whether this deno runs on a CPU of another architecture under a user-mode
 * emulator (qemu-user through binfmt_misc, as `deno task test:arch` runs the
 * suite), and how a test that cannot work there skips itself there and only
 * there, printing why.
 *
 * The machine comes from the host's own `uname -m`, a native program that
 * the emulator does not answer for (Deno needs `--allow-all` to read
 * `/proc/cpuinfo` or `/sys` itself). Without `--allow-run`, the
 * `DENO_MEMFD_EMULATED` variable the task sets decides.
 * @module
 */

type Arch = typeof Deno.build.arch;

/** The architecture the kernel reports to a native program, if known. */
function cpuArch(): Arch | undefined {
  if (
    Deno.permissions.querySync({ name: "run", command: "uname" }).state !==
      "granted"
  ) {
    return undefined;
  }
  try {
    const out = new Deno.Command("uname", {
      args: ["-m"],
      stdin: "null",
      stderr: "null",
    })
      .outputSync();
    const machine = new TextDecoder().decode(out.stdout).trim();
    if (machine === "x86_64") return "x86_64";
    if (machine === "aarch64" || machine === "arm64") return "aarch64";
  } catch {
    // No uname on PATH: fall back to the variable.
  }
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

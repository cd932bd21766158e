/**
 * Running real peers (a child `deno`, `python3`) from tests.
 * @module
 */

/** What a finished child printed and how it ended. */
export interface Outcome {
  code: number;
  signal: Deno.Signal | null;
  stdout: string;
  stderr: string;
}

const decoder = new TextDecoder();

/** Runs `command args…` to completion, feeding it `stdin` when given. */
export async function run(
  command: string,
  args: string[],
  options: { stdin?: Uint8Array; env?: Record<string, string>; cwd?: string } =
    {},
): Promise<Outcome> {
  const child = new Deno.Command(command, {
    args,
    stdin: options.stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
    env: options.env,
    cwd: options.cwd,
  }).spawn();
  if (options.stdin) {
    const writer = child.stdin.getWriter();
    await writer.write(options.stdin);
    await writer.close();
  }
  const out = await child.output();
  return {
    code: out.code,
    signal: out.signal,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
  };
}

/** The repository root, as a path. */
export const ROOT = decodeURIComponent(
  new URL("../../", import.meta.url).pathname,
);

/** `mod.ts` as an absolute path, for scripts run by a child `deno`. */
export const MOD = `${ROOT}mod.ts`;

/**
 * Runs TypeScript `code` in a child `deno run` with `flags` (default: the
 * full FFI grant plus reads). `code` can import `MOD`.
 */
export function runDeno(
  code: string,
  flags: string[] = ["--allow-ffi", "--allow-read"],
  args: string[] = [],
): Promise<Outcome> {
  return run(Deno.execPath(), [
    "run",
    "--quiet",
    "--no-lock",
    ...flags,
    "-",
    ...args,
  ], { stdin: new TextEncoder().encode(code), cwd: ROOT });
}

/** Runs Python `code` with `args` (available as `sys.argv[1:]`). */
export function runPython(code: string, args: string[] = []): Promise<Outcome> {
  return run("python3", ["-c", code, ...args]);
}

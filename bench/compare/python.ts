/**
 * Python baselines: a script run in a fresh `python3` that times its own
 * loop and prints nanoseconds per operation.
 * @module
 */

/**
 * Runs `script` with `args` in a fresh `python3` and returns the number it
 * prints (ns per op); `what` names it in the error when it fails.
 */
export async function pythonNsPerOp(
  script: string,
  args: readonly (string | number)[],
  what: string,
): Promise<number> {
  const out = await new Deno.Command("python3", {
    args: ["-c", script, ...args.map(String)],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const ns = Number(new TextDecoder().decode(out.stdout).trim());
  if (!out.success || !Number.isFinite(ns)) {
    const err = new TextDecoder().decode(out.stderr);
    throw new Error(`python3 ${what} failed: ${err}`);
  }
  return ns;
}

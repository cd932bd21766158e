/**
 * Running real peers (a child `deno`, `python3`, coreutils) from tests.
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

/**
 * Runs `command args…` to completion, feeding it `stdin` (default: nothing).
 * stdin is always a pipe, never `/dev/null`, which Deno would open in this
 * process for a moment and `openFds()` could catch as a leak.
 */
export async function run(
  command: string,
  args: string[],
  options: { stdin?: Uint8Array; env?: Record<string, string>; cwd?: string } =
    {},
): Promise<Outcome> {
  const child = new Deno.Command(command, {
    args,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: options.env,
    cwd: options.cwd,
  }).spawn();
  const writer = child.stdin.getWriter();
  if (options.stdin) await writer.write(options.stdin);
  await writer.close();
  const out = await child.output();
  return {
    code: out.code,
    signal: out.signal,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
  };
}

/** Runs `command args…` and returns its stdout, failing on any other end. */
export async function runOk(command: string, args: string[]): Promise<string> {
  const out = await run(command, args);
  if (out.code !== 0) {
    throw new Error(
      `${command} ${args.join(" ")} exited ${out.code}: ${out.stderr}`,
    );
  }
  return out.stdout;
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

/**
 * A child that keeps running while the test talks to it line by line: it
 * prints a line when it reached a state (e.g. "mapped"), and exits when its
 * stdin closes.
 */
export interface Peer extends AsyncDisposable {
  readonly pid: number;
  /** The next line the child printed (without the newline). */
  readLine(): Promise<string>;
  /** Sends one line to the child's stdin. */
  send(line: string): Promise<void>;
  /** Closes the child's stdin and waits for it to exit. */
  finish(): Promise<Outcome>;
}

/** Starts `command args…` as a {@linkcode Peer}. */
export function spawnPeer(command: string, args: string[]): Peer {
  const child = new Deno.Command(command, {
    args,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // Drain stderr from the start so a chatty child can never block on it.
  const stderr = new Response(child.stderr).text();
  const stdout = child.stdout.getReader();
  const stdin = child.stdin.getWriter();
  let pending = "";
  let stdinOpen = true;
  let outcome: Promise<Outcome> | undefined;

  const readLine = async (): Promise<string> => {
    for (;;) {
      const newline = pending.indexOf("\n");
      if (newline >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        return line;
      }
      const { value, done } = await stdout.read();
      if (done) {
        throw new Error(
          `${command} ended before printing a line: ${await stderr}`,
        );
      }
      pending += decoder.decode(value, { stream: true });
    }
  };

  const finish = (): Promise<Outcome> => {
    outcome ??= (async () => {
      if (stdinOpen) {
        stdinOpen = false;
        await stdin.close().catch(() => {});
      }
      for (;;) {
        const { value, done } = await stdout.read();
        if (done) break;
        pending += decoder.decode(value, { stream: true });
      }
      const status = await child.status;
      return {
        code: status.code,
        signal: status.signal,
        stdout: pending,
        stderr: await stderr,
      };
    })();
    return outcome;
  };

  return {
    pid: child.pid,
    readLine,
    send: (line) => stdin.write(new TextEncoder().encode(line + "\n")),
    finish,
    async [Symbol.asyncDispose]() {
      if (outcome === undefined) {
        try {
          child.kill("SIGKILL");
        } catch {
          // Already gone.
        }
      }
      await finish();
    },
  };
}

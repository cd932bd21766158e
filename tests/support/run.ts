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

/** How to run a child process. */
export interface RunOptions {
  /** Variables added to (or, with `clearEnv`, making up) its environment. */
  env?: Record<string, string>;
  /** Start from an empty environment, so nothing of ours leaks in. */
  clearEnv?: boolean;
  cwd?: string;
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
  options: RunOptions & { stdin?: Uint8Array } = {},
): Promise<Outcome> {
  const child = new Deno.Command(command, {
    args,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: options.env,
    clearEnv: options.clearEnv,
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

/** The library `cargo build --release` makes, as an absolute path. */
export const LIB = `${ROOT}target/release/libdeno_memfd.so`;

/** `testing.ts` as an absolute path, for scripts run by a child `deno`. */
export const TESTING = `${ROOT}testing.ts`;

/** The native door (`dm_live_mappings`, …) for child scripts. */
export const FFI = `${ROOT}src/native.ts`;

/** What a child needs by default: the full FFI grant plus reads. */
export const DENO_FLAGS = ["--allow-ffi", "--allow-read"];

/**
 * `deno run` of `script` (a path, or `-` for a script on stdin) with
 * `flags`, as `[command, ...args]`.
 */
export function denoRun(
  script: string,
  flags: string[] = DENO_FLAGS,
): [string, ...string[]] {
  return [Deno.execPath(), "run", "--quiet", "--no-lock", ...flags, script];
}

/**
 * Runs TypeScript `code` in a child `deno run` with `flags` (default: the
 * full FFI grant plus reads). `code` can import `MOD`. `options.prefix`
 * goes before `deno`, e.g. `["prlimit", "--nofile=64", "--"]`.
 */
export function runDeno(
  code: string,
  flags: string[] = DENO_FLAGS,
  args: string[] = [],
  options: RunOptions & { prefix?: string[] } = {},
): Promise<Outcome> {
  const { prefix = [], ...rest } = options;
  const argv = [...prefix, ...denoRun("-", flags), ...args];
  return run(argv[0]!, argv.slice(1), { // denoRun gives a program
    stdin: new TextEncoder().encode(code),
    cwd: ROOT,
    ...rest,
    env: { NO_COLOR: "1", ...rest.env },
  });
}

/**
 * An environment with nothing of this process in it but what `deno` needs
 * to run (`PATH`, `HOME`, `DENO_DIR`), plus `extra`: for children whose
 * behaviour must not depend on who runs the tests (say a `DENO_MEMFD_LIB`
 * of their own).
 */
export function isolatedEnv(
  extra: Record<string, string> = {},
): RunOptions {
  const env: Record<string, string> = {};
  for (const name of ["PATH", "HOME", "DENO_DIR"]) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  return { clearEnv: true, env: { ...env, ...extra } };
}

/** Runs Python `code` with `args` (available as `sys.argv[1:]`). */
export function runPython(code: string, args: string[] = []): Promise<Outcome> {
  return run("python3", ["-c", code, ...args]);
}

/** {@linkcode spawnPeer} for TypeScript `code` in a child `deno run`. */
export function startDeno(
  code: string,
  flags: string[] = DENO_FLAGS,
  args: string[] = [],
): Peer {
  const [deno, ...argv] = denoRun("-", flags);
  return spawnPeer(deno, [...argv, ...args], {
    stdin: new TextEncoder().encode(code),
    cwd: ROOT,
  });
}

/** {@linkcode spawnPeer} for Python `code` with `args`. */
export function startPython(code: string, args: string[] = []): Peer {
  return spawnPeer("python3", ["-u", "-c", code, ...args]);
}

/**
 * What every fd open in this process points at (`"/memfd:name (deleted)"`,
 * `"socket:[123]"`, `"pipe:[456]"`, …), sorted. Listed by `find`, since
 * Deno demands --allow-all to read `/proc/self/fd`.
 */
export async function fdTargets(): Promise<string[]> {
  const out = await run("find", [
    `/proc/${Deno.pid}/fd`,
    "-mindepth",
    "1",
    "-printf",
    "%l\\n",
  ]);
  // An fd closed between listing and reading its link is just not open.
  const errors = out.stderr.split("\n")
    .filter((line) =>
      line !== "" && !line.endsWith("No such file or directory")
    );
  if (errors.length > 0) throw new Error(`find failed: ${out.stderr}`);
  return out.stdout.split("\n").filter((s) => s !== "").sort();
}

/** What running child processes (`find` itself) keeps open for a while. */
const CHILD_PLUMBING = /^(pipe:\[\d+\]|\/dev\/null|anon_inode:\[pidfd\])$/;

/**
 * {@linkcode fdTargets} without the pipes, `/dev/null`s and pidfds that
 * Deno opens for child processes (they come and go with each spawn, `find`
 * included), and with socket inode numbers dropped (a connection may be
 * replaced by another). Compare two calls to find a leak; check pipes by
 * inode.
 */
export async function openFds(): Promise<string[]> {
  return (await fdTargets()).filter((t) => !CHILD_PLUMBING.test(t))
    .map((t) => t.replace(/^socket:\[\d+\]$/, "socket"));
}

/** A fresh temporary directory for socket files, removed by `dispose`. */
export async function tempDir(): Promise<AsyncDisposable & { path: string }> {
  const path = await Deno.makeTempDir({ prefix: "memfd-" });
  return {
    path,
    async [Symbol.asyncDispose]() {
      await Deno.remove(path, { recursive: true });
    },
  };
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

/**
 * Starts `command args…` as a {@linkcode Peer}. With `options.stdin`, those
 * bytes are the child's whole stdin (e.g. a script for `deno run -`).
 */
export function spawnPeer(
  command: string,
  args: string[],
  options: { stdin?: Uint8Array; cwd?: string } = {},
): Peer {
  const child = new Deno.Command(command, {
    args,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    cwd: options.cwd,
  }).spawn();
  // Drain stderr from the start so a chatty child can never block on it.
  const stderr = new Response(child.stderr).text();
  const stdout = child.stdout.getReader();
  const stdin = child.stdin.getWriter();
  let pending = "";
  let stdinOpen = true;
  if (options.stdin) {
    stdinOpen = false;
    stdin.write(options.stdin).then(() => stdin.close()).catch(() => {});
  }
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

/**
 * Runs the script at `path` (relative to `ROOT`) in a child `deno run` with
 * `flags` and `args`. `prefix` goes before `deno`, e.g.
 * `["prlimit", "--nofile=64", "--"]` to run it under a resource limit.
 */
export function runDenoFile(
  path: string,
  flags: string[],
  args: string[] = [],
  options: { prefix?: string[]; env?: Record<string, string> } = {},
): Promise<Outcome> {
  const prefix = options.prefix ?? [];
  const argv = [...prefix, ...denoRun(path, flags), ...args];
  return run(argv[0]!, argv.slice(1), { cwd: ROOT, env: options.env }); // denoRun gives a program
}

function pythonSync(code: string, args: string[]): string {
  const out = new Deno.Command("python3", {
    args: ["-c", code, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  if (!out.success) {
    throw new Error(`python3 failed: ${decoder.decode(out.stderr)}`);
  }
  return decoder.decode(out.stdout);
}

/**
 * The fds process `pid` has open, each with its `/proc/<pid>/fd` link
 * target, read by a `python3` child (Deno 2 wants `--allow-all` for
 * `/proc/<pid>/fd`). Synchronous on purpose: while it runs no promise
 * continuation of this process can (a deferred close stays deferred).
 */
export function openFdsSync(pid: number): Map<number, string> {
  const links = JSON.parse(pythonSync(
    `import json, os, sys
d = f"/proc/{sys.argv[1]}/fd"
links = {}
for n in os.listdir(d):
    try:
        links[n] = os.readlink(f"{d}/{n}")
    except OSError:
        pass
print(json.dumps(links))`,
    [String(pid)],
  )) as Record<string, string>;
  return new Map(Object.entries(links).map(([n, l]) => [Number(n), l]));
}

/**
 * The start addresses of the mappings of `pid` whose file is a memfd
 * called `name`, from `/proc/<pid>/maps` (read by `python3`, synchronously
 * like {@linkcode openFdsSync}).
 */
export function memfdMappingsSync(pid: number, name: string): number[] {
  const lines = pythonSync(
    `import sys
for line in open(f"/proc/{sys.argv[1]}/maps"):
    if line.rstrip("\\n").endswith(f"/memfd:{sys.argv[2]} (deleted)"):
        print(int(line.split("-")[0], 16))`,
    [String(pid), name],
  );
  return lines.split("\n").filter(Boolean).map(Number);
}

/**
 * Whether this Deno scopes Unix sockets under `--allow-net=unix:<path>`
 * (2.9 does; 2.5 rejects such a flag and asks only for read and write).
 * Asked in a child with no permissions: with an unscoped `--allow-net`, as
 * the suite runs, the query answers "granted" whatever the host.
 */
export const NET_SCOPES_UNIX: boolean = await (async () => {
  // Not `deno eval`: it grants everything.
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--no-lock", "-"],
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(
    `try { Deno.permissions.querySync({ name: "net", host: "unix:/" });
      console.log("yes") } catch { console.log("no") }`,
  ));
  await writer.close();
  const out = await child.output();
  return new TextDecoder().decode(out.stdout).trim() === "yes";
})();

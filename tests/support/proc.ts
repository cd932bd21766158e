/**
 * What the kernel says about this process: open fds, mappings, fd flags,
 * huge page pools. Read through child processes because Deno demands
 * `--allow-all` before it reads anything under `/proc` or `/sys` itself, and
 * the suite runs with narrower flags.
 * @module
 */

import { runOk } from "./run.ts";

/** `O_CLOEXEC` as `/proc/<pid>/fdinfo` prints it in `flags:` (octal). */
export const O_CLOEXEC = 0o2000000;
export const O_ACCMODE = 0o3;
export const O_RDONLY = 0o0;
export const O_RDWR = 0o2;

/** Where Deno keeps its caches; it opens and closes them on its own. */
const DENO_DIR = Deno.env.get("DENO_DIR") ??
  `${Deno.env.get("XDG_CACHE_HOME") ?? `${Deno.env.get("HOME")}/.cache`}/deno`;

/**
 * This process's open fds and what each points at (the link target),
 * leaving out what comes and goes without the library: the anonymous pipes
 * and pidfd of the child that lists them, and Deno's own cache databases.
 */
export async function openFds(): Promise<Map<number, string>> {
  let out: string;
  // An fd closing while find walks the directory makes it exit 1: fine, it
  // was not open at the moment it looked. Its output goes to a file, not a
  // pipe: Deno before 2.3 also opens a socket pair for a piped child, new
  // ones each time, which would look like a changed set.
  const file = await Deno.makeTempFile({ prefix: "memfd-fds-" });
  try {
    await new Deno.Command("sh", {
      args: [
        "-c",
        'exec find "$1" -mindepth 1 -maxdepth 1 -printf "%f %l\\n" > "$2"',
        "sh",
        `/proc/${Deno.pid}/fd`,
        file,
      ],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).output();
    out = await Deno.readTextFile(file);
  } finally {
    await Deno.remove(file);
  }
  const fds = new Map<number, string>();
  for (const line of out.split("\n")) {
    if (line === "") continue;
    const space = line.indexOf(" ");
    const target = line.slice(space + 1);
    if (
      // An empty target: the fd closed between find's listing and readlink.
      target === "" ||
      target.startsWith("pipe:[") || target === "anon_inode:[pidfd]" ||
      // The lister's null stdio (the library never opens /dev/null).
      target === "/dev/null" ||
      target.startsWith(`${DENO_DIR}/`)
    ) {
      continue;
    }
    fds.set(Number(line.slice(0, space)), target);
  }
  return fds;
}

/** The fd this process has open on `path`, found by its link target. */
export async function fdOf(path: string): Promise<number> {
  for (const [fd, target] of await openFds()) {
    if (target === path) return fd;
  }
  throw new Error(`no fd open on ${path}`);
}

/** The lines of `/proc/<pid>/maps` that map the memfd called `name`. */
export async function mappingsOf(name: string): Promise<string[]> {
  const maps = await runOk("cat", [`/proc/${Deno.pid}/maps`]);
  return maps.split("\n").filter((line) =>
    line.endsWith(`/memfd:${name} (deleted)`)
  );
}

/** The open-file flags of `fd` (`flags:` in `/proc/<pid>/fdinfo/<fd>`). */
export async function fdFlags(fd: number): Promise<number> {
  const info = await runOk("cat", [`/proc/${Deno.pid}/fdinfo/${fd}`]);
  const match = info.match(/^flags:\s+([0-7]+)$/m);
  if (!match) throw new Error(`no flags in fdinfo of ${fd}: ${info}`);
  return parseInt(match[1]!, 8);
}

/** One huge page pool of the kernel (`/sys/kernel/mm/hugepages`). */
export interface HugePool {
  /** Pages nobody uses and nobody has reserved: what a new mapping gets. */
  available: number;
}

/** The kernel's huge page pools by page size in KiB. */
export async function hugePools(): Promise<Map<number, HugePool>> {
  const out = await runOk("sh", [
    "-c",
    `for d in /sys/kernel/mm/hugepages/hugepages-*kB; do
       [ -d "$d" ] || continue
       echo "\${d##*-} $(cat "$d/free_hugepages") $(cat "$d/resv_hugepages")"
     done`,
  ]);
  const pools = new Map<number, HugePool>();
  for (const line of out.split("\n")) {
    const match = line.match(/^(\d+)kB (\d+) (\d+)$/);
    if (!match) continue;
    pools.set(Number(match[1]), {
      available: Number(match[2]) - Number(match[3]),
    });
  }
  return pools;
}

/** The output of `stat -L --format=<format> <path>` (follows /proc links). */
export async function statL(path: string, format: string): Promise<string> {
  return (await runOk("stat", ["-L", `--format=${format}`, path])).trim();
}

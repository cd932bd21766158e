/**
 * Builds the native library before an example runs, saying so: a cold
 * build takes minutes, and a silent terminal looks like a hang. Up to date:
 * nothing is printed. Missing or older than its sources: a line saying
 * what is happening, then cargo's own progress.
 *
 * Usage: `deno run --allow-read=. --allow-run=cargo scripts/build.ts`
 * @module
 */

/** Where a build stands: none yet, older than its sources, or current. */
export type BuildState = "cold" | "stale" | "fresh";

const SOURCES = ["Cargo.toml", "Cargo.lock", "src_rs"];

function mtime(path: string): number {
  return Deno.statSync(path).mtime?.getTime() ?? 0;
}

function newestSource(path: string): number {
  const info = Deno.statSync(path);
  if (!info.isDirectory) return info.mtime?.getTime() ?? 0;
  let newest = 0;
  for (const entry of Deno.readDirSync(path)) {
    newest = Math.max(newest, newestSource(`${path}/${entry.name}`));
  }
  return newest;
}

/** The state of the release build of the crate at `root`. */
export function buildState(root: string): BuildState {
  let built: number;
  try {
    built = mtime(`${root}/target/release/libdeno_memfd.so`);
  } catch {
    return "cold";
  }
  const sources = Math.max(
    ...SOURCES.map((s) => {
      try {
        return newestSource(`${root}/${s}`);
      } catch {
        return 0;
      }
    }),
  );
  return sources > built ? "stale" : "fresh";
}

/** What to print before building, for each state. */
export const ANNOUNCEMENTS: Readonly<Record<BuildState, string | undefined>> = {
  cold:
    "building the native library (first run, a few minutes; cargo's progress follows)",
  stale: "rebuilding the native library (its sources changed)",
  fresh: undefined,
};

if (import.meta.main) {
  const root = new URL("..", import.meta.url).pathname;
  const state = buildState(root);
  const announcement = ANNOUNCEMENTS[state];
  if (announcement !== undefined) console.error(announcement);
  const { code } = await new Deno.Command("cargo", {
    args: ["build", "--release", ...(state === "fresh" ? ["--quiet"] : [])],
    cwd: root,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (code !== 0) Deno.exit(code);
}

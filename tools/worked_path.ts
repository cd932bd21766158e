/**
 * Follows CONTRIBUTING.md's worked example ("adding an export") in a
 * temporary copy of the repository: applies each of its worked blocks,
 * builds the release library, regenerates the bindings with `deno task
 * bindgen`, and runs what the example says must pass: the drift and
 * registry tests, the new JSDoc example, `deno lint` and `deno doc --lint`.
 * The checkout itself is never touched. `deno task check:contributing`.
 *
 * The copy starts from this checkout's files (committed or not) and a copy
 * of `target/release`, so the build only recompiles the crate itself.
 * @module
 */

import { applyBlock, markedBlocks } from "../tests/support/contributing.ts";

const root = new URL("../", import.meta.url).pathname;
const decoder = new TextDecoder();

async function run(cmd: string, args: string[], cwd: string): Promise<void> {
  console.log(`worked_path: ${cmd} ${args.join(" ")}`);
  const child = new Deno.Command(cmd, {
    args,
    cwd,
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  const status = await child.status;
  if (!status.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed (exit ${status.code})`);
  }
}

async function output(
  cmd: string,
  args: string[],
  cwd: string,
): Promise<string> {
  const out = await new Deno.Command(cmd, { args, cwd }).output();
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")} failed`);
  return decoder.decode(out.stdout);
}

const copy = await Deno.makeTempDir({ prefix: "worked_path_" });
try {
  // The checkout's files, tracked or new (not ignored ones: no target/).
  const files = (await output(
    "git",
    ["ls-files", "-z", "--cached", "--others", "--exclude-standard"],
    root,
  )).split("\0").filter((f) => f !== "");
  for (const file of files) {
    const from = `${root}${file}`;
    try {
      if (!Deno.statSync(from).isFile) continue;
    } catch {
      continue; // deleted in the checkout, not yet committed
    }
    const dir = file.includes("/") ? file.slice(0, file.lastIndexOf("/")) : "";
    await Deno.mkdir(`${copy}/${dir}`, { recursive: true });
    await Deno.copyFile(from, `${copy}/${file}`);
  }
  await Deno.mkdir(`${copy}/target`, { recursive: true });
  await run("cp", ["-a", `${root}target/release`, `${copy}/target/`], copy);

  const blocks = markedBlocks(
    await Deno.readTextFile(`${copy}/CONTRIBUTING.md`),
  );
  let applied = 0;
  for (const block of blocks) {
    if (block.kind !== "worked") continue;
    const path = `${copy}/${block.file}`;
    await Deno.writeTextFile(
      path,
      applyBlock(await Deno.readTextFile(path), block),
    );
    applied++;
  }
  console.log(`worked_path: applied ${applied} blocks in ${copy}`);

  const deno = Deno.execPath();
  await run("cargo", ["build", "--release", "--quiet"], copy);
  await run(deno, ["task", "bindgen"], copy);
  await run(deno, [
    "test",
    "--allow-ffi",
    "--allow-read",
    "--allow-write=/tmp,/proc",
    "--allow-run",
    "--allow-env",
    "--allow-net",
    "tests/ffi_sync_test.ts",
    "tests/native_ownership_test.ts",
  ], copy);
  // The new getter's JSDoc example runs, and the docs stay lint-clean.
  await run(deno, [
    "test",
    "--doc",
    "--allow-ffi",
    "--allow-read",
    "--allow-write=/tmp,/proc",
    "--allow-run",
    "--allow-env",
    "--allow-net",
    "src/memfd/memfd.ts",
  ], copy);
  await run(deno, ["lint", "src/", "tests/"], copy);
  await run(
    deno,
    ["doc", "--lint", "mod.ts", "testing.ts", "install.ts"],
    copy,
  );
  console.log(
    "worked_path: CONTRIBUTING.md's worked example builds and passes",
  );
} finally {
  await Deno.remove(copy, { recursive: true });
}

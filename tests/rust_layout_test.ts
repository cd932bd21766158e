/**
 * src_rs/ keeps the layout CONTRIBUTING.md describes: the FFI edge alone at
 * the root, every other module in a group (sys/, fd/, mm/, net/, process/) or in the
 * test-only testing/, `sys/` importing nothing outside itself, one test
 * layout (no `#[path]`), and errno read through the `ret` helpers of
 * `sys/errno.rs` rather than by hand.
 */
import { assertEquals } from "@std/assert";
import { ROOT } from "./support/run.ts";

/** Every `.rs` file under src_rs/, as paths below it, sorted. */
function rustFiles(dir = ""): string[] {
  const found: string[] = [];
  for (const entry of Deno.readDirSync(`${ROOT}src_rs/${dir}`)) {
    const path = `${dir}${entry.name}`;
    if (entry.isDirectory) found.push(...rustFiles(`${path}/`));
    else if (entry.name.endsWith(".rs")) found.push(path);
  }
  return found.sort();
}

const files = rustFiles();
const read = (file: string) => Deno.readTextFileSync(`${ROOT}src_rs/${file}`);
/** A file's code before its `#[cfg(test)]` module: what ships. */
const shipped = (file: string) => read(file).split("\n#[cfg(test)]\nmod ")[0]!;

Deno.test("src_rs/ holds the FFI edge at its root, the rest in groups", () => {
  assertEquals(files.length > 40, true, "the walk found the crate");
  assertEquals(files.filter((f) => !f.includes("/")), [
    "exports.rs",
    "js_number.rs",
    "lib.rs",
    "panic_barrier.rs",
  ]);
  const groups = new Set(
    files.filter((f) => f.includes("/")).map((f) => f.split("/")[0]),
  );
  assertEquals([...groups].sort(), [
    "exports",
    "fd",
    "mm",
    "net",
    "process",
    "sys",
    "testing",
  ]);
  // exports/ holds only the edge's tests; testing/ is compiled only for tests.
  assertEquals(
    files.filter((f) =>
      f.startsWith("exports/") && !f.startsWith("exports/tests")
    ),
    [],
  );
  assertEquals(read("lib.rs").includes("#[cfg(test)]\nmod testing;"), true);
});

Deno.test("sys/ imports nothing outside sys/", () => {
  const outside = files.filter((f) => f.startsWith("sys/")).flatMap((f) =>
    [...shipped(f).matchAll(/crate::(\w+)/g)]
      .filter((m) => m[1] !== "sys").map((m) => `${f}: crate::${m[1]}`)
  );
  assertEquals(outside, []);
});

Deno.test("one Rust test layout: no #[path], tests are a module's child", () => {
  assertEquals(files.filter((f) => read(f).includes("#[path")), []);
});

Deno.test("errno is read through the ret helpers, not by hand", () => {
  const byHand = files.filter((f) =>
    /return Err\((?:crate::sys::errno::)?Errno::last\(\)\)/.test(read(f))
  );
  assertEquals(
    byHand,
    [],
    "use ret, ret_size, ret_mapped or check (sys/errno.rs)",
  );
});

Deno.test("Rust tests hold fds as OwnedFd, not a home-made type", () => {
  assertEquals(
    files.filter((f) => /struct Fd\(|test_util::\{?[^}]*\bFd\b/.test(read(f))),
    [],
  );
});

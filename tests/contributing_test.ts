/**
 * CONTRIBUTING.md stays true: the code it shows as copied is in the file it
 * names, the worked example still applies (each anchor is where it says,
 * once, and the new code is not there yet), the paths it names exist, the
 * tasks it names are deno.json's, its Deno minimum is `MIN_DENO`, and its
 * map names every folder of src/ and src_rs/. `deno task
 * check:contributing` goes further and builds the worked example.
 */
import { assert, assertEquals } from "@std/assert";
import { ROOT } from "./support/run.ts";
import {
  anchorLines,
  applyBlock,
  containsCode,
  markedBlocks,
} from "./support/contributing.ts";
import { MIN_DENO } from "../src/loader/platform.ts";

const text = Deno.readTextFileSync(`${ROOT}CONTRIBUTING.md`);
const blocks = markedBlocks(text);
const read = (file: string) => Deno.readTextFileSync(`${ROOT}${file}`);

Deno.test("the worked example has its blocks: copied neighbours and new code", () => {
  // Guards the parser: a marker it cannot read would check nothing.
  const kinds = blocks.map((b) => b.kind);
  assertEquals(kinds.filter((k) => k === "copied").length >= 4, true);
  assertEquals(kinds.filter((k) => k === "worked").length >= 7, true);
  assertEquals(
    text.split("<!-- ").length - 1,
    blocks.length,
    "every marker is followed by a blank line and its code block",
  );
});

Deno.test("every block CONTRIBUTING.md shows as copied is in the file it names", () => {
  const stale = blocks.filter((b) =>
    b.kind === "copied" && !containsCode(read(b.file), b.code)
  ).map((b) => `${b.file}:\n${b.code}`);
  assertEquals(stale, [], "copy the code again from the file");
});

Deno.test("the worked example still applies: one anchor each, its code not there yet", () => {
  const files = new Map<string, string>();
  for (const b of blocks) {
    if (b.kind !== "worked") continue;
    const source = files.get(b.file) ?? read(b.file);
    assertEquals(
      anchorLines(source, b.anchor).length,
      1,
      `${b.file}: ${b.anchor}`,
    );
    assert(!containsCode(source, b.code), `${b.file} already has:\n${b.code}`);
    files.set(b.file, applyBlock(source, b));
  }
});

Deno.test("the paths CONTRIBUTING.md names exist", () => {
  const named = new Set(
    [...text.matchAll(
      /`((?:src|src_rs|tests|tools|scripts|docs|bench|examples)\/[\w./-]*)`/g,
    )]
      .map((m) => m[1]!),
  );
  assertEquals(named.size > 30, true, "the parser found the paths");
  const missing = [...named].filter((p) => {
    try {
      Deno.statSync(`${ROOT}${p}`);
      return false;
    } catch {
      return true;
    }
  });
  assertEquals(missing, []);
});

Deno.test("the deno tasks CONTRIBUTING.md names are deno.json's", () => {
  const tasks = Object.keys(JSON.parse(read("deno.json")).tasks);
  const named = [...text.matchAll(/deno task ([\w:-]+)/g)].map((m) => m[1]!);
  assertEquals(named.length > 5, true);
  assertEquals(named.filter((t) => !tasks.includes(t)), []);
});

Deno.test("CONTRIBUTING.md's minimum Deno is MIN_DENO", () => {
  assert(text.includes(`Deno ${MIN_DENO} or later`), `Deno ${MIN_DENO}`);
});

Deno.test("the map names every folder of src/ and src_rs/", () => {
  const folders = (dir: string): string[] =>
    [...Deno.readDirSync(`${ROOT}${dir}`)].filter((e) => e.isDirectory)
      .map((e) => `${dir}/${e.name}/`);
  const map = text.slice(
    text.indexOf("## Architecture"),
    text.indexOf("## Conventions"),
  );
  const top = [...folders("src"), ...folders("src_rs")];
  assertEquals(top.length > 10, true);
  assertEquals(top.filter((f) => !map.includes(f)), []);
});

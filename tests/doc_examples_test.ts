/**
 * Every JSDoc example in the library checks its result: `deno test --doc`
 * runs them, but an example that prints (`console.log(x); // 4`) passes
 * whatever it prints. Each example must call an `@std/assert` assertion
 * and print nothing.
 */

import { assertEquals } from "@std/assert";
import { ROOT } from "./support/run.ts";

/** The library's TypeScript files: what JSR renders the docs of. */
function libraryFiles(): string[] {
  const files = ["mod.ts", "testing.ts"];
  const walk = (dir: string) => {
    for (const entry of Deno.readDirSync(`${ROOT}${dir}`)) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) walk(path);
      else if (entry.name.endsWith(".ts")) files.push(path);
    }
  };
  walk("src");
  return files;
}

/** The code of each runnable example in a file's JSDoc, with its line. */
function examples(source: string): { line: number; code: string }[] {
  const found: { line: number; code: string }[] = [];
  const lines = source.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = lines[i]!.match(/^\s*\* ```(\w+)(.*)$/);
    // Both groups always match (the second maybe empty).
    if (!open || !["ts", "js", "tsx"].includes(open[1]!)) continue;
    if (open[2]!.includes("ignore")) continue;
    const start = i;
    const body: string[] = [];
    while (++i < lines.length && !/^\s*\* ```\s*$/.test(lines[i]!)) {
      body.push(lines[i]!.replace(/^\s*\* ?/, ""));
    }
    found.push({ line: start + 1, code: body.join("\n") });
  }
  return found;
}

Deno.test("every JSDoc example asserts its result and prints nothing", () => {
  const offenders: string[] = [];
  let count = 0;
  for (const file of libraryFiles()) {
    for (const { line, code } of examples(Deno.readTextFileSync(ROOT + file))) {
      count++;
      if (/console\.(log|info|error|warn)\(/.test(code)) {
        offenders.push(`${file}:${line} prints instead of asserting`);
      } else if (!/\bassert\w*\(/.test(code)) {
        offenders.push(`${file}:${line} asserts nothing`);
      }
    }
  }
  assertEquals(offenders, [], "use assertEquals and friends from @std/assert");
  // The scan must have found the examples, or it checks nothing.
  assertEquals(count > 50, true, `only ${count} examples found`);
});

Deno.test("every JSDoc code fence is an opening with a language or a bare close", () => {
  const malformed: string[] = [];
  for (const file of libraryFiles()) {
    const lines = Deno.readTextFileSync(ROOT + file).split("\n");
    lines.forEach((line, i) => {
      const fence = line.match(/^\s*\* ?(.*```.*)$/);
      if (fence && !/^```(\w+( \w+)*)?$/.test(fence[1]!.trimEnd())) {
        malformed.push(`${file}:${i + 1}: ${fence[1]}`);
      }
    });
  }
  assertEquals(malformed, []);
});

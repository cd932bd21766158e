/**
 * Library code (what a user's program imports: mod.ts, testing.ts,
 * install.ts, src/, ffi/) imports nothing from `node:` and nothing third
 * party, so it type-checks in any consumer's folder, including an npm-style
 * one with a `package.json` and no `deno.json` (where a `node:` import
 * fails with "Could not find a matching package for 'npm:@types/node'").
 */
import { assertEquals } from "@std/assert";
import { ROOT, run, tempDir } from "./support/run.ts";

const ENTRY_POINTS = ["mod.ts", "testing.ts", "install.ts"];

function libraryFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of Deno.readDirSync(`${ROOT}${dir}`)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) files.push(...libraryFiles(path));
    else if (entry.name.endsWith(".ts")) files.push(path);
  }
  return files;
}

Deno.test("library code imports only relative modules: no node:, npm:, jsr: or URLs", () => {
  const files = [
    ...ENTRY_POINTS,
    ...libraryFiles("src"),
    ...libraryFiles("ffi"),
  ];
  const outside: string[] = [];
  const specifier =
    /(?:import|export)[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]/g;
  for (const file of files) {
    // Doc examples in comments import @std/assert and the package itself.
    const source = Deno.readTextFileSync(`${ROOT}${file}`)
      .replace(/\/\*[\s\S]*?\*\//g, "");
    for (const match of source.matchAll(specifier)) {
      const target = match[1] ?? match[2] ?? "";
      if (!target.startsWith("./") && !target.startsWith("../")) {
        outside.push(`${file}: ${target}`);
      }
    }
  }
  assertEquals(outside, []);
  assertEquals(
    files.length > 30,
    true,
    `the library files were found: ${files.length}`,
  );
});

Deno.test("a consumer with a package.json and no deno.json type-checks every entry point", async () => {
  await using dir = await tempDir();
  Deno.writeTextFileSync(
    `${dir.path}/package.json`,
    JSON.stringify({ name: "consumer", private: true, type: "module" }),
  );
  const imports = ENTRY_POINTS.map((file, i) =>
    `import * as entry${i} from ${JSON.stringify(`${ROOT}${file}`)};`
  ).join("\n");
  Deno.writeTextFileSync(
    `${dir.path}/main.ts`,
    `${imports}\nconst ok: boolean = entry0.isSupported();\n` +
      `console.log(ok, Object.keys(entry1).length, Object.keys(entry2).length);\n`,
  );
  const out = await run(Deno.execPath(), ["check", "main.ts"], {
    cwd: dir.path,
  });
  assertEquals(out.code, 0, out.stderr);
});

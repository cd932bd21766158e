/**
 * deno.json's stricter compiler options are in force: `deno check` with the
 * project's config refuses an unchecked index, an override without
 * `override` and a switch case that falls through. `deno task check` holds
 * the code to them; this test keeps them from being dropped quietly, under
 * whichever Deno runs the suite (the oldest supported one included).
 */
import { assertEquals, assertStringIncludes } from "@std/assert";
import { ROOT, run, tempDir } from "./support/run.ts";

const PROBES: [option: string, code: string, error: string][] = [
  [
    "noUncheckedIndexedAccess",
    "const a: number[] = [1];\nexport const b: number = a[0];\n",
    "TS2322",
  ],
  [
    "noImplicitOverride",
    "class A {\n  f() {}\n}\nexport class B extends A {\n  f() {}\n}\n",
    "TS4114",
  ],
  [
    "noFallthroughCasesInSwitch",
    "export function g(x: number): number {\n  switch (x) {\n" +
    "    case 1:\n      console.log(1);\n    case 2:\n      return 2;\n  }\n" +
    "  return 0;\n}\n",
    "TS7029",
  ],
];

Deno.test("deno.json turns on the stricter compiler options", () => {
  const config = JSON.parse(Deno.readTextFileSync(`${ROOT}deno.json`));
  for (const [option] of PROBES) {
    assertEquals(config.compilerOptions?.[option], true, option);
  }
});

Deno.test("deno check with the project's config refuses what each option forbids", async () => {
  await using dir = await tempDir();
  const files = PROBES.map(([option, code]) => {
    const file = `${dir.path}/${option}.ts`;
    Deno.writeTextFileSync(file, code);
    return file;
  });
  const out = await run(Deno.execPath(), [
    "check",
    "--quiet",
    "--no-lock",
    `--config=${ROOT}deno.json`,
    ...files,
  ], { env: { NO_COLOR: "1" } });
  const said = out.stdout + out.stderr;
  assertEquals(out.code, 1, said);
  for (const [option, , error] of PROBES) {
    assertStringIncludes(said, error, `${option} is not in force`);
  }
});

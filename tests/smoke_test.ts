import { test } from "./support/leak_checked.ts";
import { assertEquals } from "@std/assert";
import { Memfd } from "../mod.ts";
import { MOD, runDeno } from "./support/run.ts";

test("a child deno reads what this process wrote, by path", async () => {
  using fd = Memfd.create("smoke", { size: 5 });
  fd.write(new TextEncoder().encode("hello"));
  const out = await runDeno(
    `
    import { Memfd } from "${MOD}";
    using fd = Memfd.open(Deno.args[0]);
    const bytes = new Uint8Array(fd.size);
    fd.read(bytes);
    console.log(new TextDecoder().decode(bytes));
  `,
    undefined,
    [fd.path],
  );
  assertEquals(out.stderr, "");
  assertEquals(out.stdout.trim(), "hello");
});

/**
 * The library's import graph (mod.ts, testing.ts, install.ts and every file
 * under src/) as Deno's own module graph reports it (`deno info --json`),
 * type-only imports included: it has no cycle, and each folder of src/ only
 * imports its own layer and the layers below it (`LAYERS`, drawn in
 * CONTRIBUTING.md, "Architecture"). `IMPORT_GRAPH_PRINT=1` prints the graph.
 */
import { assertEquals } from "@std/assert";
import { ROOT } from "./support/run.ts";

/** An import from one library file of another, as repository paths. */
interface Edge {
  from: string;
  to: string;
  typeOnly: boolean;
}

/** Every `.ts` file under `dir` (a repository path), sorted. */
function tsFiles(dir: string): string[] {
  const found: string[] = [];
  for (const entry of Deno.readDirSync(`${ROOT}${dir}`)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) found.push(...tsFiles(path));
    else if (entry.name.endsWith(".ts")) found.push(path);
  }
  return found.sort();
}

const LIBRARY = ["mod.ts", "testing.ts", "install.ts", ...tsFiles("src")];

interface InfoDependency {
  code?: { specifier?: string };
  type?: { specifier?: string };
}
interface InfoModule {
  specifier: string;
  dependencies?: InfoDependency[];
}

/** The edges between library files, from one `deno info --json` run. */
async function libraryEdges(): Promise<Edge[]> {
  const dir = await Deno.makeTempDir({ prefix: "import_graph_" });
  try {
    // One module that imports every library file, so one graph holds them.
    const all = `${dir}/all.ts`;
    await Deno.writeTextFile(
      all,
      LIBRARY.map((f) => `import "file://${ROOT}${f}";\n`).join(""),
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", "--config", `${ROOT}deno.json`, all],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assertEquals(out.success, true, `deno info failed: ${stderr}`);
    const graph = JSON.parse(new TextDecoder().decode(out.stdout)) as {
      modules: InfoModule[];
    };
    const local = (specifier: string | undefined) =>
      specifier?.startsWith(`file://${ROOT}`)
        ? decodeURIComponent(specifier.slice(`file://${ROOT}`.length))
        : undefined;
    const edges: Edge[] = [];
    for (const module of graph.modules) {
      const from = local(module.specifier);
      if (from === undefined || !LIBRARY.includes(from)) continue;
      for (const dep of module.dependencies ?? []) {
        const code = local(dep.code?.specifier);
        const to = code ?? local(dep.type?.specifier);
        if (to === undefined) continue;
        edges.push({ from, to, typeOnly: code === undefined });
      }
    }
    return edges;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The cycles of the graph: its strongly connected components (Tarjan) of
 * more than one file, or one file that imports itself. */
function cycles(nodes: string[], edges: Edge[]): string[][] {
  const next = new Map(nodes.map((n) => [n, [] as string[]]));
  for (const e of edges) if (next.has(e.to)) next.get(e.from)?.push(e.to);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (n: string) => {
    index.set(n, index.size);
    low.set(n, index.get(n)!);
    stack.push(n);
    for (const m of next.get(n) ?? []) {
      if (!index.has(m)) {
        visit(m);
        low.set(n, Math.min(low.get(n)!, low.get(m)!));
      } else if (stack.includes(m)) {
        low.set(n, Math.min(low.get(n)!, index.get(m)!));
      }
    }
    if (low.get(n) === index.get(n)) {
      const component: string[] = [];
      let m: string;
      do {
        m = stack.pop()!;
        component.push(m);
      } while (m !== n);
      if (component.length > 1 || next.get(n)!.includes(n)) {
        found.push(component.sort());
      }
    }
  };
  for (const n of nodes) if (!index.has(n)) visit(n);
  return found;
}

/** The graph, one line per file: `from -> to, to (type) …`. */
function summary(edges: Edge[]): string {
  return LIBRARY.map((f) => {
    const out = edges.filter((e) => e.from === f)
      .map((e) => e.typeOnly ? `${e.to} (type)` : e.to);
    return `${f} -> ${out.length === 0 ? "(nothing)" : out.join(", ")}`;
  }).join("\n");
}

/**
 * The layers of src/, lowest first. A file may import files of its own
 * layer and of the layers below it, never above: `native.ts` is the door to
 * the library, `errors/` and `input/` sit on it, the objects on them.
 */
const LAYERS: readonly (readonly string[])[] = [
  ["src/native.ts"],
  ["src/errors/", "src/input/", "src/leaks/"],
  ["src/permissions/", "src/loader/"],
  ["src/socket/", "src/mapping/"],
  ["src/memfd/"],
  ["src/sharing/", "src/ring/"],
  ["src/testing/"],
  ["mod.ts", "testing.ts", "install.ts"],
];

function layerOf(file: string): number {
  if (file.startsWith("ffi/")) return -1; // below everything: the bindings
  const layer = LAYERS.findIndex((l) => l.some((p) => file.startsWith(p)));
  if (layer < 0) throw new Error(`${file} is in no layer of LAYERS`);
  return layer;
}

const edges = await libraryEdges();

Deno.test("the graph is Deno's: every library file is in it, imports seen", () => {
  const from = new Set(edges.map((e) => e.from));
  // A parse of nothing would find no cycle: check the graph is real.
  assertEquals(from.has("mod.ts") && from.has("src/memfd/memfd.ts"), true);
  assertEquals(
    edges.some((e) => e.typeOnly),
    true,
    "type-only imports are edges too",
  );
  assertEquals(LIBRARY.length > 40, true, `only ${LIBRARY.length} files`);
});

Deno.test("library code has no import cycle, type-only imports included", () => {
  const found = cycles(LIBRARY, edges);
  assertEquals(
    found,
    [],
    `import cycles:\n${found.map((c) => `  ${c.join(" <-> ")}`).join("\n")}` +
      `\n\nthe graph (${LIBRARY.length} files, ${edges.length} imports, ` +
      `${edges.filter((e) => e.typeOnly).length} type-only):\n${
        summary(edges)
      }`,
  );
});

Deno.test("each layer of src/ imports only its own and the layers below", () => {
  for (const file of LIBRARY) layerOf(file); // a new folder needs a layer
  const upward = edges.filter((e) => layerOf(e.to) > layerOf(e.from))
    .map((e) => `${e.from} -> ${e.to}${e.typeOnly ? " (type)" : ""}`);
  assertEquals(upward, [], `imports that go up a layer:\n${upward.join("\n")}`);
});

if (Deno.env.get("IMPORT_GRAPH_PRINT") === "1") console.log(summary(edges));

Deno.test("only src/native.ts imports ffi/, and the entry points only src/", () => {
  const ffi = edges.filter((e) => e.to.startsWith("ffi/")).map((e) => e.from);
  assertEquals([...new Set(ffi)], ["src/native.ts"]);
  const around = edges.filter((e) =>
    !e.from.startsWith("src/") &&
    (e.to === "src/native.ts" || !e.to.startsWith("src/"))
  ).map((e) => `${e.from} -> ${e.to}`);
  assertEquals(around, [], "mod.ts, testing.ts and install.ts re-export src/");
});

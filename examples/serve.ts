/**
 * Serves this checkout over HTTP, the way a web host or JSR would, so that
 * a URL import (and `install.ts`) can be tried locally:
 *
 *   deno task release   # builds and pins dist/libdeno_memfd-<target>.so
 *   deno run --allow-net=127.0.0.1 --allow-read=. examples/serve.ts 8000
 *
 * Deno decides a module's language from its `content-type`; a generic file
 * server (`python3 -m http.server`) sends `.ts` as
 * `text/vnd.trolltech.linguist`, which Deno refuses ("identified a Unknown
 * module"). This one sends TypeScript as `application/typescript`.
 * @module
 */

const TYPES: Readonly<Record<string, string>> = {
  ts: "application/typescript; charset=utf-8",
  json: "application/json",
  md: "text/markdown; charset=utf-8",
  so: "application/octet-stream",
};

const port = Number(Deno.args[0] ?? 8000);
const root = new URL("../", import.meta.url);

Deno.serve({ hostname: "127.0.0.1", port }, async (request) => {
  const path = decodeURIComponent(new URL(request.url).pathname);
  const type = TYPES[path.slice(path.lastIndexOf(".") + 1)];
  if (type === undefined || path.includes("..")) {
    return new Response("not found", { status: 404 });
  }
  try {
    const body = await Deno.readFile(new URL(`.${path}`, root));
    return new Response(body, { headers: { "content-type": type } });
  } catch {
    return new Response("not found", { status: 404 });
  }
});

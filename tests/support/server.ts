/**
 * A static file server on a loopback address, standing in for the web
 * server (or JSR) a user imports deno_memfd from.
 * @module
 */

import { ROOT } from "./run.ts";

/** What the server is allowed to hand out: what a package would carry. */
const SERVED =
  /^\/(mod\.ts|install\.ts|deno\.json|(src|ffi)\/[\w/.-]+\.ts|dist\/[\w.-]+\.so)$/;

const TYPES: Readonly<Record<string, string>> = {
  ts: "application/typescript",
  json: "application/json",
  so: "application/octet-stream",
};

/** Changes a file on its way out; `undefined` serves it unchanged. */
export type Tamper = (
  path: string,
  bytes: Uint8Array<ArrayBuffer>,
) => Uint8Array<ArrayBuffer> | undefined;

/** A running server; `await using` stops it. */
export interface RepoServer extends AsyncDisposable {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  origin: string;
  /** `127.0.0.1:<port>`, as permission flags spell it. */
  host: string;
  /** Paths requested so far, in order. */
  requests: string[];
  close(): Promise<void>;
}

/** Serves the repository (sources and `dist/`) on 127.0.0.1. */
export function serveRepo(tamper?: Tamper): RepoServer {
  const requests: string[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      const path = decodeURIComponent(new URL(request.url).pathname);
      requests.push(path);
      if (!SERVED.test(path) || path.includes("..")) {
        return new Response("not found", { status: 404 });
      }
      let bytes: Uint8Array<ArrayBuffer>;
      try {
        bytes = await Deno.readFile(`${ROOT}${path.slice(1)}`);
      } catch {
        return new Response("not found", { status: 404 });
      }
      const body = tamper?.(path, bytes) ?? bytes;
      // SERVED admits only the extensions TYPES names.
      const type = TYPES[path.slice(path.lastIndexOf(".") + 1)]!;
      return new Response(body, { headers: { "content-type": type } });
    },
  );
  const host = `127.0.0.1:${server.addr.port}`;
  const close = () => server.shutdown();
  return {
    origin: `http://${host}`,
    host,
    requests,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** A loopback port nothing listens on (closed right after it was bound). */
export function deadPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

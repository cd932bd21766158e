/**
 * Web Streams over a memfd and Memfd.from: through fetch against a local
 * Deno.serve server (both directions), Response, CompressionStream, BYOB
 * readers, seals, and close() while a stream runs.
 */
import { test } from "./support/leak_checked.ts";
import {
  assert,
  assertEquals,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import { Memfd, MemfdError, SEALED } from "../mod.ts";
import { kernel } from "./support/kernel.ts";

/** 1 MiB + 3 bytes of a pattern no run of zeros or chunking hides. */
function pattern(length = (1 << 20) + 3): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(length);
  let x = 0x9e3779b9;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x;
  }
  return bytes;
}

function contents(fd: Memfd): Uint8Array {
  const out = new Uint8Array(fd.size);
  fd.read(out);
  return out;
}

/** A server on 127.0.0.1 answering every request with `handler`. */
function serve(handler: (request: Request) => Response | Promise<Response>) {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    handler,
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}/`,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

test("fetch body pipeTo memfd.writable stores every byte", async () => {
  const data = pattern();
  await using server = serve(() => new Response(data));
  using fd = Memfd.create("download");
  const response = await fetch(server.url);
  await response.body!.pipeTo(fd.writable);
  assertEquals(contents(fd), data);
});

test("a server answers with memfd.readable; fetch receives the file", async () => {
  const data = pattern();
  using fd = Memfd.create("page");
  fd.write(data);
  await using server = serve(() => new Response(fd.readable));
  const received = await (await fetch(server.url)).bytes();
  assertEquals(received, data);
});

test("memfd.readable as an upload body reaches the server intact", async () => {
  const data = pattern();
  using fd = Memfd.create("upload");
  fd.write(data);
  let seen = new Uint8Array();
  await using server = serve(async (request) => {
    seen = await request.bytes();
    return new Response("ok");
  });
  const response = await fetch(server.url, {
    method: "POST",
    body: fd.readable,
  });
  assertEquals(await response.text(), "ok");
  assertEquals(seen, data);
});

test("pipeThrough CompressionStream and back reproduces the memfd", async () => {
  const data = pattern(300_000);
  using source = Memfd.create("plain");
  source.write(data);
  using gz = Memfd.create("gz");
  await source.readable
    .pipeThrough(new CompressionStream("gzip"))
    .pipeTo(gz.writable);
  assert(gz.size > 0 && gz.size !== data.length);
  // The gzip file is a real one: the gunzip in Deno reads it back.
  using back = Memfd.create("back");
  await gz.readable
    .pipeThrough(new DecompressionStream("gzip"))
    .pipeTo(back.writable);
  assertEquals(contents(back), data);
});

test("Response reads a memfd from a position to end of file", async () => {
  using fd = Memfd.create("text");
  fd.write(new TextEncoder().encode("hello, world"));
  const stream = fd.readableStream({ position: 7 });
  assertEquals(await new Response(stream).text(), "world");
  assertEquals(
    await new Response(fd.readableStream({ position: 99 })).text(),
    "",
  );
  using empty = Memfd.create("empty");
  assertEquals((await new Response(empty.readable).bytes()).length, 0);
});

test("a BYOB reader gets exactly what fits its buffer, then done", async () => {
  using fd = Memfd.create("byob");
  fd.write(new Uint8Array([1, 2, 3, 4, 5]));
  const reader = fd.readable.getReader({ mode: "byob" });
  let result = await reader.read(new Uint8Array(3));
  assertEquals(result.value, new Uint8Array([1, 2, 3]));
  result = await reader.read(new Uint8Array(3));
  assertEquals(result.value, new Uint8Array([4, 5]));
  result = await reader.read(new Uint8Array(3));
  assert(result.done);
});

test("chunkSize bounds the chunks a default reader gets", async () => {
  using fd = Memfd.create("chunks");
  fd.write(new Uint8Array(10_000));
  const sizes: number[] = [];
  for await (const chunk of fd.readableStream({ chunkSize: 4096 })) {
    sizes.push(chunk.length);
  }
  assertEquals(sizes, [4096, 4096, 1808]);
});

test("writableStream from a position, or appending, leaves the rest", async () => {
  using fd = Memfd.create("patch");
  fd.write(new TextEncoder().encode("hello world"));
  await ReadableStream.from([new TextEncoder().encode("W")])
    .pipeTo(fd.writableStream({ position: 6 }));
  await ReadableStream.from([new TextEncoder().encode("!")])
    .pipeTo(fd.writableStream({ append: true }));
  assertEquals(new TextDecoder().decode(contents(fd)), "hello World!");
});

test("a write-sealed memfd errors its writable stream with EPERM", async () => {
  using fd = Memfd.create("sealed", { size: 4 });
  fd.seal("write");
  const error = await assertRejects(
    () => new Response("data").body!.pipeTo(fd.writable),
    MemfdError,
  );
  assertEquals(error.code, "EPERM");
});

test("a grow seal stops a writable stream part way with EPERM", async () => {
  using fd = Memfd.create("bounded", { size: 8192 });
  fd.seal("grow");
  const chunk = ReadableStream.from([new Uint8Array(8).fill(9)]);
  const error = await assertRejects(
    () => chunk.pipeTo(fd.writableStream({ position: 8188 })),
    MemfdError,
  );
  assertEquals(error.code, "EPERM");
  // The 4 bytes before the end went in; the rest would have grown the file.
  assertEquals(
    contents(fd).subarray(8184),
    new Uint8Array([0, 0, 0, 0, 9, 9, 9, 9]),
  );
});

test("close() during a stream: a prefix of the file, then EBADF", async () => {
  const data = pattern(1 << 20);
  const fd = Memfd.create("closing");
  fd.write(data);
  const reader = fd.readableStream({ chunkSize: 1 << 18 }).getReader();
  assertEquals((await reader.read()).value, data.subarray(0, 1 << 18));
  // The next read's readAsync may or may not have started when close()
  // comes: started, it completes with the right bytes (as readAsync does);
  // not started, it is EBADF. Either way: a true prefix, then EBADF.
  const next = reader.read();
  fd.close();
  const received = [data.subarray(0, 1 << 18)];
  let error: unknown;
  try {
    let result = await next;
    while (!result.done) {
      received.push(result.value);
      result = await reader.read();
    }
  } catch (e) {
    error = e;
  }
  assertEquals((error as MemfdError).code, "EBADF", `${error}`);
  const prefix = new Uint8Array(await new Blob(received).arrayBuffer());
  assert(prefix.length <= 1 << 19, "at most the read in flight completes");
  assertEquals(prefix, data.subarray(0, prefix.length));
});

test("streams of a closed memfd throw EBADF at once", () => {
  const fd = Memfd.create("closed");
  fd.close();
  assertEquals(assertThrows(() => fd.readable, MemfdError).code, "EBADF");
  assertEquals(assertThrows(() => fd.writable, MemfdError).code, "EBADF");
});

test("a chunk that is not a Uint8Array errors the writable stream", async () => {
  using fd = Memfd.create("typed");
  const writer = fd.writable.getWriter();
  await assertRejects(
    () => writer.write("text" as unknown as Uint8Array),
    TypeError,
    "Memfd.writableStream: chunks must be Uint8Array, got",
  );
});

test("stream options are strict", () => {
  using fd = Memfd.create("strict");
  assertThrows(
    () => fd.readableStream({ offset: 1 } as never),
    TypeError,
    "did you mean 'position'?",
  );
  assertThrows(
    () => fd.writableStream({ position: 1, append: true }),
    TypeError,
    "not both",
  );
});

test("Memfd.from a fetch body with seal: true hands off a final file", async () => {
  const data = pattern();
  await using server = serve(() => new Response(data));
  using fd = await Memfd.from((await fetch(server.url)).body!, {
    name: "fetched",
    seal: true,
  });
  assertEquals(fd.name, "fetched");
  assertEquals(contents(fd), data);
  fd.requireSeals(...SEALED);
  assertEquals(
    assertThrows(() => fd.write(new Uint8Array(1)), MemfdError).code,
    "EPERM",
  );
  // Sealed against new seals; a kernel before 5.1 does not know this one.
  assertEquals(
    assertThrows(() => fd.seal("future-write"), MemfdError).code,
    kernel.futureWrite ? "EPERM" : "EINVAL",
  );
});

test("Memfd.from bytes, a Blob and an async iterable", async () => {
  using a = await Memfd.from(new Uint8Array([1, 2, 3]));
  assertEquals([a.name, a.seals.size === 0 || !a.seals.has("write")], [
    "memfd",
    true,
  ]);
  assertEquals(contents(a), new Uint8Array([1, 2, 3]));
  using b = await Memfd.from(new Blob(["hello"]), { seal: ["grow"] });
  assertEquals(new TextDecoder().decode(contents(b)), "hello");
  assert(b.seals.has("grow") && !b.seals.has("write"));
  async function* chunks() {
    yield new Uint8Array([4]);
    yield new Uint8Array([5, 6]);
  }
  using c = await Memfd.from(chunks());
  assertEquals(contents(c), new Uint8Array([4, 5, 6]));
});

test("Memfd.from closes the memfd when the source fails", async () => {
  // The leak check around this test fails if the memfd stayed open.
  const source = new ReadableStream<Uint8Array>({
    pull(controller) {
      controller.enqueue(new Uint8Array(10));
      controller.error(new Error("source broke"));
    },
  });
  await assertRejects(() => Memfd.from(source), Error, "source broke");
});

test("Memfd.from refuses what it cannot copy, naming the fix", async () => {
  const error = await assertRejects(
    () => Memfd.from(new ArrayBuffer(4) as never),
    TypeError,
  );
  assertStringIncludes(error.message, "new Uint8Array(buffer)");
  await assertRejects(
    () => Memfd.from(new Uint8Array(1), { seal: ["bogus" as never] }),
    TypeError,
    "unknown seal",
  );
  await assertRejects(
    () => Memfd.from(new Uint8Array(1), { sealed: true } as never),
    TypeError,
    "did you mean 'seal'?",
  );
});

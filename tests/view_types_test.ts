/**
 * The views the API hands out are `Uint8Array<ArrayBuffer>`: this file only
 * type-checks if everyday uses of them compile (`deno test` and
 * `deno task check` run `deno check` on it), and the runtime half shows
 * each use gives the bytes that are in the memfd.
 */
import { test } from "./support/leak_checked.ts";
import { assertEquals } from "@std/assert";
import { type Bytes, Memfd, RingBuffer } from "../mod.ts";

const hex = (digest: ArrayBuffer) =>
  Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0"))
    .join("");

test("map.bytes goes to Blob, crypto.subtle, Response and TextDecoder", async () => {
  using fd = Memfd.create("typed", { size: 5 });
  fd.write(new TextEncoder().encode("hello"));
  using map = fd.map();
  const view: Uint8Array<ArrayBuffer> = map.bytes;
  assertEquals(await new Blob([view]).text(), "hello");
  assertEquals(await new Response(map.bytes).text(), "hello");
  assertEquals(new TextDecoder().decode(map.bytes), "hello");
  assertEquals(
    hex(await crypto.subtle.digest("SHA-256", map.bytes)),
    "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
  );
});

test("ring views go to Blob, crypto.subtle, Response and TextDecoder", async () => {
  using ring = RingBuffer.create(4096);
  const space: Bytes = ring.writable();
  const { written } = new TextEncoder().encodeInto("hello", space);
  ring.commit(written);
  const pending: Uint8Array<ArrayBuffer> = ring.readable();
  assertEquals(await new Blob([pending]).text(), "hello");
  assertEquals(await new Response(ring.readable()).text(), "hello");
  assertEquals(new TextDecoder().decode(ring.readable()), "hello");
  assertEquals(
    hex(await crypto.subtle.digest("SHA-256", ring.readable())),
    "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
  );
});

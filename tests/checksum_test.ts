/**
 * The loader's synchronous SHA-256 agrees with WebCrypto's on every length
 * around the padding boundaries and on a library-sized input.
 */
import { assertEquals } from "@std/assert";
import { sha256Hex } from "../src/loader/checksum.ts";

async function webCrypto(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("sha256Hex matches WebCrypto for lengths 0 to 200 and 1 MiB + 3", async () => {
  const random = crypto.getRandomValues(new Uint8Array(65536));
  const big = new Uint8Array((1 << 20) + 3);
  for (let at = 0; at < big.length; at += random.length) {
    big.set(random.subarray(0, Math.min(random.length, big.length - at)), at);
  }
  for (let length = 0; length <= 200; length++) {
    const bytes = random.slice(0, length);
    assertEquals(sha256Hex(bytes), await webCrypto(bytes), `length ${length}`);
  }
  assertEquals(sha256Hex(big), await webCrypto(big));
  // A view into a larger buffer hashes only its own bytes.
  assertEquals(
    sha256Hex(big.subarray(7, 107)),
    await webCrypto(big.slice(7, 107)),
  );
});

Deno.test("sha256Hex of the empty input and of 'abc' are the FIPS 180-4 values", () => {
  assertEquals(
    sha256Hex(new Uint8Array()),
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  );
  assertEquals(
    sha256Hex(new TextEncoder().encode("abc")),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
});

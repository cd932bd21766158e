/**
 * The native library acts only on fds it owns: every export that takes an
 * fd, called through the generated declarations in `ffi/` (as any script
 * allowed `--allow-ffi=LIB` could call them) with an fd Deno itself opened
 * on a regular file, is refused, and the file's bytes, its size and the fd
 * itself (offset, flags, target) are unchanged.
 */
import { assertEquals } from "@std/assert";
import * as native from "../src/native.ts";
import { ensureLoaded } from "../src/loader/library.ts";
import { Errno } from "../src/errors/errno.ts";
import { fdOf } from "./support/proc.ts";
import { runOk } from "./support/run.ts";
import { ROOT } from "./support/run.ts";

/** Every `#[deno_bindgen]` export's parameters that are fds. */
function fdParameters(source: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const pattern = /#\[deno_bindgen(?:\([^)]*\))?\]\s*fn\s+(\w+)\(([^)]*)\)/g;
  for (const [, name, params] of source.matchAll(pattern)) {
    // Both groups always match; split gives one part at least.
    const fds = params!.split(",").map((p) => p.trim().split(":")[0]!.trim())
      .filter((p) => p === "fd" || p.endsWith("_fd") || p === "memfd");
    if (fds.length > 0) found.set(name!, fds);
  }
  return found;
}

/** What the kernel says about `fd` of this process (`fdinfo` and target). */
async function fdState(fd: number): Promise<string> {
  const info = await runOk("cat", [`/proc/${Deno.pid}/fdinfo/${fd}`]);
  const target = await runOk("readlink", [`/proc/${Deno.pid}/fd/${fd}`]);
  return `${target}\n${info}`;
}

type Call = (fd: number) => number | bigint | Promise<number | bigint>;

Deno.test("every fd export refuses an fd Deno opened, and changes nothing", async () => {
  ensureLoaded();
  const dir = Deno.makeTempDirSync();
  const path = `${dir}/precious.bin`;
  const content = new TextEncoder().encode("precious bytes, do not touch");
  Deno.writeFileSync(path, content);
  const file = Deno.openSync(path, { read: true, write: true });
  try {
    const fd = await fdOf(path);
    const before = await fdState(fd);
    const buffer = new Uint8Array(8);
    const out = new Uint8Array(64);
    const socket = new TextEncoder().encode(`${dir}/nobody.sock`);
    const EBADF = -Errno.EBADF;
    // Each call and the answer it must give: an fd of Deno's is never ours.
    const wake = native.dm_wake_fd();
    const refused: Record<string, [Call, number]> = {
      dm_name: [(fd) => native.dm_name(fd, out), EBADF],
      dm_size: [(fd) => native.dm_size(fd), EBADF],
      dm_resize: [(fd) => native.dm_resize(fd, 0), EBADF],
      dm_dup: [(fd) => native.dm_dup(fd, 1), EBADF],
      dm_close: [(fd) => native.dm_close(fd), EBADF],
      dm_cloexec: [(fd) => native.dm_cloexec(fd), EBADF],
      dm_pwrite: [(fd) => native.dm_pwrite(fd, buffer, 0), EBADF],
      dm_pread: [(fd) => native.dm_pread(fd, buffer, 0), EBADF],
      dm_pwrite_async: [(fd) => native.dm_pwrite_async(fd, buffer, 0), EBADF],
      dm_pread_async: [(fd) => native.dm_pread_async(fd, buffer, 0), EBADF],
      dm_add_seals: [(fd) => native.dm_add_seals(fd, 1), EBADF],
      dm_get_seals: [(fd) => native.dm_get_seals(fd), EBADF],
      dm_map: [(fd) => native.dm_map(fd, 0, 8, 0), EBADF],
      dm_map_rest: [(fd) => native.dm_map_rest(fd, 0, 0), EBADF],
      dm_map_ring: [(fd) => native.dm_map_ring(fd, 0, 4096), EBADF],
      dm_file_truncated: [(fd) => native.dm_file_truncated(fd), EBADF],
      dm_unlink_socket: [(fd) => native.dm_unlink_socket(fd), EBADF],
      dm_wake: [(fd) => native.dm_wake(fd), EBADF],
      dm_accept: [(fd) => native.dm_accept(fd, wake), EBADF],
      dm_receive: [(fd) => native.dm_receive(fd, wake), EBADF],
      dm_send: [(fd) => native.dm_send(socket, fd), EBADF],
      // Adoption looks (readlink, fstat) and refuses what is not a memfd.
      dm_adopt: [(fd) => native.dm_adopt(fd), -Errno.EINVAL],
    };
    const exports = fdParameters(
      Deno.readTextFileSync(`${ROOT}src_rs/exports.rs`),
    );
    // Guards the parser: an empty match would check nothing.
    assertEquals(exports.get("dm_accept"), ["fd", "wake_fd"]);
    assertEquals(
      Object.keys(refused).sort(),
      [...exports.keys()].sort(),
      "every export that takes an fd has a case here",
    );
    for (const [name, [call, expected]] of Object.entries(refused)) {
      assertEquals(Number(await call(fd)), expected, name);
    }
    // The wake-up fd in the accept/receive calls was ours; Deno's fd as the
    // wake-up fd of our own listener is refused too.
    const listener = native.dm_listen(socket);
    assertEquals(listener >= 0, true);
    assertEquals(await native.dm_accept(listener, fd), EBADF);
    assertEquals(native.dm_unlink_socket(listener), 1);
    assertEquals(native.dm_close(listener), 0);
    assertEquals(native.dm_close(wake), 0);
    // The size (a refused dm_adopt registered nothing: still refused).
    assertEquals(native.dm_size(fd), EBADF);
    assertEquals(file.statSync().size, content.length);
    assertEquals(Deno.readFileSync(path), content);
    assertEquals(await fdState(fd), before, "offset, flags and target");
    // And the fd still works for Deno.
    const back = new Uint8Array(content.length);
    assertEquals(file.readSync(back), content.length);
    assertEquals(back, content);
  } finally {
    file.close();
    Deno.removeSync(dir, { recursive: true });
  }
});

/**
 * Memfd lifecycle steps: create (every option mix), open by path, adopt an
 * fd, dup, close, and every call on a closed memfd.
 * @module
 */

import { type HugePageSize, Memfd } from "../../../mod.ts";
import { dm_cloexec } from "../../../src/native.ts";
import { type Expect, fails, mismatch, OK } from "../expect.ts";
import { fmt, q } from "../format.ts";
import { BAD_NUMBERS, BAD_OPTIONS, NON_MEMFD_PATHS } from "../hostile.ts";
import { genName, genSize } from "./gen.ts";
import { EXEC, FileModel, HUGE, PAGE, SEAL } from "./model.ts";
import { verifyFile } from "./verify.ts";
import { kernel } from "../../support/kernel.ts";
import { type Handle, MAX_HANDLES, type MemfdWorld } from "./world.ts";

const encoder = new TextEncoder();

export function opCreate(w: MemfdWorld): void {
  const r = w.rng;
  if (w.handles.length >= MAX_HANDLES) return opClose(w);
  const name = genName(r);
  const o: Record<string, unknown> = {};
  const hugetlb = r.chance(w.hugeChance)
    ? r.pick<boolean | string>([true, "2MB", "2MB", "1GB", "64KB", "16GB"])
    : r.pick([undefined, undefined, false]);
  if (hugetlb !== undefined) o.hugetlb = hugetlb;
  const allowSealing = r.pick([undefined, true, false]);
  if (allowSealing !== undefined || r.chance(0.2)) {
    o.allowSealing = allowSealing;
  }
  const executable = r.pick([undefined, true, false]);
  if (executable !== undefined) o.executable = executable;
  const cloexec = r.pick([undefined, true, false]);
  if (cloexec !== undefined) o.cloexec = cloexec;
  const pageSize = hugetlb === true ? "2MB" : hugetlb;
  const isHuge = typeof pageSize === "string";
  const granule = pageSize === "1GB"
    ? 2 ** 30
    : pageSize === "2MB"
    ? HUGE
    : PAGE;
  let size: number | undefined;
  if (r.chance(0.8)) {
    size = isHuge ? r.pick([0, granule, granule, PAGE]) : genSize(r);
    o.size = size;
  }
  let expect: Expect = OK;
  if (encoder.encode(name).length > 249) expect = fails("EINVAL");
  else if (hugetlb !== undefined && hugetlb !== false && !kernel.hugetlb) {
    expect = fails("EINVAL");
  } else if (isHuge && !kernel.hugePageSizes.has(pageSize as HugePageSize)) {
    expect = fails("ENODEV");
  } else if (isHuge && size !== undefined && size % granule !== 0) {
    expect = fails("EINVAL");
  }
  const args = r.chance(0.1) && Object.keys(o).length === 0 ? [] : [o];
  const out = w.call(
    `Memfd.create(${fmt(name)}, ${args.length ? fmt(o) : ""})`,
    expect,
    () => Memfd.create(name, ...(args as [object])),
  );
  if (!out.ok) return;
  const memfd = out.value;
  if (pageSize === "1GB") {
    // No pool of gigantic pages to map from: just check and let it go.
    checkNew(memfd, name, size ?? 0);
    memfd.close();
    return;
  }
  const file = new FileModel(w.nextId++, name, {
    hugetlb: isHuge,
    // Before MFD_NOEXEC_SEAL (6.3) every memfd is mode 0777, unsealed.
    execMode: executable === true || !kernel.noexecSeal,
    seals: (executable !== true && kernel.noexecSeal ? EXEC : 0) |
      (allowSealing === false ? SEAL : 0),
  });
  file.size = size ?? 0;
  const h = w.adopt(memfd, file, true);
  checkNew(memfd, name, file.size);
  const want = cloexec === false ? 0 : 1;
  if (dm_cloexec(h.fd) !== want) {
    mismatch(`create: FD_CLOEXEC of fd ${h.fd} is not ${want}`);
  }
  verifyFile(w, file, "after create");
}

function checkNew(memfd: Memfd, name: string, size: number): void {
  if (memfd.name !== name) {
    mismatch(`name is ${fmt(memfd.name)}, not ${fmt(name)}`);
  }
  if (memfd.closed || memfd.fd < 0) mismatch(`new memfd is closed`);
  if (memfd.path !== `/proc/${Deno.pid}/fd/${memfd.fd}`) {
    mismatch(`path is ${memfd.path}`);
  }
  if (memfd.size !== size) {
    mismatch(`new memfd size ${memfd.size}, want ${size}`);
  }
}

export function opOpen(w: MemfdWorld): void {
  const r = w.rng;
  if (w.handles.length >= MAX_HANDLES) return opClose(w);
  const write = r.chance(0.5);
  const options = r.chance(0.2) ? undefined : { write };
  const writable = options?.write ?? false;
  const choice = r.weighted({
    live: w.handles.length > 0 ? 6 : 0,
    stale: w.stalePaths.length > 0 ? 2 : 0,
    other: 1,
    bad: 1,
  });
  if (choice === "bad") {
    const path = r.pick<unknown>([42, null, undefined, "a\0b"]);
    const badOptions = r.chance(0.5) ? r.pick(BAD_OPTIONS) : { write: "yes" };
    const useBadOptions = typeof path === "string" && path.includes("\0")
      ? false
      : r.chance(0.3);
    w.call(
      `Memfd.open(${fmt(path)}, ${useBadOptions ? fmt(badOptions) : ""})`,
      fails("TypeError"),
      () =>
        useBadOptions
          ? Memfd.open("/dev/null", badOptions as { write: boolean })
          : Memfd.open(path as string),
    );
    return;
  }
  if (choice === "other") {
    const path = r.pick(NON_MEMFD_PATHS);
    w.call(
      `Memfd.open(${fmt(path)}, ${fmt(options)})`,
      fails("MemfdError"),
      () => Memfd.open(path, options),
    );
    return;
  }
  let path: string;
  let target: Handle | undefined;
  if (choice === "live") {
    target = r.pick(w.handles);
    path = target.memfd.path;
  } else {
    path = r.pick(w.stalePaths);
    const n = Number(path.split("/").pop());
    target = w.handles.find((h) => h.fd === n);
  }
  const out = w.call(
    `Memfd.open(${path}${target ? ` ${q(target.file.name)}` : " stale"}, ${
      fmt(options)
    })`,
    target ? OK : fails("MemfdError"),
    () => Memfd.open(path, options),
  );
  if (!out.ok || target === undefined) return;
  const opened = out.value;
  if (opened.name !== target.file.name) {
    mismatch(`open: name ${fmt(opened.name)}, want ${fmt(target.file.name)}`);
  }
  if (choice === "stale") {
    // Whether a stale number was reused depends on fds Deno opens and
    // closes in the background: keep nothing of it, so that the rest of
    // the run (and a replay) is the same either way.
    if (opened.size !== target.file.size) {
      mismatch(`open: size ${opened.size}, want ${target.file.size}`);
    }
    opened.close();
    return;
  }
  w.adopt(opened, target.file, writable);
  verifyFile(w, target.file, "after open");
}

export function opFromFd(w: MemfdWorld): void {
  const r = w.rng;
  const choice = r.weighted({
    live: w.handles.length > 0 ? 3 : 0,
    std: 1,
    bad: 1,
  });
  if (choice === "bad") {
    const [value, error] = r.pick<[unknown, string]>([
      ...BAD_NUMBERS,
      [2 ** 31, "EBADF"],
      [2 ** 40, "EBADF"],
      [0x7fffff00, "EBADF"],
    ]);
    w.call(
      `Memfd.fromFd(${fmt(value)})`,
      fails(error),
      () => Memfd.fromFd(value as number, { owned: false }),
    );
    return;
  }
  if (choice === "std") {
    const fd = r.int(3);
    w.call(
      `Memfd.fromFd(${fd}, {owned: false})`,
      fails("EINVAL", "EBADF"),
      () => Memfd.fromFd(fd, { owned: false }),
    );
    return;
  }
  const h = r.pick(w.handles);
  if (r.chance(0.2)) {
    const bad = r.pick<unknown>([null, "x", { owned: 1 }]);
    w.call(
      `Memfd.fromFd(${h.fd}, ${fmt(bad)})`,
      fails("TypeError"),
      () => Memfd.fromFd(h.fd, bad as { owned: boolean }),
    );
    return;
  }
  const out = w.call(
    `Memfd.fromFd(${h.fd}, {owned: false})`,
    OK,
    () => Memfd.fromFd(h.fd, { owned: false }),
  );
  if (!out.ok) return;
  const adopted = out.value;
  if (adopted.name !== h.file.name || adopted.size !== h.file.size) {
    mismatch(
      `fromFd: ${q(adopted.name)} size ${adopted.size} is not the original`,
    );
  }
  adopted.close();
  if (dm_cloexec(h.fd) < 0) {
    mismatch(`closing an unowned Memfd closed fd ${h.fd}`);
  }
  w.call(`unowned.size after close`, fails("EBADF"), () => adopted.size);
}

export function opDup(w: MemfdWorld): void {
  if (w.handles.length >= MAX_HANDLES) return opClose(w);
  const h = w.pickHandle();
  if (h === undefined) return opCreate(w);
  const out = w.call(
    `dup(fd ${h.fd} ${q(h.file.name)})`,
    OK,
    () => h.memfd.dup(),
  );
  if (!out.ok) return;
  const d = w.adopt(out.value, h.file, h.writable);
  if (dm_cloexec(d.fd) !== 1) {
    mismatch(`dup: fd ${d.fd} is not close-on-exec`);
  }
  if (d.memfd.name !== h.file.name) mismatch(`dup: name ${d.memfd.name}`);
}

export function opClose(w: MemfdWorld): void {
  const h = w.pickHandle();
  if (h === undefined) return;
  w.call(`close(fd ${h.fd} ${q(h.file.name)})`, OK, () => h.memfd.close());
  if (!h.memfd.closed || h.memfd.fd !== -1) mismatch(`close: still open`);
  w.call(`close() again`, OK, () => h.memfd.close());
  w.forgetHandle(h);
}

/** Every call on a closed memfd, sync ones first, then the async ones. */
const ON_CLOSED: readonly [string, (m: Memfd) => unknown][] = [
  [".size", (m) => m.size],
  [".resize(0)", (m) => m.resize(0)],
  [".write", (m) => m.write(new Uint8Array(4))],
  [".read", (m) => m.read(new Uint8Array(4))],
  ['.seal("grow")', (m) => m.seal("grow")],
  [".seals", (m) => m.seals],
  [".map()", (m) => m.map()],
  [".mapRing()", (m) => m.mapRing()],
  [".dup()", (m) => m.dup()],
  [".path", (m) => m.path],
];
const ON_CLOSED_ASYNC: readonly [string, (m: Memfd) => Promise<unknown>][] = [
  [".readAsync", (m) => m.readAsync(new Uint8Array(4))],
  [".writeAsync", (m) => m.writeAsync(new Uint8Array(4))],
];

export async function opUseClosed(w: MemfdWorld): Promise<void> {
  const r = w.rng;
  if (w.closed.length === 0) return opClose(w);
  const h = r.pick(w.closed);
  const m = h.memfd;
  const E = fails("EBADF");
  const what = `closed ${q(h.file.name)}`;
  const i = r.int(ON_CLOSED.length + ON_CLOSED_ASYNC.length);
  if (i < ON_CLOSED.length) {
    const [call, f] = ON_CLOSED[i]!; // i < ON_CLOSED.length
    w.call(`${what}${call}`, E, () => f(m));
  } else {
    const [call, f] = ON_CLOSED_ASYNC[i - ON_CLOSED.length]!; // i is below both
    await w.callAsync(`${what}${call}`, E, () => f(m));
  }
  // The message must say why: the memfd is closed (not "read-only").
  w.lastErrorSays(/ is closed/, `${what}: EBADF`);
  if (m.fd !== -1 || !m.closed) {
    mismatch(`${what}: fd ${m.fd}, closed ${m.closed}`);
  }
}
